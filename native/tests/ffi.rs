//! The C ABI: status codes, caller-owned buffers, and the committed header staying in step with
//! src/ffi.rs (checked textually, so cbindgen is not needed to run the tests).

use yilian_native::ffi::{yilian_reencrypt, yilian_verify, YILIAN_GT_BYTES};
use yilian_native::options::Hiding;
use yilian_native::prover::{prove, Item};
use yilian_native::trace_code::TraceCode;
use yilian_native::Status;

fn call_verify(ids: &[u8], hashes: &[u8], nonce: &[u8], proof: &[u8]) -> i32 {
    unsafe {
        yilian_verify(
            ids.as_ptr(),
            ids.len(),
            hashes.as_ptr(),
            hashes.len(),
            nonce.as_ptr(),
            nonce.len(),
            proof.as_ptr(),
            proof.len(),
        )
    }
}

#[test]
fn verify_status_codes() {
    let items: Vec<Item> = (0..2u8)
        .map(|i| Item {
            code: TraceCode::random(),
            ciphertext_hash: [i; 32],
        })
        .collect();
    let nonce = [3u8; 32];
    let proof = prove(&items, &nonce, Hiding::Padded).unwrap();
    let ids: Vec<u8> = items.iter().flat_map(|i| i.code.id().to_bytes()).collect();
    let hashes: Vec<u8> = items.iter().flat_map(|i| i.ciphertext_hash).collect();

    assert_eq!(
        call_verify(&ids, &hashes, &nonce, &proof),
        Status::Ok as i32
    );
    assert_eq!(
        call_verify(&ids, &hashes, &[4u8; 32], &proof),
        Status::ProofRejected as i32
    );
    assert_eq!(
        call_verify(&ids, &hashes[..32], &nonce, &proof),
        Status::BadLength as i32
    );
    assert_eq!(
        call_verify(&ids[..33], &hashes, &nonce, &proof),
        Status::BadLength as i32
    );
    assert_eq!(
        call_verify(&ids, &hashes, &nonce[..31], &proof),
        Status::BadLength as i32
    );
    assert_eq!(
        call_verify(&[], &[], &nonce, &proof),
        Status::BadBatchSize as i32
    );
    assert_eq!(
        call_verify(&ids, &hashes, &nonce, &proof[..100]),
        Status::MalformedProof as i32
    );
    assert_eq!(
        call_verify(&[0xff; 64], &hashes, &nonce, &proof),
        Status::BadTraceId as i32
    );
    let null = unsafe {
        yilian_verify(
            core::ptr::null(),
            64,
            hashes.as_ptr(),
            64,
            nonce.as_ptr(),
            32,
            proof.as_ptr(),
            proof.len(),
        )
    };
    assert_eq!(null, Status::NullPointer as i32);
}

#[test]
fn reencrypt_writes_only_the_callers_buffer() {
    let g1 = hex("97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb");
    let g2 = hex("93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8");
    let mut out = vec![0xAAu8; YILIAN_GT_BYTES + 1];
    let status = unsafe {
        yilian_reencrypt(
            g1.as_ptr(),
            48,
            g2.as_ptr(),
            96,
            out.as_mut_ptr(),
            YILIAN_GT_BYTES,
        )
    };
    assert_eq!(status, Status::Ok as i32);
    assert_eq!(
        &out[..YILIAN_GT_BYTES],
        &yilian_native::pre::reencrypt(&g1, &g2).unwrap()
    );
    assert_eq!(out[YILIAN_GT_BYTES], 0xAA);

    let short =
        unsafe { yilian_reencrypt(g1.as_ptr(), 48, g2.as_ptr(), 96, out.as_mut_ptr(), 575) };
    assert_eq!(short, Status::BadLength as i32);
    let null =
        unsafe { yilian_reencrypt(g1.as_ptr(), 48, g2.as_ptr(), 96, core::ptr::null_mut(), 576) };
    assert_eq!(null, Status::NullPointer as i32);
    let mut identity = [0u8; 48];
    identity[0] = 0xc0;
    let bad = unsafe {
        yilian_reencrypt(
            identity.as_ptr(),
            48,
            g2.as_ptr(),
            96,
            out.as_mut_ptr(),
            576,
        )
    };
    assert_eq!(bad, Status::BadPoint as i32);
}

#[test]
fn committed_header_matches_ffi_rs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("src/ffi.rs")).unwrap();
    let header = std::fs::read_to_string(root.join("include/yilian_native.h")).unwrap();
    let squashed: String = header.split_whitespace().collect::<Vec<_>>().join(" ");

    // every exported function with every parameter, in order
    let mut functions = 0;
    for chunk in source.split("pub unsafe extern \"C\" fn ").skip(1) {
        let name = &chunk[..chunk.find('(').unwrap()];
        let params = &chunk[chunk.find('(').unwrap() + 1..chunk.find(')').unwrap()];
        let names: Vec<&str> = params
            .split(',')
            .filter_map(|p| p.split(':').next().map(str::trim))
            .filter(|p| !p.is_empty())
            .collect();
        let decl_start = squashed
            .find(&format!("int32_t {name}("))
            .unwrap_or_else(|| panic!("{name} missing"));
        let decl = &squashed[decl_start..decl_start + squashed[decl_start..].find(");").unwrap()];
        let mut at = 0;
        for p in &names {
            let found = decl[at..]
                .find(&format!(" *{p},"))
                .or_else(|| decl[at..].find(&format!(" {p},")))
                .or_else(|| decl[at..].find(&format!(" {p}")));
            let found =
                found.unwrap_or_else(|| panic!("{name}: parameter {p} missing or out of order"));
            at += found + 1;
        }
        functions += 1;
    }
    assert_eq!(functions, 2);
    assert_eq!(
        squashed.matches("int32_t yilian_").count(),
        functions,
        "header has extra functions"
    );

    // every constant with its value
    for line in source
        .lines()
        .filter(|l| l.starts_with("pub const YILIAN_"))
    {
        let name = &line["pub const ".len()..line.find(':').unwrap()];
        let value = line[line.find('=').unwrap() + 1..]
            .trim()
            .trim_end_matches(';');
        assert!(
            header.contains(&format!("#define {name} {value}")),
            "{name} = {value}"
        );
    }

    // every status with its code
    let body = &source[source.find("pub enum Status {").unwrap()..];
    let body = &body[..body.find('}').unwrap()];
    for line in body.lines().filter(|l| l.contains(" = ")) {
        let (variant, value) = line.trim().trim_end_matches(',').split_once(" = ").unwrap();
        let mut screaming = String::new();
        for (i, c) in variant.chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                screaming.push('_');
            }
            screaming.push(c.to_ascii_uppercase());
        }
        assert!(
            header.contains(&format!("YILIAN_STATUS_{screaming} = {value},")),
            "{variant}"
        );
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

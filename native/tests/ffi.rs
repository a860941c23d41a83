//! The C ABI: status codes and caller-owned buffers (the committed header is checked against
//! src/ffi.rs by tests/header.rs).

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

/// Byte 2 of a proof is in its trace info; values that winterfell's deserialiser asserts on
/// (instead of returning an error) must come back as a malformed proof, like any other bytes that
/// do not parse — not as a panic status, and without unwinding into the caller.
#[test]
fn proofs_that_panic_the_deserialiser_are_malformed() {
    let items = [Item {
        code: TraceCode::random(),
        ciphertext_hash: [7; 32],
    }];
    let nonce = [5u8; 32];
    let proof = prove(&items, &nonce, Hiding::Padded).unwrap();
    let id = items[0].code.id().to_bytes();
    for value in 1..=16u8 {
        let mut hostile = proof.clone();
        hostile[2] = value;
        assert_eq!(
            call_verify(&id, &items[0].ciphertext_hash, &nonce, &hostile),
            Status::MalformedProof as i32,
            "byte 2 = {value}"
        );
    }
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

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

//! AFGH re-encryption against the reference vectors (sha256 of mcl ETH-mode GT bytes) and,
//! when present, `docs/vectors/pre.json` produced by the TypeScript (mcl-wasm) implementation.

use blst::{
    blst_p1, blst_p1_affine, blst_p1_affine_compress, blst_p1_affine_generator,
    blst_p1_from_affine, blst_p1_mult, blst_p1_to_affine, blst_p2, blst_p2_affine,
    blst_p2_affine_compress, blst_p2_affine_generator, blst_p2_from_affine, blst_p2_mult,
    blst_p2_to_affine,
};
use sha2::{Digest, Sha256};
use yilian_native::pre::{gt_to_mcl_bytes, pairing, reencrypt};
use yilian_native::Error;

/// Scalar as 32 big-endian bytes, the Fr encoding of the vectors.
fn scalar_be(hex_str: &str) -> [u8; 32] {
    let bytes = hex(hex_str);
    let mut out = [0u8; 32];
    out[32 - bytes.len()..].copy_from_slice(&bytes);
    out
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn g1_mul(k_be: &[u8; 32]) -> [u8; 48] {
    let mut le = *k_be;
    le.reverse();
    unsafe {
        let mut p = blst_p1::default();
        blst_p1_from_affine(&mut p, blst_p1_affine_generator());
        let mut r = blst_p1::default();
        blst_p1_mult(&mut r, &p, le.as_ptr(), 256);
        let mut a = blst_p1_affine::default();
        blst_p1_to_affine(&mut a, &r);
        let mut out = [0u8; 48];
        blst_p1_affine_compress(out.as_mut_ptr(), &a);
        out
    }
}

fn g2_mul(k_be: &[u8; 32]) -> [u8; 96] {
    let mut le = *k_be;
    le.reverse();
    unsafe {
        let mut p = blst_p2::default();
        blst_p2_from_affine(&mut p, blst_p2_affine_generator());
        let mut r = blst_p2::default();
        blst_p2_mult(&mut r, &p, le.as_ptr(), 256);
        let mut a = blst_p2_affine::default();
        blst_p2_to_affine(&mut a, &r);
        let mut out = [0u8; 96];
        blst_p2_affine_compress(out.as_mut_ptr(), &a);
        out
    }
}

fn sha256_hex(b: &[u8]) -> String {
    to_hex(&Sha256::digest(b))
}

const G1: &str = "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb";
/// 3/2 mod r, i.e. b/a for a = 2, b = 3.
const THREE_HALVES: &str = "39f6d3a994cebea4199cec0404d0ec02a9ded2017fff2dff7fffffff80000002";

#[test]
fn reference_vectors() {
    let one = scalar_be("01");
    assert_eq!(to_hex(&g1_mul(&one)), G1);
    let h = g2_mul(&one);

    // Z = e(g, h)
    let z = reencrypt(&hex(G1), &h).unwrap();
    assert_eq!(
        sha256_hex(&z),
        "f2b27eba1c05914cbc35b259fc28760294a24a67682d8cc186f68ff2f204f02a"
    );

    // a = 2, r = 5: C1 = g^{ar} = g^10
    let c1 = g1_mul(&scalar_be("0a"));
    assert_eq!(
        to_hex(&c1),
        "af81da25ecf1c84b577fefbedd61077a81dc43b00304015b2b596ab67f00e41c86bb00ebd0f90d4b125eb0539891aeed"
    );
    // Z^5 = e(g^5, h)
    let z5 = reencrypt(&g1_mul(&scalar_be("05")), &h).unwrap();
    assert_eq!(
        sha256_hex(&z5),
        "ae9504da820086dfdc5814e4bb2b90a961bb5a49a258446d55438e1366e7aca5"
    );

    // b = 3: rk = h^{b/a}, e(C1, rk) = Z^{br} = Z^15
    let rk = g2_mul(&scalar_be(THREE_HALVES));
    let re = reencrypt(&c1, &rk).unwrap();
    assert_eq!(
        sha256_hex(&re),
        "8bf1becb1d78330ed488df8e6fdd9459a134f525d865c3bff73ee39386f848c9"
    );
    assert_eq!(re, reencrypt(&g1_mul(&scalar_be("0f")), &h).unwrap());
}

#[test]
fn gt_bytes_are_the_documented_layout() {
    let p = yilian_native::pre::decode_g1(&hex(G1)).unwrap();
    let q = yilian_native::pre::decode_g2(&g2_mul(&scalar_be("01"))).unwrap();
    let gt = pairing(&p, &q);
    let bytes = gt_to_mcl_bytes(&gt);
    // first 96 bytes: c0.c0 (an Fp2) written imaginary part first
    let mut c1 = [0u8; 48];
    unsafe { blst::blst_bendian_from_fp(c1.as_mut_ptr(), &gt.fp6[0].fp2[0].fp[1]) };
    assert_eq!(&bytes[..48], &c1);
}

#[test]
fn rejects_bad_points() {
    let h = g2_mul(&scalar_be("01"));
    let g = hex(G1);

    assert!(matches!(
        reencrypt(&g[..47], &h),
        Err(Error::BadLength { .. })
    ));
    assert!(matches!(
        reencrypt(&g, &h[..95]),
        Err(Error::BadLength { .. })
    ));

    // identity encodings (compressed, infinity flag)
    let mut inf1 = [0u8; 48];
    inf1[0] = 0xc0;
    let mut inf2 = [0u8; 96];
    inf2[0] = 0xc0;
    assert_eq!(reencrypt(&inf1, &h), Err(Error::BadPoint("G1 identity")));
    assert_eq!(reencrypt(&g, &inf2), Err(Error::BadPoint("G2 identity")));

    // not on the curve / not a compressed encoding
    let mut junk = g.clone();
    junk[47] ^= 1;
    assert!(matches!(reencrypt(&junk, &h), Err(Error::BadPoint(_))));
    let mut uncompressed_flag = g.clone();
    uncompressed_flag[0] &= 0x7f;
    assert!(matches!(
        reencrypt(&uncompressed_flag, &h),
        Err(Error::BadPoint(_))
    ));

    // on the curve but outside the r-order subgroup: the cofactor of E(Fp) is ~2^126, so the
    // first small x with a curve point almost surely gives one
    let mut found = false;
    for x in 1u8..=50 {
        let mut enc = [0u8; 48];
        enc[0] = 0x80;
        enc[47] = x;
        let mut a = blst_p1_affine::default();
        let ok = unsafe { blst::blst_p1_uncompress(&mut a, enc.as_ptr()) }
            == blst::BLST_ERROR::BLST_SUCCESS;
        if ok && !unsafe { blst::blst_p1_affine_in_g1(&a) } {
            assert_eq!(
                reencrypt(&enc, &h),
                Err(Error::BadPoint("G1 point outside the prime-order subgroup"))
            );
            found = true;
            break;
        }
    }
    assert!(found, "no small-x point outside G1 found");
}

/// The TypeScript implementation's vectors, byte for byte, once `docs/vectors/pre.json` exists.
#[test]
fn typescript_vectors() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/pre.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("{} not present yet: skipped", path.display());
        return;
    };
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases: Vec<&serde_json::Value> = match &json {
        serde_json::Value::Array(a) => a.iter().collect(),
        serde_json::Value::Object(o) => match ["cases", "vectors"].iter().find_map(|k| o.get(*k)) {
            Some(serde_json::Value::Array(a)) => a.iter().collect(),
            _ => vec![&json],
        },
        _ => panic!("unexpected pre.json shape"),
    };
    assert!(!cases.is_empty());
    eprintln!("checking {} cases of {}", cases.len(), path.display());
    for case in cases {
        let field = |k: &str| {
            case[k]
                .as_str()
                .unwrap_or_else(|| panic!("missing {k}"))
                .to_string()
        };
        let (a, b, r) = (
            scalar_be(&field("a")),
            scalar_be(&field("b")),
            scalar_be(&field("r")),
        );
        assert_eq!(to_hex(&g1_mul(&a)), field("pkA"));
        assert_eq!(to_hex(&g2_mul(&b)), field("pkB"));
        let c1 = hex(&field("c1"));
        // Z^r = e(g^r, h)
        let zr = reencrypt(&g1_mul(&r), &g2_mul(&scalar_be("01"))).unwrap();
        assert_eq!(to_hex(&zr), field("zr"));
        let re = reencrypt(&c1, &hex(&field("rk"))).unwrap();
        assert_eq!(to_hex(&re), field("reencrypted"));
    }
}

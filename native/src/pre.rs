//! AFGH re-encryption on BLS12-381: `reencrypt(C1, rk) = e(C1, rk)`.
//!
//! Inputs are compressed ZCash encodings (48-byte G1, 96-byte G2); the output is GT in mcl's
//! ETH-mode serialization (576 bytes), which no Rust crate writes, hence [`gt_to_mcl_bytes`].

use blst::{
    blst_bendian_from_fp, blst_final_exp, blst_fp12, blst_miller_loop, blst_p1_affine,
    blst_p1_affine_in_g1, blst_p1_affine_is_inf, blst_p1_uncompress, blst_p2_affine,
    blst_p2_affine_in_g2, blst_p2_affine_is_inf, blst_p2_uncompress, BLST_ERROR,
};

use crate::Error;

pub const G1_BYTES: usize = 48;
pub const G2_BYTES: usize = 96;
pub const GT_BYTES: usize = 576;
const FP_BYTES: usize = 48;

pub fn reencrypt(c1: &[u8], rk: &[u8]) -> Result<[u8; GT_BYTES], Error> {
    let p = decode_g1(c1)?;
    let q = decode_g2(rk)?;
    Ok(gt_to_mcl_bytes(&pairing(&p, &q)))
}

/// Decompresses a G1 point and rejects the identity and points outside the r-order subgroup.
pub fn decode_g1(bytes: &[u8]) -> Result<blst_p1_affine, Error> {
    let bytes: &[u8; G1_BYTES] = bytes.try_into().map_err(|_| Error::BadLength {
        what: "G1 point",
        expected: G1_BYTES,
        actual: bytes.len(),
    })?;
    let mut point = blst_p1_affine::default();
    // SAFETY: `bytes` is exactly 48 readable bytes and `point` is a valid output location.
    let status = unsafe { blst_p1_uncompress(&mut point, bytes.as_ptr()) };
    if status != BLST_ERROR::BLST_SUCCESS {
        return Err(Error::BadPoint("G1 does not decompress"));
    }
    // SAFETY: `point` was initialised by a successful uncompress.
    if unsafe { blst_p1_affine_is_inf(&point) } {
        return Err(Error::BadPoint("G1 identity"));
    }
    // SAFETY: as above.
    if !unsafe { blst_p1_affine_in_g1(&point) } {
        return Err(Error::BadPoint("G1 point outside the prime-order subgroup"));
    }
    Ok(point)
}

/// Decompresses a G2 point and rejects the identity and points outside the r-order subgroup.
pub fn decode_g2(bytes: &[u8]) -> Result<blst_p2_affine, Error> {
    let bytes: &[u8; G2_BYTES] = bytes.try_into().map_err(|_| Error::BadLength {
        what: "G2 point",
        expected: G2_BYTES,
        actual: bytes.len(),
    })?;
    let mut point = blst_p2_affine::default();
    // SAFETY: `bytes` is exactly 96 readable bytes and `point` is a valid output location.
    let status = unsafe { blst_p2_uncompress(&mut point, bytes.as_ptr()) };
    if status != BLST_ERROR::BLST_SUCCESS {
        return Err(Error::BadPoint("G2 does not decompress"));
    }
    // SAFETY: `point` was initialised by a successful uncompress.
    if unsafe { blst_p2_affine_is_inf(&point) } {
        return Err(Error::BadPoint("G2 identity"));
    }
    // SAFETY: as above.
    if !unsafe { blst_p2_affine_in_g2(&point) } {
        return Err(Error::BadPoint("G2 point outside the prime-order subgroup"));
    }
    Ok(point)
}

/// The reduced Tate-style optimal ate pairing e(P, Q), as mcl and noble compute it.
pub fn pairing(p: &blst_p1_affine, q: &blst_p2_affine) -> blst_fp12 {
    let mut miller = blst_fp12::default();
    let mut out = blst_fp12::default();
    // SAFETY: all pointers refer to initialised values owned by this frame.
    unsafe {
        blst_miller_loop(&mut miller, q, p);
        blst_final_exp(&mut out, &miller);
    }
    out
}

/// mcl ETH-mode GT bytes: Fp12 = (c0, c1) over Fp6, Fp6 = (c0, c1, c2) over Fp2 — the standard
/// tower, which is also blst's memory order — but each Fp2 is written imaginary part first
/// (c1 ‖ c0), each Fp as 48 big-endian bytes.
pub fn gt_to_mcl_bytes(value: &blst_fp12) -> [u8; GT_BYTES] {
    let mut out = [0u8; GT_BYTES];
    let fp2s = value.fp6.iter().flat_map(|fp6| fp6.fp2.iter());
    for (chunk, fp2) in out.chunks_exact_mut(2 * FP_BYTES).zip(fp2s) {
        let (imaginary, real) = chunk.split_at_mut(FP_BYTES);
        // SAFETY: each half is exactly 48 writable bytes; the Fp values are initialised.
        unsafe {
            blst_bendian_from_fp(imaginary.as_mut_ptr(), &fp2.fp[1]);
            blst_bendian_from_fp(real.as_mut_ptr(), &fp2.fp[0]);
        }
    }
    out
}

//! C ABI for the FISCO BCOS precompiles (header: `include/yilian_native.h`).
//!
//! Every entry point takes `(pointer, length)` pairs, writes only into caller-provided buffers,
//! returns a [`Status`] code and catches panics (reported in one line, see [`crate::boundary`]), so
//! nothing allocated here is ever owned by the caller and no unwinding crosses into C++.

use crate::air::PublicInputs;
use crate::options::Hiding;
use crate::trace_code::{hash_from_slice, TraceId, HASH_BYTES, ID_BYTES};
use crate::{boundary, options, pre, verifier, Error};

// Literal values because cbindgen reads only this file; the assertions keep them in step.

/// Bytes of a compressed G1 point (C1).
pub const YILIAN_G1_BYTES: usize = 48;
/// Bytes of a compressed G2 point (re-encryption key).
pub const YILIAN_G2_BYTES: usize = 96;
/// Bytes of a GT element in mcl ETH-mode serialization.
pub const YILIAN_GT_BYTES: usize = 576;
/// Bytes of a trace id, a ciphertext hash and a nonce.
pub const YILIAN_HASH_BYTES: usize = 32;
/// Most items one proof may carry.
pub const YILIAN_MAX_ITEMS: usize = 994;

const _: () = {
    assert!(YILIAN_G1_BYTES == pre::G1_BYTES);
    assert!(YILIAN_G2_BYTES == pre::G2_BYTES);
    assert!(YILIAN_GT_BYTES == pre::GT_BYTES);
    assert!(YILIAN_HASH_BYTES == HASH_BYTES && YILIAN_HASH_BYTES == ID_BYTES);
    assert!(YILIAN_MAX_ITEMS == options::MAX_ITEMS);
};

/// Status codes of the C ABI, stable across releases (documented in docs/formats.md).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok = 0,
    BadLength = 1,
    BadTraceCode = 2,
    BadTraceId = 3,
    BadPoint = 4,
    BadBatchSize = 5,
    MalformedProof = 6,
    WrongOptions = 7,
    ProofRejected = 8,
    ProverFailed = 9,
    NullPointer = 10,
    Panic = 11,
}

/// Verifies a drug-trace proof for `n` items.
///
/// `ids` holds `n` trace ids and `ciphertext_hashes` the `n` matching hashes, 32 bytes each,
/// concatenated; `nonce` is 32 bytes. Returns `Status::Ok` only if the proof verifies.
///
/// # Safety
/// Each pointer must be valid for reads of its length (it may be null when the length is 0).
#[no_mangle]
pub unsafe extern "C" fn yilian_verify(
    ids: *const u8,
    ids_len: usize,
    ciphertext_hashes: *const u8,
    ciphertext_hashes_len: usize,
    nonce: *const u8,
    nonce_len: usize,
    proof: *const u8,
    proof_len: usize,
) -> i32 {
    guarded(|| {
        // SAFETY: forwarded from the caller's contract above.
        let (ids, hashes, nonce, proof) = unsafe {
            (
                input(ids, ids_len)?,
                input(ciphertext_hashes, ciphertext_hashes_len)?,
                input(nonce, nonce_len)?,
                input(proof, proof_len)?,
            )
        };
        if ids.len() % ID_BYTES != 0 {
            return Err(Error::BadLength {
                what: "trace ids",
                expected: ID_BYTES,
                actual: ids.len() % ID_BYTES,
            }
            .status());
        }
        if hashes.len() != ids.len() {
            return Err(Error::BadLength {
                what: "ciphertext hashes",
                expected: ids.len(),
                actual: hashes.len(),
            }
            .status());
        }
        let pub_inputs = PublicInputs {
            ids: ids
                .chunks_exact(ID_BYTES)
                .map(TraceId::from_bytes)
                .collect::<Result<_, _>>()
                .map_err(|e| e.status())?,
            ciphertext_hashes: hashes
                .chunks_exact(HASH_BYTES)
                .map(|h| hash_from_slice("ciphertext hash", h))
                .collect::<Result<_, _>>()
                .map_err(|e| e.status())?,
            nonce: hash_from_slice("nonce", nonce).map_err(|e| e.status())?,
            hiding: Hiding::Padded,
        };
        verifier::verify(proof, pub_inputs).map_err(|e| e.status())
    })
}

/// AFGH re-encryption `e(C1, rk)`: `c1` is a 48-byte compressed G1 point, `rk` a 96-byte
/// compressed G2 point; writes the 576-byte GT element into `out` (`out_len` must be 576).
///
/// # Safety
/// `c1`, `rk` must be valid for reads and `out` for writes of their lengths.
#[no_mangle]
pub unsafe extern "C" fn yilian_reencrypt(
    c1: *const u8,
    c1_len: usize,
    rk: *const u8,
    rk_len: usize,
    out: *mut u8,
    out_len: usize,
) -> i32 {
    guarded(|| {
        if out.is_null() {
            return Err(Status::NullPointer);
        }
        if out_len != pre::GT_BYTES {
            return Err(Status::BadLength);
        }
        // SAFETY: forwarded from the caller's contract above.
        let (c1, rk) = unsafe { (input(c1, c1_len)?, input(rk, rk_len)?) };
        let gt = pre::reencrypt(c1, rk).map_err(|e| e.status())?;
        // SAFETY: `out` is non-null and valid for `out_len` = 576 writes per the contract.
        unsafe { core::ptr::copy_nonoverlapping(gt.as_ptr(), out, pre::GT_BYTES) };
        Ok(())
    })
}

fn guarded(body: impl FnOnce() -> Result<(), Status>) -> i32 {
    match boundary::catch(Status::Panic, body) {
        Ok(()) => Status::Ok as i32,
        Err(status) => status as i32,
    }
}

/// # Safety
/// `ptr` must be valid for `len` reads unless `len` is 0.
unsafe fn input<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], Status> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Status::NullPointer);
    }
    // SAFETY: non-null and valid for `len` reads per the caller's contract.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

//! Yilian native core.
//!
//! - A STARK (winterfell 0.13, Rescue-Prime Rp64_256) proving knowledge of a drug trace code
//!   `key` with `Rescue(tag ‖ key) = id`, bound to a ciphertext hash and a recent block hash,
//!   for one item or a whole production batch; padded for (heuristic) hiding, see docs/formats.md.
//! - AFGH re-encryption `e(C1, rk)` on BLS12-381 (blst), byte-compatible with mcl-wasm.
//! - A C ABI for the chain precompiles; the napi-rs binding is the `node/` crate.

pub mod air;
pub mod boundary;
mod error;
pub mod ffi;
pub mod options;
pub mod pre;
mod proof_bytes;
pub mod prover;
pub mod salted_merkle;
pub mod trace_code;
pub mod verifier;

pub use error::Error;
pub use ffi::Status;

//! Trace codes (the secret printed on a drug package) and their public ids.
//!
//! A code is 160 random bits printed as 32 Crockford base32 symbols. The id is one Rescue-Prime
//! (Rp64_256) permutation of `[tag, limb0..limb4]` — the same state the AIR's first row holds.
//! Parsing and the id itself are `yilian-trace-id`'s, which the browser's wasm build shares.

use core::fmt;

use winterfell::math::fields::f64::BaseElement as Felt;
use winterfell::math::StarkField;
use yilian_trace_id::ALPHABET;
pub use yilian_trace_id::{CODE_BYTES, CODE_SYMBOLS, ID_BYTES, ID_TAG, KEY_LIMBS};

use crate::options::STATE_WIDTH;
use crate::Error;

pub const HASH_BYTES: usize = 32;

/// Number of elements `hash_elements` absorbs; Rp64_256 writes it into capacity[0].
const ABSORBED: u64 = 1 + KEY_LIMBS as u64;
/// Where the key limbs sit in the Rescue state (rate starts at column 4; column 4 holds the tag).
pub const KEY_COLUMNS: core::ops::Range<usize> = 5..5 + KEY_LIMBS;

#[derive(Clone, PartialEq, Eq)]
pub struct TraceCode([u8; CODE_BYTES]);

impl TraceCode {
    pub fn from_bytes(bytes: [u8; CODE_BYTES]) -> Self {
        TraceCode(bytes)
    }

    pub fn random() -> Self {
        let mut bytes = [0u8; CODE_BYTES];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
        TraceCode(bytes)
    }

    /// Crockford decoding (`yilian_trace_id::parse`).
    pub fn parse(text: &str) -> Result<Self, Error> {
        yilian_trace_id::parse(text.as_bytes())
            .map(TraceCode)
            .map_err(|e| Error::BadTraceCode(e.reason()))
    }

    pub fn limbs(&self) -> [Felt; KEY_LIMBS] {
        yilian_trace_id::limbs(&self.0)
    }

    /// The Rescue state before the permutation: the layout `Rp64_256::hash_elements` uses.
    pub fn initial_state(&self) -> [Felt; STATE_WIDTH] {
        let mut state = [Felt::new(0); STATE_WIDTH];
        state[0] = Felt::new(ABSORBED);
        state[4] = ID_TAG;
        state[KEY_COLUMNS].copy_from_slice(&self.limbs());
        state
    }

    pub fn id(&self) -> TraceId {
        TraceId(yilian_trace_id::id(&self.0))
    }
}

/// Groups of eight symbols separated by hyphens, upper case: the printed form.
impl fmt::Display for TraceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut symbols = [0u8; CODE_SYMBOLS];
        // 160 bits do not fit in a u128: take the code as four 40-bit groups of 8 symbols each.
        for group in 0..4 {
            let chunk = &self.0[5 * group..5 * group + 5];
            let word = chunk.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64);
            for s in 0..8 {
                symbols[8 * group + s] = ALPHABET[((word >> (35 - 5 * s)) & 31) as usize];
            }
        }
        for group in 0..4 {
            if group > 0 {
                f.write_str("-")?;
            }
            let text = &symbols[8 * group..8 * group + 8];
            f.write_str(core::str::from_utf8(text).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

/// Never print the secret by accident (logs are covered by invariant 1).
impl fmt::Debug for TraceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TraceCode(..)")
    }
}

/// `Rescue(key)`: four field elements, serialized as four little-endian u64 (the winter-crypto
/// digest bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceId(pub [Felt; 4]);

impl TraceId {
    pub fn to_bytes(&self) -> [u8; ID_BYTES] {
        yilian_trace_id::id_bytes(&self.0)
    }

    /// Rejects values ≥ p so that each id has exactly one byte encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != ID_BYTES {
            return Err(Error::BadLength {
                what: "trace id",
                expected: ID_BYTES,
                actual: bytes.len(),
            });
        }
        let mut id = [Felt::new(0); 4];
        for (e, chunk) in id.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let v = u64::from_le_bytes(word);
            if v >= Felt::MODULUS {
                return Err(Error::BadTraceId);
            }
            *e = Felt::new(v);
        }
        Ok(TraceId(id))
    }
}

/// A 32-byte hash (ciphertext hash, block hash) as 8 little-endian u32 limbs: canonical in the
/// field, unlike 4 × u64.
pub fn hash_limbs(hash: &[u8; HASH_BYTES]) -> [Felt; 8] {
    core::array::from_fn(|i| {
        let chunk = [
            hash[4 * i],
            hash[4 * i + 1],
            hash[4 * i + 2],
            hash[4 * i + 3],
        ];
        Felt::new(u32::from_le_bytes(chunk) as u64)
    })
}

pub fn hash_from_slice(what: &'static str, bytes: &[u8]) -> Result<[u8; HASH_BYTES], Error> {
    bytes.try_into().map_err(|_| Error::BadLength {
        what,
        expected: HASH_BYTES,
        actual: bytes.len(),
    })
}

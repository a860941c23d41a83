//! A trace code (the secret printed on a drug package) and its public id, without std: the native
//! crate (STARK prover, Node addon) and the browser's WebAssembly build (`../wasm`) compile this
//! one source, so the id a browser computes is the id the chain and the prover use.
//!
//! A code is 160 random bits printed as 32 Crockford base32 symbols. The id is one Rescue-Prime
//! (Rp64_256) permutation of `[tag, limb0..limb4]` (docs/formats.md § Trace id).

#![no_std]

use winter_crypto::hashers::Rp64_256;
use winter_crypto::ElementHasher;
use winter_math::fields::f64::BaseElement as Felt;

pub const CODE_BYTES: usize = 20;
pub const CODE_SYMBOLS: usize = 32;
pub const KEY_LIMBS: usize = CODE_BYTES / 4;
pub const ID_BYTES: usize = 32;

/// Domain tag absorbed before the key limbs ("yl-trc-1" read as a little-endian u64), so that a
/// trace id is never the Rp64_256 hash of some other five-element message.
pub const ID_TAG: Felt = Felt::new(u64::from_le_bytes(*b"yl-trc-1"));

pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Why a text is not a trace code; never says which symbols it held (a code is a secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    BadSymbol,
    TooMany,
    TooFew,
}

impl ParseError {
    pub fn reason(self) -> &'static str {
        match self {
            ParseError::BadSymbol => "symbol outside Crockford base32",
            ParseError::TooMany => "more than 32 symbols",
            ParseError::TooFew => "fewer than 32 symbols",
        }
    }
}

/// Crockford decoding: hyphens are ignored, letters are case-insensitive, `O` reads as `0`
/// and `I`/`L` as `1`; `U` and anything else is rejected. 32 symbols carry exactly 160 bits,
/// so there are no spare bits and every value has one canonical printed form.
pub fn parse(text: &[u8]) -> Result<[u8; CODE_BYTES], ParseError> {
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut out = [0u8; CODE_BYTES];
    let mut written = 0usize;
    let mut symbols = 0usize;
    for ch in text {
        let value = match ch.to_ascii_uppercase() {
            b'-' => continue,
            b'O' => 0,
            b'I' | b'L' => 1,
            c => match ALPHABET.iter().position(|&a| a == c) {
                Some(v) => v as u32,
                None => return Err(ParseError::BadSymbol),
            },
        };
        symbols += 1;
        if symbols > CODE_SYMBOLS {
            return Err(ParseError::TooMany);
        }
        acc = (acc << 5) | value;
        bits += 5;
        while bits >= 8 {
            bits -= 8;
            out[written] = (acc >> bits) as u8;
            written += 1;
        }
        acc &= (1 << bits) - 1;
    }
    if symbols != CODE_SYMBOLS {
        return Err(ParseError::TooFew);
    }
    Ok(out)
}

/// The key as five little-endian u32 limbs: always canonical field elements, injective.
pub fn limbs(code: &[u8; CODE_BYTES]) -> [Felt; KEY_LIMBS] {
    core::array::from_fn(|i| {
        let chunk = [
            code[4 * i],
            code[4 * i + 1],
            code[4 * i + 2],
            code[4 * i + 3],
        ];
        Felt::new(u32::from_le_bytes(chunk) as u64)
    })
}

/// `Rp64_256::hash_elements([tag, limbs])`: four field elements.
pub fn id(code: &[u8; CODE_BYTES]) -> [Felt; 4] {
    let mut message = [ID_TAG; 1 + KEY_LIMBS];
    message[1..].copy_from_slice(&limbs(code));
    let digest = Rp64_256::hash_elements(&message);
    let mut id = [Felt::new(0); 4];
    id.copy_from_slice(digest.as_elements());
    id
}

/// The id's bytes: four little-endian u64 (the winter-crypto digest bytes).
pub fn id_bytes(id: &[Felt; 4]) -> [u8; ID_BYTES] {
    let mut out = [0u8; ID_BYTES];
    for (chunk, e) in out.chunks_exact_mut(8).zip(id.iter()) {
        chunk.copy_from_slice(&e.as_int().to_le_bytes());
    }
    out
}

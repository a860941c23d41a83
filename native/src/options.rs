//! Proof parameters and the trace layout they imply. The verifier takes all of them from here,
//! never from the proof.

use winterfell::{BatchingMethod, FieldExtension, ProofOptions};

use crate::Error;

/// Query count, LDE blowup, grinding bits and extension degree. Chosen by winterfell's own
/// security functions (`Proof::proven_security`, `conjectured_security`), asserted in
/// tests/stark.rs for every trace length up to the cap:
/// - proven (list decoding, eprint 2024/1553 Th. 2) = 102 bits: the FRI query term
///   `grinding − q·log2((1 + 1/2m)·√(1/blowup))` binds, ≈ 16 + 1.48·q, so 56 queries give 99 and
///   58 give 102 (38 gave 72);
/// - conjectured = min(64·3 − 1, 58·log2(8) + 16 − 1, 128 for Blake3_256) = 128 bits.
///
/// Blowup 16 would need only 44 queries (103 bits) but doubles every LDE and the prover with it;
/// more grinding costs 2^g hashes per proof, which one-item proofs feel at once. Queries cost
/// proof bytes and verifier hashing, and 4 random rows each (`MIN_RANDOM_ROWS`).
pub const NUM_QUERIES: usize = 58;
pub const BLOWUP: usize = 8;
pub const GRINDING_BITS: u32 = 16;
pub const EXTENSION_DEGREE: usize = 3;
/// Folding by 2 keeps the padding small: every query opens `FRI_FOLDING` points per FRI layer.
pub const FRI_FOLDING: usize = 2;
/// Sending a degree-≤127 remainder saves the FRI layers (and their Merkle paths) below it.
pub const FRI_REMAINDER_MAX_DEGREE: usize = 127;

/// Longest padded trace a batch may take.
pub const MAX_TRACE_LENGTH: usize = 8192;

/// Largest batch one proof may carry, and so one trace step of the engine: the one batch cap
/// every layer reads (the C header as `YILIAN_MAX_ITEMS`, Node as `MAX_BATCH_ITEMS`, the ERP's
/// parts and `sealTraceSteps` through it). It is the most items whose permutations and hiding
/// rows fit `MAX_TRACE_LENGTH`, so a full batch never pays for a trace of twice the length with
/// half of it padding (a batch of 1,024 did: 8·1,024 + 158 > 8,192, N = 16,384 and twice the
/// prover time of 1,004 items). 994 items prove in about a second on two cores; the ERP splits
/// larger events into parts anyway, by the chain's gas first (~760 items with typical step data).
pub const MAX_ITEMS: usize = (MAX_TRACE_LENGTH - MIN_RANDOM_ROWS) / ROWS_PER_ITEM;

/// Rows of one Rescue permutation: the initial state and one row after each of the 7 rounds.
pub const ROWS_PER_ITEM: usize = 8;
/// The Rescue state is 12 field elements.
pub const STATE_WIDTH: usize = 12;

/// Random rows appended to every column: `2·f·q + 2·e`, every trace point a layer-0 FRI opening
/// ties to, through the quotient too (`y` and `g·y` for each of the `f` points per query), plus
/// the OOD frame. The linear criterion alone needs 88 (`q + 2·e` random cells per column, and the
/// padding's public cells leave column 4 only 6 of every 8); the rest is a margin for the
/// non-linear quotient relation. docs/formats.md § Hiding.
pub const MIN_RANDOM_ROWS: usize = 2 * FRI_FOLDING * NUM_QUERIES + 2 * EXTENSION_DEGREE;
/// Wholly random columns no constraint touches; they enter the DEEP combination with
/// verifier-chosen weights and mask it. The DEEP polynomial has `e·(N − 1)` base coordinates;
/// `e + 1` masks keep `(e + 1)(N − q − 2e)` free values after their own openings, enough from
/// `N = 253` on, so for the shortest trace a batch takes (256).
pub const MASK_COLUMNS: usize = EXTENSION_DEGREE + 1;

pub fn proof_options() -> ProofOptions {
    ProofOptions::new(
        NUM_QUERIES,
        BLOWUP,
        GRINDING_BITS,
        FieldExtension::Cubic,
        FRI_FOLDING,
        FRI_REMAINDER_MAX_DEGREE,
        BatchingMethod::Linear,
        BatchingMethod::Linear,
    )
}

/// Whether the trace is padded for hiding. Only [`Hiding::Padded`] is exposed through the
/// bindings; [`Hiding::Transparent`] exists so tests and benchmarks can show what the padding
/// protects against and what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hiding {
    Padded,
    Transparent,
}

/// Shape of the execution trace for a batch: the verifier recomputes it from the number of
/// public items and rejects any proof whose trace differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub items: usize,
    pub hiding: Hiding,
    pub trace_length: usize,
    pub width: usize,
}

impl Layout {
    pub fn new(items: usize, hiding: Hiding) -> Result<Self, Error> {
        if items == 0 || items > MAX_ITEMS {
            return Err(Error::BadBatchSize(items));
        }
        let used_rows = items * ROWS_PER_ITEM;
        let (trace_length, width) = match hiding {
            Hiding::Padded => (
                (used_rows + MIN_RANDOM_ROWS).next_power_of_two(),
                STATE_WIDTH + MASK_COLUMNS,
            ),
            Hiding::Transparent => (used_rows.next_power_of_two(), STATE_WIDTH),
        };
        Ok(Layout {
            items,
            hiding,
            trace_length,
            width,
        })
    }

    /// Rows holding permutations; everything below is padding.
    pub fn used_rows(&self) -> usize {
        self.items * ROWS_PER_ITEM
    }
}

//! Proof parameters and the trace layout they imply. The verifier takes all of them from here,
//! never from the proof.

use winterfell::{BatchingMethod, FieldExtension, ProofOptions};

use crate::Error;

/// Query count, LDE blowup, grinding bits and extension degree of the 128-bit set:
/// conjectured security = min(64·3 − 1, 38·log2(8) + 16 − 1, 128 for Blake3_256) = 128 bits.
pub const NUM_QUERIES: usize = 38;
pub const BLOWUP: usize = 8;
pub const GRINDING_BITS: u32 = 16;
pub const EXTENSION_DEGREE: usize = 3;
/// Folding by 2 keeps the padding small: every query opens `FRI_FOLDING` points per FRI layer.
pub const FRI_FOLDING: usize = 2;
/// Sending a degree-≤127 remainder saves the FRI layers (and their Merkle paths) below it.
pub const FRI_REMAINDER_MAX_DEGREE: usize = 127;

/// Largest batch one proof may carry, and so one trace step of the engine: the one batch cap
/// every layer reads (the C header as `YILIAN_MAX_ITEMS`, Node as `MAX_BATCH_ITEMS`). 1,024
/// items cover an ERP production batch of 1,000 and prove in about a second on two cores;
/// larger events are split into several proofs.
pub const MAX_ITEMS: usize = 1024;

/// Rows of one Rescue permutation: the initial state and one row after each of the 7 rounds.
pub const ROWS_PER_ITEM: usize = 8;
/// The Rescue state is 12 field elements.
pub const STATE_WIDTH: usize = 12;

/// Random rows appended to every column: `2·f·q + 2·e` (each FRI query opens `f` points of the
/// DEEP polynomial and each of those ties to two trace points; the OOD frame adds `2·e`
/// base-field equations per column).
pub const MIN_RANDOM_ROWS: usize = 2 * FRI_FOLDING * NUM_QUERIES + 2 * EXTENSION_DEGREE;
/// Wholly random columns no constraint touches; they enter the DEEP combination with
/// verifier-chosen weights and mask it (`e + 1`, heuristic sizing).
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

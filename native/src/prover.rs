//! Builds the trace for a batch of trace codes and proves it.

use rand::Rng;
use winterfell::crypto::hashers::{Blake3_256, Rp64_256};
use winterfell::crypto::DefaultRandomCoin;
use winterfell::math::fields::f64::BaseElement as Felt;
use winterfell::math::{FieldElement, StarkField};
use winterfell::matrix::ColMatrix;
use winterfell::{
    AuxRandElements, CompositionPoly, CompositionPolyTrace, ConstraintCompositionCoefficients,
    DefaultConstraintCommitment, DefaultConstraintEvaluator, DefaultTraceLde, PartitionOptions,
    ProofOptions, Prover, StarkDomain, TraceInfo, TracePolyTable, TraceTable,
};

use crate::air::{digest_columns, public_init_cells, PublicInputs, RescueAir};
use crate::options::{proof_options, Hiding, Layout, ROWS_PER_ITEM, STATE_WIDTH};
use crate::salted_merkle::{salting, SaltedMerkleTree};
use crate::trace_code::{TraceCode, HASH_BYTES};
use crate::Error;

pub type Hasher = Blake3_256<Felt>;
pub type Coin = DefaultRandomCoin<Hasher>;
pub type Commitment = SaltedMerkleTree<Hasher>;

/// One item of a batch: the secret code and the hash of the ciphertext appended under it.
pub struct Item {
    pub code: TraceCode,
    pub ciphertext_hash: [u8; HASH_BYTES],
}

/// Proves knowledge of every item's code, bound to its ciphertext hash and to `nonce`.
pub fn prove(items: &[Item], nonce: &[u8; HASH_BYTES], hiding: Hiding) -> Result<Vec<u8>, Error> {
    let layout = Layout::new(items.len(), hiding)?;
    let pub_inputs = PublicInputs {
        ids: items.iter().map(|item| item.code.id()).collect(),
        ciphertext_hashes: items.iter().map(|item| item.ciphertext_hash).collect(),
        nonce: *nonce,
        hiding,
    };
    let codes: Vec<&TraceCode> = items.iter().map(|item| &item.code).collect();
    let trace = build_trace(&layout, &codes, &mut rand::rng());
    let prover = RescueProver {
        options: proof_options(),
        pub_inputs,
    };
    let proof = prover.prove(trace).map_err(|_| Error::ProverFailed)?;
    Ok(proof.to_bytes())
}

pub fn build_trace(layout: &Layout, codes: &[&TraceCode], rng: &mut impl Rng) -> TraceTable<Felt> {
    let n = layout.trace_length;
    let mut columns: Vec<Vec<Felt>> = (0..layout.width)
        .map(|_| match layout.hiding {
            // every cell starts random; permutations and public cells overwrite theirs below
            Hiding::Padded => (0..n).map(|_| random_felt(rng)).collect(),
            Hiding::Transparent => vec![Felt::ZERO; n],
        })
        .collect();

    for (item, code) in codes.iter().enumerate() {
        let mut state = code.initial_state();
        let first = item * ROWS_PER_ITEM;
        write_row(&mut columns, first, &state);
        for round in 0..ROWS_PER_ITEM - 1 {
            Rp64_256::apply_round(&mut state, round);
            write_row(&mut columns, first + round + 1, &state);
        }
    }

    // padding rows carry the public cells the periodic assertions pin (zero digests)
    for first in (layout.used_rows()..n).step_by(ROWS_PER_ITEM) {
        for &(col, value) in public_init_cells() {
            columns[col][first] = value;
        }
        for col in digest_columns() {
            columns[col][first + ROWS_PER_ITEM - 1] = Felt::ZERO;
        }
    }
    TraceTable::init(columns)
}

fn write_row(columns: &mut [Vec<Felt>], row: usize, state: &[Felt; STATE_WIDTH]) {
    for (col, &value) in columns.iter_mut().zip(state.iter()) {
        col[row] = value;
    }
}

/// Uniform in the field: reject the 2^32 − 1 values of u64 at or above p.
fn random_felt(rng: &mut impl Rng) -> Felt {
    loop {
        let v = rng.next_u64();
        if v < Felt::MODULUS {
            return Felt::new(v);
        }
    }
}

struct RescueProver {
    options: ProofOptions,
    pub_inputs: PublicInputs,
}

impl Prover for RescueProver {
    type BaseField = Felt;
    type Air = RescueAir;
    type Trace = TraceTable<Felt>;
    type HashFn = Hasher;
    type VC = Commitment;
    type RandomCoin = Coin;
    type TraceLde<E: FieldElement<BaseField = Felt>> = DefaultTraceLde<E, Hasher, Commitment>;
    type ConstraintCommitment<E: FieldElement<BaseField = Felt>> =
        DefaultConstraintCommitment<E, Hasher, Commitment>;
    type ConstraintEvaluator<'a, E: FieldElement<BaseField = Felt>> =
        DefaultConstraintEvaluator<'a, RescueAir, E>;

    fn get_pub_inputs(&self, _trace: &Self::Trace) -> PublicInputs {
        self.pub_inputs.clone()
    }

    fn options(&self) -> &ProofOptions {
        &self.options
    }

    fn new_trace_lde<E: FieldElement<BaseField = Felt>>(
        &self,
        trace_info: &TraceInfo,
        main_trace: &ColMatrix<Felt>,
        domain: &StarkDomain<Felt>,
        partition_option: PartitionOptions,
    ) -> (Self::TraceLde<E>, TracePolyTable<E>) {
        salting(|| DefaultTraceLde::new(trace_info, main_trace, domain, partition_option))
    }

    fn new_evaluator<'a, E: FieldElement<BaseField = Felt>>(
        &self,
        air: &'a RescueAir,
        aux_rand_elements: Option<AuxRandElements<E>>,
        composition_coefficients: ConstraintCompositionCoefficients<E>,
    ) -> Self::ConstraintEvaluator<'a, E> {
        DefaultConstraintEvaluator::new(air, aux_rand_elements, composition_coefficients)
    }

    fn build_constraint_commitment<E: FieldElement<BaseField = Felt>>(
        &self,
        composition_poly_trace: CompositionPolyTrace<E>,
        num_constraint_composition_columns: usize,
        domain: &StarkDomain<Felt>,
        partition_options: PartitionOptions,
    ) -> (Self::ConstraintCommitment<E>, CompositionPoly<E>) {
        salting(|| {
            DefaultConstraintCommitment::new(
                composition_poly_trace,
                num_constraint_composition_columns,
                domain,
                partition_options,
            )
        })
    }
}

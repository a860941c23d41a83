//! AIR for "I know `key` with `Rp64_256(tag ‖ limbs(key)) = id`", for a batch of items.
//!
//! Trace layout (one row per line, one column per Rescue state element, plus mask columns):
//!
//! ```text
//! row 8j       s = [6, 0, 0, 0, tag, k0, k1, k2, k3, k4, 0, 0]   item j's initial state
//! row 8j+r+1   s = round_r(row 8j+r),  r = 0..6                  the 7 Rescue rounds
//! row 8j+7     s[4..8] = id_j                                     the digest
//! rows 8n..N   uniformly random (hiding) or zero (transparent)
//! mask columns uniformly random on every row (hiding only)
//! ```
//!
//! A Rescue round is `s' = MDS·(MDS·s^7 + ARK1)^{1/7} + ARK2`, checked without the 1/7 power as
//!
//! ```text
//! sel · ( MDS·s^7 + ARK1  −  (MDS⁻¹·(s' − ARK2))^7 ) = 0
//! ```
//!
//! where `sel` is a periodic column of cycle N that is 1 on the 7 round rows of every item and 0
//! elsewhere, so the last row of each permutation and all padding rows are unconstrained (cycle 8
//! when permutations fill the trace, which only the transparent layout allows).

use winterfell::crypto::hashers::Rp64_256;
use winterfell::math::fields::f64::BaseElement as Felt;
use winterfell::math::{FieldElement, ToElements};
use winterfell::{
    Air, AirContext, Assertion, EvaluationFrame, ProofOptions, TraceInfo,
    TransitionConstraintDegree,
};

use crate::options::{Hiding, ROWS_PER_ITEM, STATE_WIDTH};
use crate::trace_code::{hash_limbs, TraceId, HASH_BYTES, ID_TAG, KEY_LIMBS};

const ROUNDS: usize = 7;
/// Fiat–Shamir domain separator and version of this statement and its proof options
/// ("yl-stk-3" as a little-endian u64: salted trace and constraint Merkle leaves; "yl-stk-2" was
/// unsalted, "yl-stk-1" the same AIR with 38 queries).
const STATEMENT_TAG: Felt = Felt::new(u64::from_le_bytes(*b"yl-stk-3"));
/// Columns of the initial state that are public: capacity, tag and the two zero rate cells.
const PUBLIC_INIT: [(usize, Felt); 7] = [
    (0, Felt::new(1 + KEY_LIMBS as u64)),
    (1, Felt::new(0)),
    (2, Felt::new(0)),
    (3, Felt::new(0)),
    (4, ID_TAG),
    (10, Felt::new(0)),
    (11, Felt::new(0)),
];
/// Columns holding the digest at the last row of a permutation.
const DIGEST: core::ops::Range<usize> = 4..8;
const NUM_ASSERTIONS: usize = PUBLIC_INIT.len() + DIGEST.end - DIGEST.start;

/// What the verifier knows. All of it seeds Fiat–Shamir, which is what binds a proof to the
/// ciphertexts and the nonce even though no constraint mentions them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicInputs {
    pub ids: Vec<TraceId>,
    pub ciphertext_hashes: Vec<[u8; HASH_BYTES]>,
    pub nonce: [u8; HASH_BYTES],
    pub hiding: Hiding,
}

impl ToElements<Felt> for PublicInputs {
    fn to_elements(&self) -> Vec<Felt> {
        let hiding = match self.hiding {
            Hiding::Padded => 1,
            Hiding::Transparent => 0,
        };
        let mut out = vec![
            STATEMENT_TAG,
            Felt::new(hiding),
            Felt::new(self.ids.len() as u64),
        ];
        out.extend(self.ids.iter().flat_map(|id| id.0));
        out.extend(self.ciphertext_hashes.iter().flat_map(hash_limbs));
        out.extend(hash_limbs(&self.nonce));
        out
    }
}

pub struct RescueAir {
    context: AirContext<Felt>,
    ids: Vec<TraceId>,
}

impl RescueAir {
    /// Items whose permutation fits the trace; the verifier has already checked the shape, this
    /// only keeps a malformed call from indexing past the end.
    fn items(&self) -> usize {
        self.ids.len().min(self.trace_length() / ROWS_PER_ITEM)
    }
}

impl Air for RescueAir {
    type BaseField = Felt;
    type PublicInputs = PublicInputs;

    fn new(trace_info: TraceInfo, pub_inputs: PublicInputs, options: ProofOptions) -> Self {
        let cycle = selector_cycle(pub_inputs.ids.len(), trace_info.length());
        // degree 7 in the trace, times the selector
        let degrees = vec![TransitionConstraintDegree::with_cycles(7, vec![cycle]); STATE_WIDTH];
        let context = AirContext::new(trace_info, degrees, NUM_ASSERTIONS, options);
        RescueAir {
            context,
            ids: pub_inputs.ids,
        }
    }

    fn context(&self) -> &AirContext<Felt> {
        &self.context
    }

    fn evaluate_transition<E: FieldElement + From<Felt>>(
        &self,
        frame: &EvaluationFrame<E>,
        periodic_values: &[E],
        result: &mut [E],
    ) {
        let s = frame.current();
        let s_next = frame.next();
        let sel = periodic_values[0];
        let ark1 = &periodic_values[1..1 + STATE_WIDTH];
        let ark2 = &periodic_values[1 + STATE_WIDTH..1 + 2 * STATE_WIDTH];

        let s7: [E; STATE_WIDTH] = core::array::from_fn(|i| pow7(s[i]));
        let forward = mat_vec(&Rp64_256::MDS, &s7);
        let shifted: [E; STATE_WIDTH] = core::array::from_fn(|i| s_next[i] - ark2[i]);
        let backward = mat_vec(&Rp64_256::INV_MDS, &shifted);

        for i in 0..STATE_WIDTH {
            result[i] = sel * (forward[i] + ark1[i] - pow7(backward[i]));
        }
    }

    fn get_periodic_column_values(&self) -> Vec<Vec<Felt>> {
        let cycle = selector_cycle(self.ids.len(), self.trace_length());
        let mut sel = vec![Felt::ZERO; cycle];
        for item in 0..self.items().min(cycle / ROWS_PER_ITEM) {
            let first = item * ROWS_PER_ITEM;
            sel[first..first + ROUNDS].fill(Felt::ONE);
        }
        // round constants indexed by row mod 8; row 7 of each cycle is never selected
        let round_column = |ark: &[[Felt; STATE_WIDTH]; ROUNDS], i: usize| {
            let mut col = vec![Felt::ZERO; ROWS_PER_ITEM];
            for (r, c) in col.iter_mut().take(ROUNDS).enumerate() {
                *c = ark[r][i];
            }
            col
        };
        let mut columns = vec![sel];
        columns.extend((0..STATE_WIDTH).map(|i| round_column(&Rp64_256::ARK1, i)));
        columns.extend((0..STATE_WIDTH).map(|i| round_column(&Rp64_256::ARK2, i)));
        columns
    }

    /// Only public cells: the constant part of every initial state and every digest. The stride
    /// covers the whole trace, so the prover writes the same public values into the matching
    /// cells of the padding rows (zero digests); key cells of padding rows stay random.
    fn get_assertions(&self) -> Vec<Assertion<Felt>> {
        let slots = self.trace_length() / ROWS_PER_ITEM;
        let mut assertions: Vec<Assertion<Felt>> = PUBLIC_INIT
            .iter()
            .map(|&(col, value)| Assertion::periodic(col, 0, ROWS_PER_ITEM, value))
            .collect();
        for (k, col) in DIGEST.enumerate() {
            let mut values = vec![Felt::ZERO; slots];
            for (v, id) in values.iter_mut().zip(self.ids.iter().take(self.items())) {
                *v = id.0[k];
            }
            assertions.push(Assertion::sequence(
                col,
                ROWS_PER_ITEM - 1,
                ROWS_PER_ITEM,
                values,
            ));
        }
        assertions
    }
}

/// The selector repeats every 8 rows when permutations fill the trace (transparent layout, n a
/// power of two); otherwise its cycle is the whole trace. Declaring the exact cycle keeps the
/// declared constraint degree equal to the real one, which winterfell checks in debug builds.
fn selector_cycle(items: usize, trace_length: usize) -> usize {
    if items * ROWS_PER_ITEM == trace_length {
        ROWS_PER_ITEM
    } else {
        trace_length
    }
}

/// The public cells the prover must also write into padding rows (see `get_assertions`).
pub fn public_init_cells() -> &'static [(usize, Felt)] {
    &PUBLIC_INIT
}

pub fn digest_columns() -> core::ops::Range<usize> {
    DIGEST
}

fn pow7<E: FieldElement>(x: E) -> E {
    let x2 = x.square();
    let x4 = x2.square();
    x4 * x2 * x
}

fn mat_vec<E: FieldElement + From<Felt>>(
    m: &[[Felt; STATE_WIDTH]; STATE_WIDTH],
    v: &[E; STATE_WIDTH],
) -> [E; STATE_WIDTH] {
    core::array::from_fn(|i| {
        m[i].iter()
            .zip(v.iter())
            .fold(E::ZERO, |acc, (&a, &b)| acc + E::from(a) * b)
    })
}

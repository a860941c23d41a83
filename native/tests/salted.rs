//! Salted Merkle leaves (src/salted_merkle.rs): fresh salts per commitment, openings that fail
//! with any salt wrong, swapped or missing, and the retired unsalted format refused by name.

use winter_utils::{Deserializable, Serializable, SliceReader};
use winterfell::crypto::{Hasher as _, VectorCommitment};
use yilian_native::air::PublicInputs;
use yilian_native::options::Hiding;
use yilian_native::prover::{Commitment, Hasher};
use yilian_native::salted_merkle::{salting, SaltedBatchProof, SALT_BYTES};
use yilian_native::trace_code::TraceId;
use yilian_native::verifier::verify;
use yilian_native::{Error, Status};

type Digest = <Hasher as winterfell::crypto::Hasher>::Digest;
type MultiProof = SaltedBatchProof<Hasher>;

fn rows(n: usize) -> Vec<Digest> {
    (0..n as u64)
        .map(|i| Hasher::hash(&i.to_le_bytes()))
        .collect()
}

const OPENED: [usize; 4] = [3, 17, 18, 60];

fn opened(items: &[Digest]) -> Vec<Digest> {
    OPENED.iter().map(|&i| items[i]).collect()
}

fn check(root: Digest, items: &[Digest], proof: &MultiProof) -> bool {
    Commitment::verify_many(root, &OPENED, &opened(items), proof).is_ok()
}

fn reencode(proof: &MultiProof) -> MultiProof {
    MultiProof::read_from(&mut SliceReader::new(&proof.to_bytes())).unwrap()
}

#[test]
fn the_same_rows_committed_twice_give_different_roots() {
    let items = rows(64);
    let a = salting(|| Commitment::new(items.clone())).unwrap();
    let b = salting(|| Commitment::new(items.clone())).unwrap();
    assert_ne!(a.commitment(), b.commitment());
    // control: without salting the root is a function of the rows alone
    let c = Commitment::new(items.clone()).unwrap();
    let d = Commitment::new(items.clone()).unwrap();
    assert_eq!(c.commitment(), d.commitment());
    assert_ne!(a.commitment(), c.commitment());
}

#[test]
fn an_opening_verifies_only_with_its_own_salts() {
    let items = rows(64);
    let tree = salting(|| Commitment::new(items.clone())).unwrap();
    let root = tree.commitment();
    let (values, proof) = tree.open_many(&OPENED).unwrap();
    // the opening returns the committed row digests; the salts travel in the proof
    assert_eq!(values, opened(&items));
    assert_eq!(proof.salts.len(), OPENED.len());
    assert!(check(root, &items, &proof));
    assert!(check(root, &items, &reencode(&proof)));

    let mut wrong = reencode(&proof);
    wrong.salts[2][SALT_BYTES - 1] ^= 1;
    assert!(!check(root, &items, &wrong), "a wrong salt");

    let mut swapped = reencode(&proof);
    swapped.salts.swap(0, 1);
    assert!(!check(root, &items, &swapped), "two salts swapped");

    let mut short = reencode(&proof);
    short.salts.pop();
    assert!(!check(root, &items, &short), "a salt missing");

    let mut none = reencode(&proof);
    none.salts.clear();
    assert!(!check(root, &items, &none), "read as an unsalted opening");

    // the right salts for other rows
    let mut other = items.clone();
    other[17] = Hasher::hash(b"another row");
    assert!(
        !check(root, &other, &proof),
        "another row under the opened salt"
    );
}

#[test]
fn a_truncated_or_inflated_opening_does_not_parse() {
    let items = rows(64);
    let tree = salting(|| Commitment::new(items)).unwrap();
    let bytes = tree.open_many(&OPENED).unwrap().1.to_bytes();
    for len in [0, 1, SALT_BYTES, bytes.len() - 1] {
        let mut reader = SliceReader::new(&bytes[..len]);
        assert!(
            MultiProof::read_from(&mut reader).is_err(),
            "truncated to {len}"
        );
    }
    // a salt count as a 9-byte varint (first byte 0x00) claiming ~2^64 salts is refused by the
    // bytes left, before anything is allocated for it
    let mut inflated = vec![0u8];
    inflated.extend_from_slice(&u64::MAX.to_le_bytes());
    inflated.extend_from_slice(&bytes[1..]);
    assert!(MultiProof::read_from(&mut SliceReader::new(&inflated)).is_err());
}

#[test]
fn single_openings_carry_their_salt() {
    let items = rows(16);
    let tree = salting(|| Commitment::new(items.clone())).unwrap();
    let (value, path) = tree.open(5).unwrap();
    assert_eq!(value, items[5]);
    let path =
        <Commitment as VectorCommitment<Hasher>>::Proof::read_from_bytes(&path.to_bytes()).unwrap();
    assert!(Commitment::verify(tree.commitment(), 5, value, &path).is_ok());
    let mut wrong = path.clone();
    wrong.salt = wrong.salt.map(|mut s| {
        s[0] ^= 1;
        s
    });
    assert!(Commitment::verify(tree.commitment(), 5, value, &wrong).is_err());
}

/// A proof of the previous format (`yl-stk-2`, unsalted leaves), kept from
/// precompiled/test/vectors/trace-proof.json before it was regenerated.
#[test]
fn a_yl_stk_2_proof_is_refused_by_name() {
    let vector: serde_json::Value =
        serde_json::from_str(include_str!("vectors/yl-stk-2-proof.json")).unwrap();
    let hex = |key: &str| -> Vec<u8> {
        let text = vector[key].as_str().unwrap();
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    };
    let statement = PublicInputs {
        ids: vec![TraceId::from_bytes(&hex("id")).unwrap()],
        ciphertext_hashes: vec![hex("ciphertextHash").try_into().unwrap()],
        nonce: hex("nonce").try_into().unwrap(),
        hiding: Hiding::Padded,
    };
    let result = verify(&hex("proof"), statement);
    assert_eq!(
        result,
        Err(Error::ObsoleteProof("yl-stk-2 (unsalted Merkle leaves)"))
    );
    let error = result.unwrap_err();
    assert_eq!(error.status(), Status::WrongOptions);
    assert_eq!(
        error.to_string(),
        "proof is in the retired format yl-stk-2 (unsalted Merkle leaves); this verifier accepts \
         yl-stk-3 proofs only"
    );
}

/// Salting is the verifier's rule, not the prover's choice: a proof whose trace opening has its
/// salts stripped (re-encoded as a well-formed unsalted opening) is refused, and so is one whose
/// FRI layers would carry salts.
#[test]
fn the_verifier_decides_which_openings_carry_salts() {
    use winter_air::proof::Queries;
    use winterfell::math::fields::f64::BaseElement as Felt;
    use winterfell::Proof;
    use yilian_native::options::{Layout, BLOWUP};
    use yilian_native::prover::{prove, Item};
    use yilian_native::trace_code::TraceCode;

    let items = vec![Item {
        code: TraceCode::random(),
        ciphertext_hash: [5; 32],
    }];
    let nonce = [6; 32];
    let statement = PublicInputs {
        ids: items.iter().map(|item| item.code.id()).collect(),
        ciphertext_hashes: vec![[5; 32]],
        nonce,
        hiding: Hiding::Padded,
    };
    let bytes = prove(&items, &nonce, Hiding::Padded).unwrap();
    assert_eq!(verify(&bytes, statement.clone()), Ok(()));

    let layout = Layout::new(1, Hiding::Padded).unwrap();
    let mut proof = Proof::from_bytes(&bytes).unwrap();
    // Queries = usize(values.len) ‖ values ‖ …: one row of `width` 8-byte elements per position
    let encoded = proof.trace_queries[0].to_bytes();
    let mut reader = SliceReader::new(&encoded);
    let positions = winter_utils::ByteReader::read_usize(&mut reader).unwrap() / (8 * layout.width);
    let (opening, table) = proof.trace_queries[0]
        .clone()
        .parse::<Felt, Hasher, Commitment>(layout.trace_length * BLOWUP, positions, layout.width)
        .unwrap();
    let rows: Vec<Vec<Felt>> = table.rows().map(|row| row.to_vec()).collect();
    let stripped = MultiProof {
        salts: Vec::new(),
        paths: opening.paths,
    };
    proof.trace_queries[0] = Queries::new::<Hasher, Felt, Commitment>(stripped, rows);
    assert_eq!(
        verify(&proof.to_bytes(), statement.clone()),
        Err(Error::MalformedProof)
    );

    // the first FRI layer's opening with one salt put in front of it
    let mut salted_fri = bytes.clone();
    let fri = Proof::from_bytes(&bytes).unwrap().fri_proof.to_bytes();
    let at = bytes.windows(fri.len()).position(|w| w == fri).unwrap();
    // FriProof = u8 layers ‖ u32 values.len ‖ values ‖ u32 paths.len ‖ paths (salt count first)
    let values = u32::from_le_bytes(fri[1..5].try_into().unwrap()) as usize;
    let paths_len_at = at + 5 + values;
    let paths_len = u32::from_le_bytes(bytes[paths_len_at..paths_len_at + 4].try_into().unwrap());
    // winterfell's varint: the low bits count the extra bytes, so 0x01 is 0 and 0x03 is 1
    assert_eq!(bytes[paths_len_at + 4], 0x01, "FRI openings carry no salts");
    salted_fri.splice(
        paths_len_at..paths_len_at + 5,
        (paths_len + SALT_BYTES as u32)
            .to_le_bytes()
            .into_iter()
            .chain([0x03])
            .chain([7; SALT_BYTES]),
    );
    assert_eq!(verify(&salted_fri, statement), Err(Error::MalformedProof));
}

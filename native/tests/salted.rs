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

//! Soundness and binding of the trace-code proof, and the trace-code encoding.

use winter_air::proof::Context;
use winterfell::math::fields::f64::BaseElement as Felt;
use winterfell::math::StarkField;
use winterfell::TraceInfo;
use winterfell::{BatchingMethod, FieldExtension, Proof, ProofOptions};
use yilian_native::air::PublicInputs;
use yilian_native::options::{
    proof_options, Hiding, Layout, EXTENSION_DEGREE, MASK_COLUMNS, MAX_ITEMS, MAX_TRACE_LENGTH,
    MIN_RANDOM_ROWS, NUM_QUERIES,
};
use yilian_native::prover::{prove, Hasher, Item};
use yilian_native::salted_merkle::SALT_BYTES;
use yilian_native::trace_code::{TraceCode, TraceId};
use yilian_native::verifier::verify;
use yilian_native::Error;

fn item(seed: u8) -> Item {
    let mut bytes = [0u8; 20];
    bytes
        .iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = seed.wrapping_mul(31).wrapping_add(i as u8));
    Item {
        code: TraceCode::from_bytes(bytes),
        ciphertext_hash: [seed; 32],
    }
}

fn public(items: &[Item], nonce: [u8; 32], hiding: Hiding) -> PublicInputs {
    PublicInputs {
        ids: items.iter().map(|i| i.code.id()).collect(),
        ciphertext_hashes: items.iter().map(|i| i.ciphertext_hash).collect(),
        nonce,
        hiding,
    }
}

const NONCE: [u8; 32] = [7; 32];

fn single() -> (Vec<Item>, Vec<u8>) {
    let items = vec![item(1)];
    let proof = prove(&items, &NONCE, Hiding::Padded).unwrap();
    (items, proof)
}

#[test]
fn single_item_proves_and_verifies_at_100_proven_and_128_conjectured_bits() {
    let (items, proof) = single();
    verify(&proof, public(&items, NONCE, Hiding::Padded)).unwrap();
    let parsed = Proof::from_bytes(&proof).unwrap();
    assert!(parsed.proven_security::<Hasher>().ldr_bits() >= 100);
    assert!(parsed.conjectured_security::<Hasher>().bits() >= 128);
    assert_eq!(parsed.trace_info().length(), 256);
    let random_rows = parsed.trace_info().length() - 8;
    assert!(random_rows >= MIN_RANDOM_ROWS, "{random_rows} random rows");
}

#[test]
fn proof_for_one_key_fails_for_another_id() {
    let (items, proof) = single();
    let mut other = public(&items, NONCE, Hiding::Padded);
    other.ids[0] = item(2).code.id();
    assert_eq!(verify(&proof, other), Err(Error::ProofRejected));
}

#[test]
fn proof_is_bound_to_the_ciphertext_hash() {
    let (items, proof) = single();
    let mut other = public(&items, NONCE, Hiding::Padded);
    other.ciphertext_hashes[0][31] ^= 1;
    assert_eq!(verify(&proof, other), Err(Error::ProofRejected));
}

#[test]
fn proof_is_bound_to_the_nonce() {
    let (items, proof) = single();
    let mut nonce = NONCE;
    nonce[0] ^= 0x80;
    assert_eq!(
        verify(&proof, public(&items, nonce, Hiding::Padded)),
        Err(Error::ProofRejected)
    );
}

/// Every byte, one bit each (cycling through the 8 bit positions). Besides rejection this is the
/// regression test for winterfell sizing allocations from proof counts: a flip in a length field
/// used to request ~300 GB and abort the whole test process.
#[test]
fn flipped_bytes_are_rejected() {
    let (single_items, single_proof) = single();
    // a batch: its openings, assertions and FRI layers are shaped by the item count
    let batch_items: Vec<Item> = (20..23).map(item).collect();
    let batch_proof = prove(&batch_items, &NONCE, Hiding::Padded).unwrap();
    for (items, proof) in [(single_items, single_proof), (batch_items, batch_proof)] {
        let statement = public(&items, NONCE, Hiding::Padded);
        verify(&proof, statement.clone()).unwrap();
        for pos in 0..proof.len() {
            let mut bad = proof.clone();
            bad[pos] ^= 1 << (pos % 8);
            let result = verify(&bad, statement.clone());
            assert!(
                result.is_err(),
                "{} items: flipping byte {pos} was accepted",
                items.len()
            );
        }
    }
}

#[test]
fn truncated_and_extended_proofs_are_rejected() {
    let (items, proof) = single();
    for len in [0, 1, proof.len() / 2, proof.len() - 1] {
        let result = verify(&proof[..len], public(&items, NONCE, Hiding::Padded));
        assert_eq!(result, Err(Error::MalformedProof), "truncated to {len}");
    }
    let mut extended = proof.clone();
    extended.push(0);
    assert_eq!(
        verify(&extended, public(&items, NONCE, Hiding::Padded)),
        Err(Error::MalformedProof)
    );
}

#[test]
fn other_options_are_rejected() {
    let (items, proof) = single();
    let weaker = [
        // the options of the previous version ("yl-stk-1": 72 proven bits)
        ProofOptions::new(
            38,
            8,
            16,
            FieldExtension::Cubic,
            2,
            127,
            BatchingMethod::Linear,
            BatchingMethod::Linear,
        ),
        ProofOptions::new(
            20,
            8,
            16,
            FieldExtension::Cubic,
            2,
            127,
            BatchingMethod::Linear,
            BatchingMethod::Linear,
        ),
        ProofOptions::new(
            NUM_QUERIES,
            8,
            0,
            FieldExtension::Cubic,
            2,
            127,
            BatchingMethod::Linear,
            BatchingMethod::Linear,
        ),
        ProofOptions::new(
            NUM_QUERIES,
            8,
            16,
            FieldExtension::Quadratic,
            2,
            127,
            BatchingMethod::Linear,
            BatchingMethod::Linear,
        ),
        ProofOptions::new(
            NUM_QUERIES,
            8,
            16,
            FieldExtension::Cubic,
            4,
            127,
            BatchingMethod::Linear,
            BatchingMethod::Linear,
        ),
    ];
    for options in weaker {
        assert_ne!(options, proof_options());
        let mut parsed = Proof::from_bytes(&proof).unwrap();
        parsed.context =
            winter_air::proof::Context::new::<Felt>(parsed.trace_info().clone(), options, 23);
        let result = verify(&parsed.to_bytes(), public(&items, NONCE, Hiding::Padded));
        assert_eq!(result, Err(Error::WrongOptions));
    }
    // a transparent (unpadded) proof has another trace shape
    let transparent = prove(&items, &NONCE, Hiding::Transparent).unwrap();
    assert_eq!(
        verify(&transparent, public(&items, NONCE, Hiding::Padded)),
        Err(Error::WrongOptions)
    );
    verify(&transparent, public(&items, NONCE, Hiding::Transparent)).unwrap();
}

#[test]
fn batch_proves_every_item() {
    let items: Vec<Item> = (10..15).map(item).collect();
    let proof = prove(&items, &NONCE, Hiding::Padded).unwrap();
    verify(&proof, public(&items, NONCE, Hiding::Padded)).unwrap();

    let mut swapped = public(&items, NONCE, Hiding::Padded);
    swapped.ciphertext_hashes.swap(1, 2);
    assert_eq!(verify(&proof, swapped), Err(Error::ProofRejected));

    let mut foreign = public(&items, NONCE, Hiding::Padded);
    foreign.ids[4] = item(99).code.id();
    assert_eq!(verify(&proof, foreign), Err(Error::ProofRejected));

    let fewer: Vec<Item> = (10..14).map(item).collect();
    assert!(verify(&proof, public(&fewer, NONCE, Hiding::Padded)).is_err());

    let mut mismatched = public(&items, NONCE, Hiding::Padded);
    mismatched.ciphertext_hashes.pop();
    assert!(matches!(
        verify(&proof, mismatched),
        Err(Error::BadLength { .. })
    ));
}

#[test]
fn batch_layouts() {
    let padded = |n| Layout::new(n, Hiding::Padded).unwrap().trace_length;
    assert_eq!(padded(1), 256);
    assert_eq!(padded(16), 512);
    assert_eq!(padded(256), 4096);
    assert_eq!(padded(MAX_ITEMS), MAX_TRACE_LENGTH);
    // the cap is the largest batch that fits: one more item would double the trace
    assert!(8 * (MAX_ITEMS + 1) + MIN_RANDOM_ROWS > MAX_TRACE_LENGTH);
    assert_eq!(Layout::new(1, Hiding::Transparent).unwrap().trace_length, 8);
    // the mask count is enough only from N = (e + 1)(q + 2e) − e on (docs/formats.md § Hiding)
    assert!(padded(1) >= MASK_COLUMNS * (NUM_QUERIES + 2 * EXTENSION_DEGREE) - EXTENSION_DEGREE);
    assert_eq!(MASK_COLUMNS, EXTENSION_DEGREE + 1);
    // the linear criterion's minimum: q + 2e random cells in column 4, whose padding groups pin
    // 2 of every 8 cells (the zk.rs criterion, run with MIN_RANDOM_ROWS set by hand: 88 hides,
    // 80 leaks)
    let linear = ((NUM_QUERIES + 2 * EXTENSION_DEGREE) * 8)
        .div_ceil(6)
        .next_multiple_of(8);
    assert_eq!(linear, 88);
    assert!(MIN_RANDOM_ROWS >= linear);
    assert_eq!(Layout::new(0, Hiding::Padded), Err(Error::BadBatchSize(0)));
    assert_eq!(
        Layout::new(MAX_ITEMS + 1, Hiding::Padded),
        Err(Error::BadBatchSize(MAX_ITEMS + 1))
    );
}

/// winterfell's own estimates for every trace length a batch can take: the proven (list-decoding)
/// bound depends on the trace length, so the smallest and the largest are both checked.
#[test]
fn every_batch_layout_has_100_proven_and_128_conjectured_bits() {
    let layout = Layout::new(MAX_ITEMS, Hiding::Padded).unwrap();
    let mut n = Layout::new(1, Hiding::Padded).unwrap().trace_length;
    while n <= layout.trace_length {
        let mut proof = Proof::new_dummy();
        // 12 transition constraints and 12 assertion columns (linear batching: the count only
        // matters to algebraic batching)
        proof.context = Context::new::<Felt>(TraceInfo::new(layout.width, n), proof_options(), 24);
        let proven = proof.proven_security::<Hasher>().ldr_bits();
        let conjectured = proof.conjectured_security::<Hasher>().bits();
        assert!(proven >= 100, "N = {n}: {proven} proven bits");
        assert_eq!(conjectured, 128, "N = {n}");
        n *= 2;
    }
}

#[test]
fn trace_code_text_round_trips_and_decodes_canonically() {
    let code = item(3).code;
    let text = code.to_string();
    assert_eq!(text.len(), 35);
    assert_eq!(TraceCode::parse(&text).unwrap(), code);
    let sloppy = text
        .to_lowercase()
        .replace('-', "")
        .replace('0', "o")
        .replace('1', "l");
    assert_eq!(TraceCode::parse(&sloppy).unwrap(), code);
    assert_eq!(
        TraceCode::parse("00000000-00000000-00000000-0000000Z").unwrap(),
        TraceCode::from_bytes({
            let mut b = [0u8; 20];
            b[19] = 31;
            b
        })
    );
    assert!(matches!(
        TraceCode::parse(&text[..34]),
        Err(Error::BadTraceCode(_))
    ));
    assert!(matches!(
        TraceCode::parse(&format!("{text}0")),
        Err(Error::BadTraceCode(_))
    ));
    assert!(matches!(
        TraceCode::parse(&text.replace(&text[..1], "U")),
        Err(Error::BadTraceCode(_))
    ));
    assert_eq!(format!("{code:?}"), "TraceCode(..)");
}

#[test]
fn trace_id_matches_rp64_256_and_rejects_non_canonical_bytes() {
    use winterfell::crypto::{hashers::Rp64_256, ElementHasher};
    let code = item(4).code;
    let mut message = vec![yilian_native::trace_code::ID_TAG];
    message.extend(code.limbs());
    let digest = Rp64_256::hash_elements(&message);
    assert_eq!(code.id().0.as_slice(), digest.as_elements());
    let bytes: [u8; 32] = digest.into();
    assert_eq!(code.id().to_bytes(), bytes);
    assert_eq!(TraceId::from_bytes(&bytes).unwrap(), code.id());

    let mut high = bytes;
    high[..8].copy_from_slice(&Felt::MODULUS.to_le_bytes());
    assert_eq!(TraceId::from_bytes(&high), Err(Error::BadTraceId));
    assert!(matches!(
        TraceId::from_bytes(&bytes[..31]),
        Err(Error::BadLength { .. })
    ));
}

/// A count read as a 9-byte varint (first byte 0x00) claims billions of elements: the salt count
/// of an opening, or the vector count of its Merkle multiproof. winterfell would allocate for the
/// vectors up front and abort the process; both are refused by the bytes left.
#[test]
fn huge_counts_inside_openings_are_refused_before_allocation() {
    let (items, proof) = single();
    let counts = salt_counts(&proof)
        .into_iter()
        .flat_map(|(salts_at, salts)| {
            // the multiproof follows the salts: u8 depth, then its vector count
            let depth_at = salts_at + vint_len(proof[salts_at]) + salts * SALT_BYTES;
            [salts_at, depth_at + 1]
        });
    for count_at in counts {
        let mut bad = proof.clone();
        bad[count_at] = 0x00;
        assert_eq!(
            verify(&bad, public(&items, NONCE, Hiding::Padded)),
            Err(Error::MalformedProof)
        );
    }
}

/// Each salt is bound to its own leaf: swapping two salts of the trace opening, or of the
/// constraint opening, breaks the proof (the bit-flip test above covers single salt bits).
#[test]
fn swapped_salts_are_rejected() {
    let (items, proof) = single();
    for (salts_at, salts) in salt_counts(&proof) {
        assert!(salts >= 2);
        let first = salts_at + vint_len(proof[salts_at]);
        let mut bad = proof.clone();
        let (a, b) = bad[first..first + 2 * SALT_BYTES].split_at_mut(SALT_BYTES);
        a.swap_with_slice(b);
        assert_ne!(bad, proof);
        assert_eq!(
            verify(&bad, public(&items, NONCE, Hiding::Padded)),
            Err(Error::ProofRejected)
        );
    }
}

/// Where the salt count of the trace and of the constraint opening sits in `proof`, and its value.
fn salt_counts(proof: &[u8]) -> Vec<(usize, usize)> {
    use winter_utils::Serializable;
    let parsed = Proof::from_bytes(proof).unwrap();
    [&parsed.trace_queries[0], &parsed.constraint_queries]
        .into_iter()
        .map(|queries| {
            let encoded = queries.to_bytes();
            let at = proof
                .windows(encoded.len())
                .position(|w| w == encoded.as_slice())
                .unwrap();
            // Queries = usize(values.len) ‖ values ‖ usize(paths.len) ‖ paths;
            // paths = usize(salt count) ‖ salts ‖ u8 depth ‖ usize vector count ‖ …
            let mut r = 0usize;
            let values = read_vint(&encoded, &mut r);
            r += values;
            read_vint(&encoded, &mut r);
            let salts_at = r;
            (at + salts_at, read_vint(&encoded, &mut r))
        })
        .collect()
}

fn vint_len(b: u8) -> usize {
    if b == 0 {
        9
    } else {
        b.trailing_zeros() as usize + 1
    }
}

fn read_vint(bytes: &[u8], at: &mut usize) -> usize {
    let n = vint_len(bytes[*at]);
    let mut buf = [0u8; 8];
    if n == 9 {
        buf.copy_from_slice(&bytes[*at + 1..*at + 9]);
        *at += 9;
        u64::from_le_bytes(buf) as usize
    } else {
        buf[..n].copy_from_slice(&bytes[*at..*at + n]);
        *at += n;
        (u64::from_le_bytes(buf) >> n) as usize
    }
}

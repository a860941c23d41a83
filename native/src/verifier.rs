//! Verification with everything fixed on the verifier's side: options, trace length and width
//! come from [`crate::options`] and the number of public items, never from the proof.

use winterfell::{AcceptableOptions, VerifierError};

use crate::air::{PublicInputs, RescueAir};
use crate::options::{proof_options, Layout};
use crate::prover::{Coin, Commitment, Hasher};
use crate::{boundary, proof_bytes, Error};

pub fn verify(proof_bytes: &[u8], pub_inputs: PublicInputs) -> Result<(), Error> {
    let layout = Layout::new(pub_inputs.ids.len(), pub_inputs.hiding)?;
    if pub_inputs.ciphertext_hashes.len() != layout.items {
        return Err(Error::BadLength {
            what: "ciphertext hashes (items)",
            expected: layout.items,
            actual: pub_inputs.ciphertext_hashes.len(),
        });
    }
    // winterfell's deserialisers assert on inconsistent fields: bytes that make them panic are a
    // malformed proof, refused like any other
    let proof = boundary::catch(Error::MalformedProof, || proof_bytes::parse(proof_bytes))?;
    // insisting on the canonical encoding makes the bytes of an accepted proof unique, so whoever
    // deduplicates by proof hash is not fooled by re-encodings
    if proof.to_bytes() != proof_bytes {
        return Err(Error::MalformedProof);
    }

    let expected = proof_options();
    let info = proof.trace_info();
    if proof.options() != &expected
        || info.length() != layout.trace_length
        || info.main_trace_width() != layout.width
        || info.is_multi_segment()
        || !info.meta().is_empty()
    {
        return Err(Error::WrongOptions);
    }

    let acceptable = AcceptableOptions::OptionSet(vec![expected]);
    // a proof that parses but whose parts disagree in a way winterfell asserts on is malformed too
    boundary::catch(Error::MalformedProof, || {
        winterfell::verify::<RescueAir, Hasher, Coin, Commitment>(proof, pub_inputs, &acceptable)
            .map_err(|e| match e {
                VerifierError::UnacceptableProofOptions => Error::WrongOptions,
                _ => Error::ProofRejected,
            })
    })
}

//! Parsing proof bytes without letting them size an allocation.
//!
//! winterfell 0.13 reads a count from the proof and calls `Vec::with_capacity(count)` before
//! reading the elements (`ByteReader::read_many`, `BatchMerkleProof::read_from`). One flipped
//! bit can then ask for hundreds of gigabytes, and an allocation failure aborts the process —
//! `catch_unwind` cannot stop it, and the process is a chain node. So the top-level proof is read
//! through [`BoundedReader`], which refuses any count larger than the bytes left, and every
//! opening inside it (salts and batch Merkle proof, parsed later by the verifier with
//! winterfell's own reader) is walked here first with the same rule.

use winter_utils::{ByteReader, Deserializable, DeserializationError, Serializable};
use winterfell::Proof;

use crate::prover::Hasher;
use crate::salted_merkle::read_salts;
use crate::Error;

const DIGEST_BYTES: usize = core::mem::size_of::<<Hasher as winterfell::crypto::Hasher>::Digest>();

pub fn parse(bytes: &[u8]) -> Result<Proof, Error> {
    let malformed = |_| Error::MalformedProof;
    let mut reader = BoundedReader::new(bytes);
    let proof = Proof::read_from(&mut reader).map_err(malformed)?;
    if reader.has_more_bytes() {
        return Err(Error::MalformedProof);
    }
    // the openings (salts and batch Merkle proof) of the trace, the constraints, each FRI layer
    let mut openings: Vec<(Vec<u8>, Salts)> = Vec::new();
    for queries in proof
        .trace_queries
        .iter()
        .chain(core::iter::once(&proof.constraint_queries))
    {
        // Queries: values (usize length + bytes), then the opening proof (usize length + bytes)
        let encoded = queries.to_bytes();
        let mut r = BoundedReader::new(&encoded);
        let values = r.read_usize().map_err(malformed)?;
        r.read_slice(values).map_err(malformed)?;
        let paths = r.read_usize().map_err(malformed)?;
        openings.push((
            r.read_slice(paths).map_err(malformed)?.to_vec(),
            Salts::Required,
        ));
    }
    // FriProof: u8 layer count, each layer (u32 length + values, u32 length + paths), remainder
    let encoded = proof.fri_proof.to_bytes();
    let mut r = BoundedReader::new(&encoded);
    let layers = r.read_u8().map_err(malformed)?;
    for _ in 0..layers {
        let values = r.read_u32().map_err(malformed)? as usize;
        r.read_slice(values).map_err(malformed)?;
        let paths = r.read_u32().map_err(malformed)? as usize;
        openings.push((
            r.read_slice(paths).map_err(malformed)?.to_vec(),
            Salts::None,
        ));
    }

    if openings
        .iter()
        .all(|(bytes, rule)| check_opening(bytes, *rule).is_ok())
    {
        return Ok(proof);
    }
    // Before "yl-stk-3" every opening was a bare batch Merkle proof (unsalted leaves). Such a
    // proof is named as what it is, so its sender knows to upgrade rather than hunt for a bit flip.
    if openings
        .iter()
        .all(|(bytes, _)| check_batch_merkle_proof(bytes).is_ok())
    {
        return Err(Error::ObsoleteProof("yl-stk-2 (unsalted Merkle leaves)"));
    }
    Err(Error::MalformedProof)
}

/// Which openings carry salts is fixed here, not by the proof: the trace and constraint
/// openings must (their unopened rows are what the salts hide), the FRI layers must not (their
/// leaves are functions of the DEEP polynomial, which the mask columns hide; see
/// docs/formats.md § Hiding). The salts' count against the opened values is checked by
/// `SaltedMerkleTree::verify_many`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Salts {
    Required,
    None,
}

/// `SaltedBatchProof` encoding: usize salt count and the salts, then the `BatchMerkleProof`.
fn check_opening(bytes: &[u8], rule: Salts) -> Result<(), DeserializationError> {
    let mut r = BoundedReader::new(bytes);
    let salts = read_salts(&mut r)?;
    if salts.is_empty() == (rule == Salts::Required) {
        return Err(DeserializationError::InvalidValue("salts".into()));
    }
    check_batch_merkle_proof(&bytes[r.pos..])
}

/// `BatchMerkleProof` encoding: u8 depth, usize vector count, then per vector a usize digest
/// count and the digests; nothing after them.
fn check_batch_merkle_proof(bytes: &[u8]) -> Result<(), DeserializationError> {
    let mut r = BoundedReader::new(bytes);
    r.read_u8()?;
    let vectors = r.read_usize()?;
    r.check_eor(vectors)?;
    for _ in 0..vectors {
        let digests = r.read_usize()?;
        r.read_slice(
            digests
                .checked_mul(DIGEST_BYTES)
                .ok_or(DeserializationError::UnexpectedEOF)?,
        )?;
    }
    if r.has_more_bytes() {
        return Err(DeserializationError::UnconsumedBytes);
    }
    Ok(())
}

struct BoundedReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> BoundedReader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        BoundedReader { bytes, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
}

impl ByteReader for BoundedReader<'_> {
    fn read_u8(&mut self) -> Result<u8, DeserializationError> {
        let byte = self.peek_u8()?;
        self.pos += 1;
        Ok(byte)
    }

    fn peek_u8(&self) -> Result<u8, DeserializationError> {
        self.bytes
            .get(self.pos)
            .copied()
            .ok_or(DeserializationError::UnexpectedEOF)
    }

    fn read_slice(&mut self, len: usize) -> Result<&[u8], DeserializationError> {
        self.check_eor(len)?;
        let slice = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Ok(slice)
    }

    fn read_array<const N: usize>(&mut self) -> Result<[u8; N], DeserializationError> {
        let slice = self.read_slice(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn check_eor(&self, num_bytes: usize) -> Result<(), DeserializationError> {
        if num_bytes > self.remaining() {
            return Err(DeserializationError::UnexpectedEOF);
        }
        Ok(())
    }

    fn has_more_bytes(&self) -> bool {
        self.pos < self.bytes.len()
    }

    /// Every element of a proof takes at least one byte, so more elements than bytes left is
    /// malformed — refused before anything is allocated.
    fn read_many<D: Deserializable>(
        &mut self,
        num_elements: usize,
    ) -> Result<Vec<D>, DeserializationError> {
        if num_elements > self.remaining() {
            return Err(DeserializationError::UnexpectedEOF);
        }
        let mut out = Vec::with_capacity(num_elements);
        for _ in 0..num_elements {
            out.push(D::read_from(self)?);
        }
        Ok(out)
    }
}

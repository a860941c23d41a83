//! Parsing proof bytes without letting them size an allocation.
//!
//! winterfell 0.13 reads a count from the proof and calls `Vec::with_capacity(count)` before
//! reading the elements (`ByteReader::read_many`, `BatchMerkleProof::read_from`). One flipped
//! bit can then ask for hundreds of gigabytes, and an allocation failure aborts the process —
//! `catch_unwind` cannot stop it, and the process is a chain node. So the top-level proof is read
//! through [`BoundedReader`], which refuses any count larger than the bytes left, and every
//! batch Merkle proof inside it (parsed later by the verifier with winterfell's own reader) is
//! walked here first with the same rule.

use winter_utils::{ByteReader, Deserializable, DeserializationError, Serializable};
use winterfell::Proof;

use crate::prover::Hasher;
use crate::Error;

const DIGEST_BYTES: usize = core::mem::size_of::<<Hasher as winterfell::crypto::Hasher>::Digest>();

pub fn parse(bytes: &[u8]) -> Result<Proof, Error> {
    let mut reader = BoundedReader::new(bytes);
    let proof = Proof::read_from(&mut reader).map_err(|_| Error::MalformedProof)?;
    if reader.has_more_bytes() {
        return Err(Error::MalformedProof);
    }
    for queries in proof
        .trace_queries
        .iter()
        .chain(core::iter::once(&proof.constraint_queries))
    {
        // Queries: values (usize length + bytes), then the opening proof (usize length + bytes)
        let encoded = queries.to_bytes();
        let mut r = BoundedReader::new(&encoded);
        let values = r.read_usize().map_err(|_| Error::MalformedProof)?;
        r.read_slice(values).map_err(|_| Error::MalformedProof)?;
        let paths = r.read_usize().map_err(|_| Error::MalformedProof)?;
        check_batch_merkle_proof(r.read_slice(paths).map_err(|_| Error::MalformedProof)?)?;
    }
    // FriProof: u8 layer count, each layer (u32 length + values, u32 length + paths), remainder
    let encoded = proof.fri_proof.to_bytes();
    let mut r = BoundedReader::new(&encoded);
    let layers = r.read_u8().map_err(|_| Error::MalformedProof)?;
    for _ in 0..layers {
        let values = r.read_u32().map_err(|_| Error::MalformedProof)? as usize;
        r.read_slice(values).map_err(|_| Error::MalformedProof)?;
        let paths = r.read_u32().map_err(|_| Error::MalformedProof)? as usize;
        check_batch_merkle_proof(r.read_slice(paths).map_err(|_| Error::MalformedProof)?)?;
    }
    Ok(proof)
}

/// `BatchMerkleProof` encoding: u8 depth, usize vector count, then per vector a usize digest
/// count and the digests.
fn check_batch_merkle_proof(bytes: &[u8]) -> Result<(), Error> {
    let malformed = |_| Error::MalformedProof;
    let mut r = BoundedReader::new(bytes);
    r.read_u8().map_err(malformed)?;
    let vectors = r.read_usize().map_err(malformed)?;
    if vectors > r.remaining() {
        return Err(Error::MalformedProof);
    }
    for _ in 0..vectors {
        let digests = r.read_usize().map_err(malformed)?;
        if digests > r.remaining() / DIGEST_BYTES {
            return Err(Error::MalformedProof);
        }
        r.read_slice(digests * DIGEST_BYTES).map_err(malformed)?;
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

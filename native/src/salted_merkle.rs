//! A Merkle tree over salted leaves, plugged into winterfell 0.13 as its `VectorCommitment`.
//!
//! winterfell hashes each committed row itself and hands the row digests `d_i` to
//! `VectorCommitment::new`; its verifier recomputes `d_i` from the opened rows and calls
//! `verify_many`. A salted tree commits to `leaf_i = H(salt_i ‖ d_i)` with a fresh uniformly
//! random salt per leaf, and an opening carries the salts of the opened leaves. The Merkle
//! siblings of an opened leaf are then hashes of salted values the proof never reveals, no longer
//! deterministic hashes of unopened rows that a guess about the trace could be checked against.
//!
//! One `VectorCommitment` type serves the trace, the constraint (quotient) commitment and every
//! FRI layer (`Prover::VC`, winterfell's `verify::<…, VC>`), and `new` cannot tell them apart.
//! So salting is switched on per thread around the commitments that need it ([`salting`]), and
//! an opening without salts verifies the plain way; which commitments must carry salts is the
//! verifier's rule, enforced while parsing (`proof_bytes.rs`), never the proof's choice.

use std::cell::Cell;

use rand::Rng;
use winter_utils::{ByteReader, ByteWriter, Deserializable, DeserializationError, Serializable};
use winterfell::crypto::{
    BatchMerkleProof, Digest, Hasher, MerkleTree, MerkleTreeError, VectorCommitment,
};

/// 128-bit salts: testing a guess about an unopened row against its leaf means finding its salt,
/// 2^128 hashes, which matches the proof's 128-bit conjectured security and Blake3_256's 128-bit
/// collision resistance; 32 bytes would cost 16 more bytes per opened leaf and buy nothing
/// beyond those limits.
pub const SALT_BYTES: usize = 16;
pub type Salt = [u8; SALT_BYTES];

thread_local! {
    static SALTING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `build` with every tree committed on this thread salted. winterfell builds the trace and
/// the constraint commitment on the calling thread inside the prover's own `new_trace_lde` and
/// `build_constraint_commitment`, which is where this wraps it.
pub fn salting<T>(build: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SALTING.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SALTING.with(|s| s.replace(true)));
    build()
}

fn salted_leaf<H: Hasher>(salt: &Salt, item: &H::Digest) -> H::Digest {
    let mut bytes = [0u8; SALT_BYTES + 32];
    bytes[..SALT_BYTES].copy_from_slice(salt);
    bytes[SALT_BYTES..].copy_from_slice(&item.as_bytes());
    H::hash(&bytes)
}

fn leaves<H: Hasher>(
    salts: &[Salt],
    items: &[H::Digest],
) -> Result<Vec<H::Digest>, MerkleTreeError> {
    match salts.len() {
        0 => Ok(items.to_vec()),
        n if n == items.len() => Ok(salts
            .iter()
            .zip(items)
            .map(|(salt, item)| salted_leaf::<H>(salt, item))
            .collect()),
        _ => Err(MerkleTreeError::InvalidProof),
    }
}

#[derive(Debug)]
pub struct SaltedMerkleTree<H: Hasher> {
    tree: MerkleTree<H>,
    items: Vec<H::Digest>,
    /// one per leaf, or none for an unsalted tree
    salts: Vec<Salt>,
}

impl<H: Hasher> SaltedMerkleTree<H> {
    fn salts_at(&self, indexes: &[usize]) -> Vec<Salt> {
        if self.salts.is_empty() {
            return Vec::new();
        }
        indexes.iter().map(|&i| self.salts[i]).collect()
    }
}

/// Opening of one leaf: its salt (none in an unsalted tree) and its authentication path.
#[derive(Debug)]
pub struct SaltedPath<H: Hasher> {
    pub salt: Option<Salt>,
    pub path: Vec<H::Digest>,
}

impl<H: Hasher> Clone for SaltedPath<H> {
    fn clone(&self) -> Self {
        SaltedPath {
            salt: self.salt,
            path: self.path.clone(),
        }
    }
}

/// Batch opening: the opened leaves' salts in the order of the opened indexes (none in an
/// unsalted tree), then winterfell's batch Merkle proof over the leaves.
#[derive(Debug)]
pub struct SaltedBatchProof<H: Hasher> {
    pub salts: Vec<Salt>,
    pub paths: BatchMerkleProof<H>,
}

impl<H: Hasher> VectorCommitment<H> for SaltedMerkleTree<H> {
    type Options = ();
    type Proof = SaltedPath<H>;
    type MultiProof = SaltedBatchProof<H>;
    type Error = MerkleTreeError;

    fn with_options(items: Vec<H::Digest>, _options: ()) -> Result<Self, Self::Error> {
        let salts: Vec<Salt> = if SALTING.with(Cell::get) {
            let mut salts = vec![[0u8; SALT_BYTES]; items.len()];
            rand::rng().fill_bytes(salts.as_flattened_mut());
            salts
        } else {
            Vec::new()
        };
        let tree = MerkleTree::new(leaves::<H>(&salts, &items)?)?;
        Ok(SaltedMerkleTree { tree, items, salts })
    }

    fn commitment(&self) -> H::Digest {
        *self.tree.root()
    }

    fn domain_len(&self) -> usize {
        self.items.len()
    }

    fn get_proof_domain_len(proof: &Self::Proof) -> usize {
        1 << proof.path.len()
    }

    fn get_multiproof_domain_len(proof: &Self::MultiProof) -> usize {
        1 << proof.paths.depth
    }

    fn open(&self, index: usize) -> Result<(H::Digest, Self::Proof), Self::Error> {
        let (_, path) = self.tree.prove(index)?;
        let salt = self.salts_at(&[index]).first().copied();
        Ok((self.items[index], SaltedPath { salt, path }))
    }

    fn open_many(
        &self,
        indexes: &[usize],
    ) -> Result<(Vec<H::Digest>, Self::MultiProof), Self::Error> {
        let (_, paths) = self.tree.prove_batch(indexes)?;
        let items = indexes.iter().map(|&i| self.items[i]).collect();
        Ok((
            items,
            SaltedBatchProof {
                salts: self.salts_at(indexes),
                paths,
            },
        ))
    }

    fn verify(
        commitment: H::Digest,
        index: usize,
        item: H::Digest,
        proof: &Self::Proof,
    ) -> Result<(), Self::Error> {
        if proof.path.is_empty() {
            return Err(MerkleTreeError::InvalidProof);
        }
        let salts: Vec<Salt> = proof.salt.into_iter().collect();
        let leaf = leaves::<H>(&salts, &[item])?[0];
        MerkleTree::<H>::verify(commitment, index, leaf, &proof.path)
    }

    fn verify_many(
        commitment: H::Digest,
        indexes: &[usize],
        items: &[H::Digest],
        proof: &Self::MultiProof,
    ) -> Result<(), Self::Error> {
        MerkleTree::<H>::verify_batch(
            &commitment,
            indexes,
            &leaves::<H>(&proof.salts, items)?,
            &proof.paths,
        )
    }
}

/// Bytes: usize salt count (winterfell's varint), the salts, then the `BatchMerkleProof`.
impl<H: Hasher> Serializable for SaltedBatchProof<H> {
    fn write_into<W: ByteWriter>(&self, target: &mut W) {
        target.write_usize(self.salts.len());
        for salt in &self.salts {
            target.write_bytes(salt);
        }
        self.paths.write_into(target);
    }
}

impl<H: Hasher> Deserializable for SaltedBatchProof<H> {
    fn read_from<R: ByteReader>(source: &mut R) -> Result<Self, DeserializationError> {
        let salts = read_salts(source)?;
        let paths = BatchMerkleProof::read_from(source)?;
        Ok(SaltedBatchProof { salts, paths })
    }
}

/// Checks the count against the bytes left before allocating for it: whatever reader parses a
/// proof, a flipped count cannot size an allocation.
pub(crate) fn read_salts<R: ByteReader>(source: &mut R) -> Result<Vec<Salt>, DeserializationError> {
    let count = source.read_usize()?;
    let bytes = count
        .checked_mul(SALT_BYTES)
        .ok_or_else(|| DeserializationError::InvalidValue("salt count".into()))?;
    source.check_eor(bytes)?;
    (0..count)
        .map(|_| source.read_array::<SALT_BYTES>())
        .collect()
}

/// Bytes: u8 flag (0 no salt, 1 salt follows), the salt, then the path as a usize count and digests.
impl<H: Hasher> Serializable for SaltedPath<H> {
    fn write_into<W: ByteWriter>(&self, target: &mut W) {
        match &self.salt {
            None => target.write_u8(0),
            Some(salt) => {
                target.write_u8(1);
                target.write_bytes(salt);
            }
        }
        target.write_usize(self.path.len());
        for digest in &self.path {
            digest.write_into(target);
        }
    }
}

impl<H: Hasher> Deserializable for SaltedPath<H> {
    fn read_from<R: ByteReader>(source: &mut R) -> Result<Self, DeserializationError> {
        let salt = match source.read_u8()? {
            0 => None,
            1 => Some(source.read_array::<SALT_BYTES>()?),
            _ => return Err(DeserializationError::InvalidValue("salt flag".into())),
        };
        let count = source.read_usize()?;
        // a tree deeper than 64 levels has more leaves than a usize counts
        if count > 64 {
            return Err(DeserializationError::InvalidValue("path length".into()));
        }
        let path = (0..count)
            .map(|_| H::Digest::read_from(source))
            .collect::<Result<_, _>>()?;
        Ok(SaltedPath { salt, path })
    }
}

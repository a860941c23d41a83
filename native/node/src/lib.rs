//! napi-rs binding of `yilian-native` (loaded through ../index.js). Proving, verification and re-encryption run as `AsyncTask`s on the libuv
//! thread pool so they never block the event loop; inputs are copied on the JS thread and
//! validated on the worker, so every error arrives as a rejected promise whose message starts
//! with the error code (`BAD_LENGTH: …`, `PROOF_REJECTED: …`). Every entry point runs inside
//! [`guarded`]: a panic becomes a `PANIC: …` error and never unwinds into Node (which would abort
//! the process, a chain node among them).

use napi::bindgen_prelude::{AsyncTask, Buffer, Uint8Array};
use napi::{Env, Result, Task};
use napi_derive::napi;

use yilian_native::air::PublicInputs;
use yilian_native::options::Hiding;
use yilian_native::prover::{self, Item};
use yilian_native::trace_code::{hash_from_slice, TraceCode, TraceId};
use yilian_native::{boundary, pre, verifier, Error};

/// Most items one proof (and so one trace step) may carry: the batch cap every layer reads.
#[napi]
pub const MAX_BATCH_ITEMS: u32 = yilian_native::options::MAX_ITEMS as u32;

fn js_error(e: Error) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, format!("{}: {}", e.code(), e))
}

fn guarded<T>(body: impl FnOnce() -> Result<T>) -> Result<T> {
    boundary::catch(js_error(Error::Panic), body)
}

fn bad_signature(message: &str) -> napi::Error {
    napi::Error::new(
        napi::Status::InvalidArg,
        format!("BAD_SIGNATURE: {message}"),
    )
}

/// The FISCO/Ethereum account that signed `digest`: `signature` is `r ‖ s ‖ v` (v ∈ {0, 1}),
/// high-s is refused as malleable, and the address is the last 20 bytes of keccak256 over the
/// 64-byte public key — the rule of core/crypto/identity.ts, natively, because the dev
/// chain checks every incoming transaction this way. Synchronous: about 0.1 ms.
#[napi]
pub fn recover_signer(digest: Uint8Array, signature: Uint8Array) -> Result<Buffer> {
    guarded(|| recover(&digest, &signature))
}

fn recover(digest: &[u8], signature: &[u8]) -> Result<Buffer> {
    use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
    use sha3::{Digest, Keccak256};

    if digest.len() != 32 {
        return Err(bad_signature(&format!(
            "digest must be 32 bytes, got {}",
            digest.len()
        )));
    }
    if signature.len() != 65 {
        return Err(bad_signature(&format!(
            "signature must be 65 bytes, got {}",
            signature.len()
        )));
    }
    let recovery = RecoveryId::from_byte(signature[64])
        .filter(|id| !id.is_x_reduced())
        .ok_or_else(|| bad_signature("recovery byte must be 0 or 1"))?;
    let rs = Signature::from_slice(&signature[..64])
        .map_err(|_| bad_signature("r or s is zero or not below the curve order"))?;
    if rs.normalize_s().is_some() {
        return Err(bad_signature(
            "signature is not low-s (malleable form rejected)",
        ));
    }
    let key = VerifyingKey::recover_from_prehash(digest, &rs, recovery)
        .map_err(|_| bad_signature("no public key recovers from this signature"))?;
    let point = key.to_encoded_point(false);
    let hash = Keccak256::digest(&point.as_bytes()[1..]);
    Ok(hash[12..].to_vec().into())
}

/// Signs a 32-byte digest with a secp256k1 secret key: RFC 6979 deterministic, low-s, laid out
/// `r ‖ s ‖ v` (v ∈ {0, 1}) — byte for byte what core/crypto/identity.ts `sign` produces
/// over the same digest, at native speed, for the FISCO client's transaction signing.
#[napi]
pub fn sign_digest(digest: Uint8Array, secret_key: Uint8Array) -> Result<Buffer> {
    guarded(|| sign(&digest, &secret_key))
}

fn sign(digest: &[u8], secret_key: &[u8]) -> Result<Buffer> {
    use k256::ecdsa::SigningKey;

    if digest.len() != 32 {
        return Err(bad_signature(&format!(
            "digest must be 32 bytes, got {}",
            digest.len()
        )));
    }
    let key = SigningKey::from_slice(secret_key).map_err(|_| {
        napi::Error::new(
            napi::Status::InvalidArg,
            "BAD_SCALAR: secret key must be 32 bytes, non-zero and below the curve order"
                .to_string(),
        )
    })?;
    let (signature, recovery) = key.sign_prehash_recoverable(digest).map_err(|_| {
        napi::Error::new(
            napi::Status::GenericFailure,
            "SIGN_FAILED: could not sign".to_string(),
        )
    })?;
    let mut out = signature.to_bytes().to_vec();
    out.push(recovery.to_byte());
    Ok(out.into())
}

/// `Rescue(tag ‖ limbs(code))` as 32 bytes. One permutation (microseconds), so synchronous.
#[napi]
pub fn trace_id(code: String) -> Result<Buffer> {
    guarded(|| {
        let code = TraceCode::parse(&code).map_err(js_error)?;
        Ok(code.id().to_bytes().to_vec().into())
    })
}

pub struct ProveTask {
    codes: Vec<String>,
    ciphertext_hashes: Vec<Vec<u8>>,
    nonce: Vec<u8>,
}

impl ProveTask {
    fn run(&self) -> std::result::Result<Vec<u8>, Error> {
        if self.codes.len() != self.ciphertext_hashes.len() {
            return Err(Error::BadLength {
                what: "ciphertext hashes (items)",
                expected: self.codes.len(),
                actual: self.ciphertext_hashes.len(),
            });
        }
        let items = self
            .codes
            .iter()
            .zip(&self.ciphertext_hashes)
            .map(|(code, hash)| {
                Ok(Item {
                    code: TraceCode::parse(code)?,
                    ciphertext_hash: hash_from_slice("ciphertext hash", hash)?,
                })
            })
            .collect::<std::result::Result<Vec<_>, Error>>()?;
        let nonce = hash_from_slice("nonce", &self.nonce)?;
        prover::prove(&items, &nonce, Hiding::Padded)
    }
}

impl Task for ProveTask {
    type Output = Vec<u8>;
    type JsValue = Buffer;

    fn compute(&mut self) -> Result<Vec<u8>> {
        guarded(|| self.run().map_err(js_error))
    }

    fn resolve(&mut self, _env: Env, output: Vec<u8>) -> Result<Buffer> {
        Ok(output.into())
    }
}

pub struct VerifyTask {
    ids: Vec<Vec<u8>>,
    ciphertext_hashes: Vec<Vec<u8>>,
    nonce: Vec<u8>,
    proof: Vec<u8>,
}

impl VerifyTask {
    fn run(&self) -> std::result::Result<(), Error> {
        let pub_inputs = PublicInputs {
            ids: self
                .ids
                .iter()
                .map(|id| TraceId::from_bytes(id))
                .collect::<std::result::Result<_, _>>()?,
            ciphertext_hashes: self
                .ciphertext_hashes
                .iter()
                .map(|h| hash_from_slice("ciphertext hash", h))
                .collect::<std::result::Result<_, _>>()?,
            nonce: hash_from_slice("nonce", &self.nonce)?,
            hiding: Hiding::Padded,
        };
        verifier::verify(&self.proof, pub_inputs)
    }
}

impl Task for VerifyTask {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> Result<()> {
        guarded(|| self.run().map_err(js_error))
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> Result<()> {
        Ok(())
    }
}

/// Proves knowledge of `code`, bound to `ciphertextHash` and `nonce` (32 bytes each).
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn prove(code: String, ciphertext_hash: Uint8Array, nonce: Uint8Array) -> AsyncTask<ProveTask> {
    AsyncTask::new(ProveTask {
        codes: vec![code],
        ciphertext_hashes: vec![ciphertext_hash.to_vec()],
        nonce: nonce.to_vec(),
    })
}

/// Resolves if `proof` shows knowledge of the code behind `id` for this ciphertext and nonce;
/// rejects with `PROOF_REJECTED`, `WRONG_OPTIONS`, `MALFORMED_PROOF`, `BAD_LENGTH`, … otherwise.
#[napi(ts_return_type = "Promise<void>")]
pub fn verify(
    id: Uint8Array,
    ciphertext_hash: Uint8Array,
    nonce: Uint8Array,
    proof: Uint8Array,
) -> AsyncTask<VerifyTask> {
    AsyncTask::new(VerifyTask {
        ids: vec![id.to_vec()],
        ciphertext_hashes: vec![ciphertext_hash.to_vec()],
        nonce: nonce.to_vec(),
        proof: proof.to_vec(),
    })
}

/// One proof for a whole batch: `codes[i]` is bound to `ciphertextHashes[i]`.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn prove_batch(
    codes: Vec<String>,
    ciphertext_hashes: Vec<Uint8Array>,
    nonce: Uint8Array,
) -> AsyncTask<ProveTask> {
    AsyncTask::new(ProveTask {
        codes,
        ciphertext_hashes: ciphertext_hashes.iter().map(|h| h.to_vec()).collect(),
        nonce: nonce.to_vec(),
    })
}

/// Batch form of `verify`: `ids[i]` with `ciphertextHashes[i]`, one proof for all.
#[napi(ts_return_type = "Promise<void>")]
pub fn verify_batch(
    ids: Vec<Uint8Array>,
    ciphertext_hashes: Vec<Uint8Array>,
    nonce: Uint8Array,
    proof: Uint8Array,
) -> AsyncTask<VerifyTask> {
    AsyncTask::new(VerifyTask {
        ids: ids.iter().map(|id| id.to_vec()).collect(),
        ciphertext_hashes: ciphertext_hashes.iter().map(|h| h.to_vec()).collect(),
        nonce: nonce.to_vec(),
        proof: proof.to_vec(),
    })
}

pub struct ReencryptTask {
    c1: Vec<u8>,
    rk: Vec<u8>,
}

impl Task for ReencryptTask {
    type Output = Vec<u8>;
    type JsValue = Buffer;

    fn compute(&mut self) -> Result<Vec<u8>> {
        guarded(|| {
            pre::reencrypt(&self.c1, &self.rk)
                .map(|gt| gt.to_vec())
                .map_err(js_error)
        })
    }

    fn resolve(&mut self, _env: Env, output: Vec<u8>) -> Result<Buffer> {
        Ok(output.into())
    }
}

/// AFGH re-encryption `e(C1, rk)`: compressed G1 (48 bytes) and G2 (96 bytes) in, the 576-byte
/// mcl ETH-mode GT encoding out.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn reencrypt(c1: Uint8Array, rk: Uint8Array) -> AsyncTask<ReencryptTask> {
    AsyncTask::new(ReencryptTask {
        c1: c1.to_vec(),
        rk: rk.to_vec(),
    })
}

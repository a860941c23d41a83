use core::fmt;

use crate::ffi::Status;

/// Every way a call into the crate can fail. Inputs come from the network or from a contract call,
/// so none of these is a bug: callers map them to a status code (C ABI) or a JS error (napi).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An input has the wrong number of bytes (or items).
    BadLength {
        what: &'static str,
        expected: usize,
        actual: usize,
    },
    /// A trace code is not 32 Crockford base32 symbols.
    BadTraceCode(&'static str),
    /// A trace id is not four canonical field elements.
    BadTraceId,
    /// A curve point does not decode, is the identity or lies outside the prime-order subgroup.
    BadPoint(&'static str),
    /// A batch is empty or larger than [`crate::options::MAX_ITEMS`].
    BadBatchSize(usize),
    /// The proof bytes do not deserialize.
    MalformedProof,
    /// The proof is in an earlier format (statement version) that this verifier no longer accepts.
    ObsoleteProof(&'static str),
    /// The proof was made with other options or another trace shape than the verifier expects.
    WrongOptions,
    /// The proof is well formed but does not verify for these public inputs.
    ProofRejected,
    /// The prover failed; with a valid witness this does not happen.
    ProverFailed,
    /// A panic was caught at the boundary; reported instead of unwinding into the caller.
    Panic,
}

impl Error {
    pub fn status(&self) -> Status {
        match self {
            Error::BadLength { .. } => Status::BadLength,
            Error::BadTraceCode(_) => Status::BadTraceCode,
            Error::BadTraceId => Status::BadTraceId,
            Error::BadPoint(_) => Status::BadPoint,
            Error::BadBatchSize(_) => Status::BadBatchSize,
            Error::MalformedProof => Status::MalformedProof,
            // an older proof format is a proof made with other options, to a C or chain caller
            Error::ObsoleteProof(_) | Error::WrongOptions => Status::WrongOptions,
            Error::ProofRejected => Status::ProofRejected,
            Error::ProverFailed => Status::ProverFailed,
            Error::Panic => Status::Panic,
        }
    }

    /// The upper-snake name of the status, used as the JS error code.
    pub fn code(&self) -> &'static str {
        match self.status() {
            Status::Ok => "OK",
            Status::BadLength => "BAD_LENGTH",
            Status::BadTraceCode => "BAD_TRACE_CODE",
            Status::BadTraceId => "BAD_TRACE_ID",
            Status::BadPoint => "BAD_POINT",
            Status::BadBatchSize => "BAD_BATCH_SIZE",
            Status::MalformedProof => "MALFORMED_PROOF",
            Status::WrongOptions => "WRONG_OPTIONS",
            Status::ProofRejected => "PROOF_REJECTED",
            Status::ProverFailed => "PROVER_FAILED",
            Status::NullPointer => "NULL_POINTER",
            Status::Panic => "PANIC",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadLength {
                what,
                expected,
                actual,
            } => {
                write!(f, "{what}: expected {expected} bytes, got {actual}")
            }
            Error::BadTraceCode(why) => write!(f, "bad trace code: {why}"),
            Error::BadTraceId => write!(f, "trace id is not 4 canonical field elements"),
            Error::BadPoint(why) => write!(f, "bad curve point: {why}"),
            Error::BadBatchSize(n) => {
                write!(
                    f,
                    "batch of {n} items (1..={} allowed)",
                    crate::options::MAX_ITEMS
                )
            }
            Error::MalformedProof => write!(f, "proof bytes do not deserialize"),
            Error::ObsoleteProof(format) => write!(
                f,
                "proof is in the retired format {format}; this verifier accepts yl-stk-3 proofs only"
            ),
            Error::WrongOptions => {
                write!(f, "proof options or trace shape are not the expected ones")
            }
            Error::ProofRejected => write!(f, "proof rejected"),
            Error::ProverFailed => write!(f, "prover failed"),
            Error::Panic => write!(f, "internal panic caught at the boundary"),
        }
    }
}

impl std::error::Error for Error {}

export { CryptoError, type CryptoErrorCode } from './errors.js';
export {
  ADDRESS_LENGTH,
  PUBLIC_KEY_LENGTH,
  SECRET_KEY_LENGTH,
  SIGNATURE_LENGTH,
  addressOf,
  generateIdentity,
  identityFromSecret,
  publicKeyOf,
  recoverPublicKey,
  recoverPublicKeyFromDigest,
  sign,
  signDigest,
  verify,
  type Identity,
  type PublicIdentity,
} from './identity.js';
export { DEK_LENGTH, ENVELOPE_OVERHEAD, generateDek, open, seal, type RecordContext } from './envelope.js';
export { initPre } from './bls.js';
export { G1_LENGTH, G2_LENGTH, GT_LENGTH, SCALAR_LENGTH } from './bls-codec.js';
export {
  PRE_CIPHERTEXT_LENGTH,
  PRE_REENCRYPTED_LENGTH,
  preDecrypt,
  preDecryptReencrypted,
  preDelegateePublicKey,
  preDelegatorPublicKey,
  preEncrypt,
  preKeygenDelegatee,
  preKeygenDelegator,
  preReencrypt,
  preRekey,
  preVerifyRekey,
  type PreKeyPair,
} from './pre.js';
export { openSealed, SEALED_BOX_LABEL, SEALED_BOX_OVERHEAD, sealTo, sealToDeterministic } from './sealed-box.js';
export {
  decodeSignedRecord,
  SIGNED_RECORD_LABEL,
  signRecord,
  signRecordAs,
  verifySignedRecord,
  type SignedRecord,
} from './signed-record.js';
export {
  generateTraceCode,
  normalizeTraceCode,
  printedTraceCode,
  openTraceStep,
  sealTraceStep,
  sealTraceStepAs,
  sealTraceStepDeterministic,
  TRACE_STEP_LABEL,
  traceStepKey,
  verifyTraceStep,
  type TraceStep,
} from './trace-step.js';
export { wipe } from './bytes.js';

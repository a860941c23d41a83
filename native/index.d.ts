/*
 * Types of the native addon (native/node/src/lib.rs), kept by hand beside index.js; native.test.ts
 * checks that every name declared here is what the addon exports, and nothing more.
 */

/** Most items one proof (and so one trace step) may carry: the batch cap every layer reads. */
export declare const MAX_BATCH_ITEMS: number;

/** Proves knowledge of `code`, bound to `ciphertextHash` and `nonce` (32 bytes each). */
export declare function prove(code: string, ciphertextHash: Uint8Array, nonce: Uint8Array): Promise<Buffer>;

/** One proof for a whole batch: `codes[i]` is bound to `ciphertextHashes[i]`. */
export declare function proveBatch(
  codes: Array<string>,
  ciphertextHashes: Array<Uint8Array>,
  nonce: Uint8Array,
): Promise<Buffer>;

/**
 * The FISCO/Ethereum account that signed `digest`: `signature` is `r ‖ s ‖ v` (v ∈ {0, 1}),
 * high-s is refused as malleable, and the address is the last 20 bytes of keccak256 over the
 * 64-byte public key — the rule of core/crypto/identity.ts, natively, because the dev
 * chain checks every incoming transaction this way. Synchronous: about 0.1 ms.
 */
export declare function recoverSigner(digest: Uint8Array, signature: Uint8Array): Buffer;

/**
 * AFGH re-encryption `e(C1, rk)`: compressed G1 (48 bytes) and G2 (96 bytes) in, the 576-byte
 * mcl ETH-mode GT encoding out.
 */
export declare function reencrypt(c1: Uint8Array, rk: Uint8Array): Promise<Buffer>;

/**
 * Signs a 32-byte digest with a secp256k1 secret key: RFC 6979 deterministic, low-s, laid out
 * `r ‖ s ‖ v` (v ∈ {0, 1}) — byte for byte what core/crypto/identity.ts `sign` produces
 * over the same digest, at native speed, for the FISCO client's transaction signing.
 */
export declare function signDigest(digest: Uint8Array, secretKey: Uint8Array): Buffer;

/** `Rescue(tag ‖ limbs(code))` as 32 bytes. One permutation (microseconds), so synchronous. */
export declare function traceId(code: string): Buffer;

/**
 * Resolves if `proof` shows knowledge of the code behind `id` for this ciphertext and nonce;
 * rejects with `PROOF_REJECTED`, `WRONG_OPTIONS`, `MALFORMED_PROOF`, `BAD_LENGTH`, … otherwise.
 */
export declare function verify(
  id: Uint8Array,
  ciphertextHash: Uint8Array,
  nonce: Uint8Array,
  proof: Uint8Array,
): Promise<void>;

/** Batch form of `verify`: `ids[i]` with `ciphertextHashes[i]`, one proof for all. */
export declare function verifyBatch(
  ids: Array<Uint8Array>,
  ciphertextHashes: Array<Uint8Array>,
  nonce: Uint8Array,
  proof: Uint8Array,
): Promise<void>;

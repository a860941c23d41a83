import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { decodeG1, G1_LENGTH } from '../crypto/bls-codec.js';
import { ByteReader, equalBytes, u32be } from '../crypto/bytes.js';
import { CryptoError, expectLength } from '../crypto/errors.js';
import { ADDRESS_LENGTH, identityFromSecret, SIGNATURE_LENGTH, sign, verify } from '../crypto/identity.js';
import { preKeygenDelegator } from '../crypto/pre.js';

/**
 * One-time PRE prekeys: a patient signs a batch of delegator public keys so a hospital can wrap a
 * record key for the patient while the patient is offline. Each prekey wraps exactly one record
 * (one delegator key per record limits what a proxy–grantee collusion can open), so the pool
 * refuses to hand one out twice. Layouts: docs/formats.md § Prekey bundles.
 */
export const PREKEY_LABEL = 'yilian/prekey/v1';
export const PREKEY_BUNDLE_VERSION = 0x01;
const LABEL = utf8ToBytes(PREKEY_LABEL);

export interface SignedPrekey {
  /** u32, unique per owner across all batches; the patient's wallet finds the private half by it. */
  readonly index: number;
  /** Delegator public key, G1 compressed (48 bytes). */
  readonly publicKey: Uint8Array;
  /** Owner's identity signature (r‖s‖v) over prekeyMessage(owner, index, publicKey). */
  readonly signature: Uint8Array;
}

export interface PrekeyBundle {
  readonly owner: Uint8Array;
  readonly prekeys: readonly SignedPrekey[];
}

export interface PrekeySecret {
  readonly index: number;
  readonly secretKey: Uint8Array;
}

/** label ‖ owner address ‖ u32 index ‖ public key: binds each prekey to its owner and slot. */
export function prekeyMessage(owner: Uint8Array, index: number, publicKey: Uint8Array): Uint8Array {
  return concatBytes(LABEL, owner, u32be(index), publicKey);
}

/** Needs `await initPre()`. The secrets belong in the owner's keystore; only the bundle is published. */
export function createPrekeyBatch(
  identitySecret: Uint8Array,
  firstIndex: number,
  count: number,
): { bundle: PrekeyBundle; secrets: PrekeySecret[] } {
  if (!Number.isInteger(count) || count < 1 || firstIndex + count - 1 > 0xffffffff) {
    throw new CryptoError(
      'BAD_FORMAT',
      `prekey batch: count ${count} from index ${firstIndex} does not fit u32 indices`,
    );
  }
  const owner = identityFromSecret(identitySecret).address;
  const prekeys: SignedPrekey[] = [];
  const secrets: PrekeySecret[] = [];
  for (let index = firstIndex; index < firstIndex + count; index++) {
    const { secretKey, publicKey } = preKeygenDelegator();
    prekeys.push({ index, publicKey, signature: sign(identitySecret, prekeyMessage(owner, index, publicKey)) });
    secrets.push({ index, secretKey });
  }
  return { bundle: { owner, prekeys }, secrets };
}

/** Throws unless every prekey is a valid G1 key signed by `owner` and indices are unique. Needs initPre. */
export function verifyPrekeyBundle(bundle: PrekeyBundle, owner: Uint8Array): void {
  expectLength(owner, ADDRESS_LENGTH, 'prekey owner address');
  if (!equalBytes(bundle.owner, owner)) {
    throw new CryptoError(
      'BAD_SIGNATURE',
      `prekey bundle belongs to 0x${bytesToHex(bundle.owner)}, not 0x${bytesToHex(owner)}`,
    );
  }
  const seen = new Set<number>();
  for (const p of bundle.prekeys) {
    if (seen.has(p.index)) throw new CryptoError('BAD_FORMAT', `prekey bundle lists index ${p.index} twice`);
    seen.add(p.index);
    decodeG1(p.publicKey, `prekey ${p.index} public key`);
    if (!verify(p.signature, prekeyMessage(owner, p.index, p.publicKey), owner)) {
      throw new CryptoError('BAD_SIGNATURE', `prekey ${p.index} is not signed by 0x${bytesToHex(owner)}`);
    }
  }
}

const ENTRY_LENGTH = 4 + G1_LENGTH + SIGNATURE_LENGTH;

/** u8 version ‖ owner(20) ‖ u32 count ‖ count × (u32 index ‖ G1(48) ‖ signature(65)). */
export function encodePrekeyBundle(bundle: PrekeyBundle): Uint8Array {
  return concatBytes(
    Uint8Array.of(PREKEY_BUNDLE_VERSION),
    bundle.owner,
    u32be(bundle.prekeys.length),
    ...bundle.prekeys.flatMap((p) => [u32be(p.index), p.publicKey, p.signature]),
  );
}

/** Parses the layout only; call verifyPrekeyBundle before trusting it. */
export function decodePrekeyBundle(bytes: Uint8Array): PrekeyBundle {
  const r = new ByteReader(bytes, 'prekey bundle');
  const version = r.u8('version');
  if (version !== PREKEY_BUNDLE_VERSION) {
    throw new CryptoError('BAD_FORMAT', `prekey bundle: unsupported version 0x${version.toString(16)}`);
  }
  const owner = r.take(ADDRESS_LENGTH, 'owner');
  const count = r.u32('count');
  if (bytes.length !== 1 + ADDRESS_LENGTH + 4 + count * ENTRY_LENGTH) {
    throw new CryptoError('BAD_FORMAT', `prekey bundle: ${bytes.length} bytes does not match ${count} entries`);
  }
  const prekeys: SignedPrekey[] = [];
  for (let i = 0; i < count; i++) {
    prekeys.push({
      index: r.u32('index'),
      publicKey: r.take(G1_LENGTH, 'public key'),
      signature: r.take(SIGNATURE_LENGTH, 'signature'),
    });
  }
  r.end();
  return { owner, prekeys };
}

/**
 * A hospital's view of one patient's published prekeys. `claim` never returns a prekey twice;
 * the claimed indices are state the caller persists (engine database) and passes back in.
 */
export class PrekeyPool {
  private readonly claimed: Set<number>;

  /** `owner` is the address the caller trusts (from the Directory), not the one inside the bundle. */
  constructor(
    private readonly bundle: PrekeyBundle,
    owner: Uint8Array,
    claimed: Iterable<number> = [],
  ) {
    verifyPrekeyBundle(bundle, owner);
    this.claimed = new Set(claimed);
  }

  get remaining(): number {
    return this.bundle.prekeys.filter((p) => !this.claimed.has(p.index)).length;
  }

  claimedIndices(): number[] {
    return [...this.claimed].sort((a, b) => a - b);
  }

  claim(): SignedPrekey {
    const next = this.bundle.prekeys.find((p) => !this.claimed.has(p.index));
    if (next === undefined) {
      throw new CryptoError(
        'PREKEYS_EXHAUSTED',
        `all ${this.bundle.prekeys.length} prekeys of 0x${bytesToHex(this.bundle.owner)} are used; ` +
          'the patient must publish a new prekey batch before another record can be anchored for them',
      );
    }
    this.claimed.add(next.index);
    return next;
  }
}

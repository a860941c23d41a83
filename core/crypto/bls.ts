import * as mcl from 'mcl-wasm';
import { hexToBytes } from '@noble/hashes/utils.js';
import { CryptoError } from './errors.js';

/**
 * BLS12-381 through mcl-wasm, configured once per process (mcl keeps global state). Generators
 * are deserialized from the standard ZCash encodings because mcl-wasm has no base-point getters
 * on pairing curves; the bytes equal @noble/curves `G1/G2.Point.BASE.toBytes()` (checked in tests).
 */
export const G1_GENERATOR_HEX =
  '97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb';
export const G2_GENERATOR_HEX =
  '93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e' +
  '024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8';

export interface Curve {
  /** G1 generator g. */
  readonly g: mcl.G1;
  /** G2 generator h. */
  readonly h: mcl.G2;
  /** Z = e(g, h), computed once. */
  readonly z: mcl.GT;
  /** Miller-loop line coefficients for h: the delegator's decryption pairs against h every time. */
  readonly hLines: mcl.PrecomputedG2;
}

let curve: Curve | undefined;
let pending: Promise<void> | undefined;

/** Idempotent; every PRE function needs it to have resolved once. */
export function initPre(): Promise<void> {
  pending ??= (async () => {
    await mcl.init(mcl.BLS12_381);
    mcl.setETHserialization(true);
    // Both are mcl's defaults; set explicitly because subgroup checks are a security property here.
    mcl.verifyOrderG1(true);
    mcl.verifyOrderG2(true);
    const g = new mcl.G1();
    g.deserialize(hexToBytes(G1_GENERATOR_HEX));
    const h = new mcl.G2();
    h.deserialize(hexToBytes(G2_GENERATOR_HEX));
    curve = {
      g,
      h,
      z: mcl.pairing(g, h),
      hLines: new mcl.PrecomputedG2(h),
    };
  })();
  return pending;
}

export function getCurve(): Curve {
  if (curve === undefined) {
    throw new CryptoError('NOT_INITIALIZED', 'AFGH PRE used before `await initPre()` resolved');
  }
  return curve;
}

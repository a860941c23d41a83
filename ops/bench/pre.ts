/**
 * `npm run bench:pre`: AFGH PRE (activities/crypto) next to Umbral (@nucypher/umbral-pre, a
 * devDependency used only here) and one bare mcl-wasm pairing, in one process on one machine, so
 * the ratios are meaningful even when the absolute numbers move with machine load.
 */
import * as mcl from 'mcl-wasm';
import * as umbral from '@nucypher/umbral-pre';
import {
  generateDek,
  initPre,
  preDecrypt,
  preDecryptReencrypted,
  preEncrypt,
  preKeygenDelegatee,
  preKeygenDelegator,
  preReencrypt,
  preRekey,
} from '../../activities/crypto/index.js';

interface Result {
  readonly msPerOp: number;
  readonly opsPerSec: number;
}

const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 1500);
const MIN_ITERS = 20;

async function measure(fn: () => unknown): Promise<Result> {
  for (let i = 0; i < 5; i++) await fn(); // JIT and wasm warm-up
  let iters = 0;
  const start = performance.now();
  let elapsed = 0;
  while (iters < MIN_ITERS || elapsed < MIN_MS) {
    await fn();
    iters++;
    elapsed = performance.now() - start;
  }
  return { msPerOp: elapsed / iters, opsPerSec: (iters * 1000) / elapsed };
}

await initPre();
const context = { recordId: new Uint8Array(32).fill(1), version: 1 };
const dek = generateDek();
const alice = preKeygenDelegator();
const bob = preKeygenDelegatee();
const ct = await preEncrypt(alice.publicKey, dek, context);
const rk = preRekey(alice.secretKey, bob.publicKey);
const re = preReencrypt(ct, rk);

const g = new mcl.G1();
g.deserialize(ct.subarray(1, 49));
const h = new mcl.G2();
h.deserialize(rk);

const uAlice = umbral.SecretKey.random();
const uAlicePk = uAlice.publicKey();
const uSigner = new umbral.Signer(umbral.SecretKey.random());
const uBob = umbral.SecretKey.random();
const uBobPk = uBob.publicKey();
const [uCapsule, uCiphertext] = umbral.encrypt(uAlicePk, dek);
const [uKfrag] = umbral.generateKFrags(uAlice, uBobPk, uSigner, 1, 1, true, true);
if (uKfrag === undefined) throw new Error('umbral produced no kfrag');
const uCfrag = umbral.reencrypt(uCapsule, uKfrag);

const free = (...objs: { free(): void }[]) => objs.forEach((o) => o.free());

const rows: [string, () => unknown, (() => unknown) | undefined][] = [
  ['keygen (delegator, G1)', () => preKeygenDelegator(), () => {
    const sk = umbral.SecretKey.random();
    free(sk.publicKey(), sk);
  }],
  ['keygen (delegatee, G2)', () => preKeygenDelegatee(), undefined],
  ['encrypt', () => preEncrypt(alice.publicKey, dek, context), () => free(umbral.encrypt(uAlicePk, dek)[0])],
  ['rekey (umbral: 1-of-1 kfrag)', () => preRekey(alice.secretKey, bob.publicKey), () =>
    free(...umbral.generateKFrags(uAlice, uBobPk, uSigner, 1, 1, true, true))],
  ['re-encrypt', () => preReencrypt(ct, rk), () => free(umbral.reencrypt(uCapsule, uKfrag))],
  ['decrypt (first level)', () => preDecrypt(alice.secretKey, ct, context), () =>
    umbral.decryptOriginal(uAlice, uCapsule, uCiphertext)],
  ['decrypt (re-encrypted)', () => preDecryptReencrypted(bob.secretKey, re, context), () =>
    umbral.decryptReencrypted(uBob, uAlicePk, uCapsule, [uCfrag], uCiphertext)],
];

const pairing = await measure(() => mcl.pairing(g, h));
const gtExponent = new mcl.Fr();
gtExponent.setByCSPRNG();
const gtBase = mcl.pairing(g, h);
const gtPow = await measure(() => mcl.pow(gtBase, gtExponent));
const fmt = (r: Result | undefined, w = 10) => (r ? r.msPerOp.toFixed(3).padStart(w) : '—'.padStart(w));
const fmtOps = (r: Result | undefined, w = 9) => (r ? r.opsPerSec.toFixed(0).padStart(w) : '—'.padStart(w));
const ratio = (a: number, b: number | undefined) => (b === undefined ? '—' : (a / b).toFixed(2));

console.log(`Node ${process.version}, ${MIN_MS} ms minimum per operation (BENCH_MIN_MS)\n`);
console.log(`${'operation'.padEnd(30)} ${'Yilian ms'.padStart(10)} ${'ops/s'.padStart(9)} ${'Umbral ms'.padStart(10)} ${'ops/s'.padStart(9)}  Yilian/Umbral`);
const results = new Map<string, Result>();
for (const [name, ours, theirs] of rows) {
  const y = await measure(ours);
  const u = theirs ? await measure(theirs) : undefined;
  results.set(name, y);
  console.log(`${name.padEnd(30)} ${fmt(y)} ${fmtOps(y)} ${fmt(u)} ${fmtOps(u)}  ${ratio(y.msPerOp, u?.msPerOp)}`);
}
console.log(`${'mcl-wasm pairing (bare)'.padEnd(30)} ${fmt(pairing)} ${fmtOps(pairing)}`);
console.log(`${'mcl-wasm GT pow (bare)'.padEnd(30)} ${fmt(gtPow)} ${fmtOps(gtPow)}`);

const get = (name: string) => results.get(name)?.msPerOp ?? Number.NaN;
const goal = (label: string, value: number, limit: number, unit: string) =>
  console.log(`  ${value <= limit ? 'met    ' : 'MISSED '} ${label}: ${value.toFixed(2)}${unit} (goal ≤ ${limit}${unit})`);
console.log('\nGoals:');
goal('re-encrypt / pairing', get('re-encrypt') / pairing.msPerOp, 1.1, '×');
goal('encrypt', get('encrypt'), 2, ' ms');
goal('decrypt (re-encrypted)', get('decrypt (re-encrypted)'), 1.5, ' ms');
console.log('\nYilian numbers include parsing and validating every input (subgroup checks) and the AEAD;');
console.log('Umbral re-encrypt/decrypt use pre-verified in-memory objects (no cfrag verification).');

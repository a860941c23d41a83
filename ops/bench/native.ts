/**
 * `npm run bench:native`: the native crate's numbers side by side, in one run —
 *  1. `cargo bench --bench native`: the trace STARK beside winterfell 0.13.1's own `rescue` example
 *     (native/reference, rebuilt from source against the crates.io winterfell crates) at the same
 *     trace length and proof options — proven and conjectured bits, prove CPU, verify time, size
 *     and the ratios — for 1, 16, 256 items and a full batch (`max`); then the shipped (padded,
 *     hiding) AIR against the transparent one, so the price of hiding is visible; then, per size,
 *     each prover's CPU split into winterfell's own steps (its tracing spans), ours beside the
 *     reference at equal proven security, so a ratio can be traced to the step that causes it;
 *  2. the same single-item prove/verify through the napi binding (thread-pool hop included);
 *  3. AFGH re-encryption from bytes to bytes: native (napi → blst) against mcl-wasm, interleaved
 *     so both see the same background load, with the outputs checked equal.
 * Requires `native/build.sh` to have run. `BENCH_SIZES="1 max"` limits the STARK tables (`max`: a full batch).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as mcl from 'mcl-wasm';
import * as native from '../../native/index.js';
const root = fileURLToPath(new URL('../..', import.meta.url));

const G1_HEX = '97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb';
const G2_HEX =
  '93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function randomCode(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let bits = 0n;
  for (const b of randomBytes(20)) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 31; i >= 0; i--) out += alphabet.charAt(Number((bits >> BigInt(5 * i)) & 31n));
  return out;
}

function starkTable(): void {
  const sizes = (process.env.BENCH_SIZES ?? '1 16 256 max').split(/\s+/).filter(Boolean);
  const run = spawnSync(
    'cargo',
    ['bench', '--quiet', '--manifest-path', 'native/Cargo.toml', '--bench', 'native', '--', ...sizes],
    { cwd: root, stdio: 'inherit' },
  );
  if (run.status !== 0) throw new Error(`cargo bench failed with status ${String(run.status)}`);
}

async function napiSingle(): Promise<void> {
  const code = randomCode();
  const id = native.traceId(code);
  const hash = createHash('sha256').update('c').digest();
  const nonce = createHash('sha256').update('n').digest();
  const proveMs: number[] = [];
  const verifyMs: number[] = [];
  let size = 0;
  for (let i = 0; i < 20; i++) {
    let t = performance.now();
    const proof = await native.prove(code, hash, nonce);
    proveMs.push(performance.now() - t);
    size = proof.length;
    t = performance.now();
    await native.verify(id, hash, nonce, proof);
    verifyMs.push(performance.now() - t);
  }
  console.log(
    `\nvia napi (1 item, median of 20): prove ${median(proveMs).toFixed(2)} ms, ` +
      `verify ${median(verifyMs).toFixed(2)} ms, proof ${(size / 1024).toFixed(1)} KB`,
  );
}

async function reencryption(): Promise<void> {
  await mcl.init(mcl.BLS12_381);
  mcl.setETHserialization(true);
  mcl.verifyOrderG1(true);
  mcl.verifyOrderG2(true);
  const g = new mcl.G1();
  g.deserialize(Buffer.from(G1_HEX, 'hex'));
  const h = new mcl.G2();
  h.deserialize(Buffer.from(G2_HEX, 'hex'));
  const r = new mcl.Fr();
  r.setByCSPRNG();
  const c1 = mcl.mul(g, r).serialize();
  const k = new mcl.Fr();
  k.setByCSPRNG();
  const rk = mcl.mul(h, k).serialize();

  const viaMcl = (): Uint8Array => {
    const p = new mcl.G1();
    p.deserialize(c1);
    const q = new mcl.G2();
    q.deserialize(rk);
    return mcl.pairing(p, q).serialize();
  };
  const nativeOut = await native.reencrypt(c1, rk);
  if (Buffer.compare(Buffer.from(viaMcl()), nativeOut) !== 0) {
    throw new Error('native and mcl-wasm re-encryption differ');
  }

  const ops: Array<[string, () => unknown]> = [
    ['native (napi, async)', () => native.reencrypt(c1, rk)],
    ['mcl-wasm', viaMcl],
  ];
  const totals = new Map(ops.map(([name]) => [name, { ms: 0, n: 0 }]));
  for (let round = 0; round < 30; round++) {
    for (const [name, op] of ops) {
      const t = totals.get(name) ?? { ms: 0, n: 0 };
      const start = performance.now();
      do {
        await op();
        t.n++;
      } while (performance.now() - start < 50);
      t.ms += performance.now() - start;
    }
  }
  const perOp = (name: string): number => {
    const t = totals.get(name) ?? { ms: 0, n: 0 };
    return t.ms / t.n;
  };
  const nat = perOp('native (napi, async)');
  const wasm = perOp('mcl-wasm');
  console.log('\nAFGH re-encrypt e(C1, rk), bytes to bytes incl. subgroup checks (interleaved, 1.5 s each):');
  console.log(`  native (napi → blst): ${nat.toFixed(3)} ms/op`);
  console.log(`  mcl-wasm            : ${wasm.toFixed(3)} ms/op`);
  console.log(`  native is ${(wasm / nat).toFixed(1)}× faster (goal ≥ 4×); outputs identical`);
}

starkTable();
await napiSingle();
await reencryption();

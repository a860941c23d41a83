import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { CryptoError } from '../crypto/errors.js';
import { generateIdentity, identityFromSecret } from '../crypto/identity.js';
import {
  decryptKeystore,
  encryptKeystore,
  prekeySecret,
  PRODUCTION_SCRYPT,
  wipeKeyMaterial,
  type KeyMaterial,
} from './keystore-format.js';
import { keystorePath, loadKeystore, saveKeystore } from './node/keystore-file.js';

const FAST = { n: 2 ** 10, r: 8, p: 1 };
const code = (c: string) => (e: unknown) => e instanceof CryptoError && e.code === c;

function material(): KeyMaterial {
  return {
    signingKey: generateIdentity().secretKey,
    preKeys: [{ id: 1, secretKey: randomBytes(32) }],
    prekeys: [0, 1, 2].map((id) => ({ id, secretKey: randomBytes(32) })),
  };
}

test('round trip keeps every secret; unknown prekeys and wiping are explicit', async () => {
  const m = material();
  const json = await encryptKeystore(m, 'correct horse', FAST);
  assert.deepEqual(json.crypto.kdfparams.n, FAST.n);
  const back = await decryptKeystore(JSON.parse(JSON.stringify(json)), 'correct horse');
  assert.deepEqual(back, m);
  assert.deepEqual(prekeySecret(back, 2), m.prekeys[2]?.secretKey);
  assert.throws(() => prekeySecret(back, 3), code('PREKEY_UNKNOWN'));
  wipeKeyMaterial(back);
  assert.ok(back.signingKey.every((b) => b === 0) && back.prekeys.every((e) => e.secretKey.every((b) => b === 0)));
});

test('wrong password and every kind of corruption give distinct, clear errors without secrets', async () => {
  const m = material();
  const json = await encryptKeystore(m, 'pw', FAST);
  const secretHex = bytesToHex(m.signingKey);
  const attempt = async (doc: unknown, pw: string, expected: string) => {
    await assert.rejects(decryptKeystore(doc, pw), (e: unknown) => {
      assert.ok(code(expected)(e), `expected ${expected}, got ${String(e)}`);
      assert.ok(!(e as Error).message.includes(secretHex));
      return true;
    });
  };
  await attempt(json, 'pW', 'WRONG_PASSWORD');
  const ct = json.crypto.ciphertext;
  const flipped = (ct[0] === '0' ? '1' : '0') + ct.slice(1);
  await attempt({ ...json, crypto: { ...json.crypto, ciphertext: flipped } }, 'pw', 'KEYSTORE_CORRUPT');
  await attempt({ ...json, crypto: { ...json.crypto, ciphertext: ct.slice(0, -2) } }, 'pw', 'KEYSTORE_CORRUPT');
  await attempt({ ...json, address: bytesToHex(generateIdentity().address) }, 'pw', 'KEYSTORE_CORRUPT');
  await attempt(
    { ...json, crypto: { ...json.crypto, cipherparams: { iv: '00'.repeat(12) } } },
    'pw',
    'KEYSTORE_CORRUPT',
  );
  await attempt({ ...json, crypto: { ...json.crypto, kdf: 'pbkdf2' } }, 'pw', 'KEYSTORE_CORRUPT');
  await attempt(
    { ...json, crypto: { ...json.crypto, kdfparams: { ...json.crypto.kdfparams, n: 1000 } } },
    'pw',
    'KEYSTORE_CORRUPT',
  );
  await attempt(
    { ...json, crypto: { ...json.crypto, kdfparams: { ...json.crypto.kdfparams, n: 2 ** 30 } } },
    'pw',
    'KEYSTORE_CORRUPT',
  );
  await attempt('not an object', 'pw', 'KEYSTORE_CORRUPT');
});

test('files: one per identity, owner-only, production scrypt by default, params recorded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'yilian-ks-'));
  try {
    const m = material();
    const path = await saveKeystore(dir, m, 'pw');
    const address = identityFromSecret(m.signingKey).address;
    assert.equal(path, keystorePath(dir, address));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const text = await readFile(path, 'utf8');
    assert.ok(!text.includes(bytesToHex(m.signingKey)));
    const doc = JSON.parse(text) as { crypto: { kdfparams: { n: number; r: number; p: number } } };
    assert.deepEqual(
      { n: doc.crypto.kdfparams.n, r: doc.crypto.kdfparams.r, p: doc.crypto.kdfparams.p },
      { ...PRODUCTION_SCRYPT },
    );
    assert.ok(PRODUCTION_SCRYPT.n >= 2 ** 17);
    assert.deepEqual(await loadKeystore(dir, address, 'pw'), m);
    await assert.rejects(loadKeystore(dir, address, 'nope'), code('WRONG_PASSWORD'));
    await writeFile(path, text.slice(0, 100));
    await assert.rejects(loadKeystore(dir, address, 'pw'), code('KEYSTORE_CORRUPT'));
    await assert.rejects(loadKeystore(dir, generateIdentity().address, 'pw'), /no keystore for 0x/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

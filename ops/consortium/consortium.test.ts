import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { identityFromSecret } from '../../core/crypto/index.js';
import { decryptKeystore } from '../../core/keys/keystore-format.js';
import { keystoreFiles, readKeystoreFile } from '../../core/keys/node/keystore-file.js';
import { FiscoClient } from '../../core/ledger/fisco-client.js';
import { lookupIdentity } from '../../core/ledger/directory.js';
import { Role } from '../../core/roles.js';
import { KuboContentStore } from '../../core/storage/index.js';
import { filesUnder, findNeedles, readAll, type Needle } from '../../test/harness/privacy-scan.js';
import { loadConfig } from '../config/index.js';
import { contentStoreFromConfig } from '../engine/content-store.js';
import { withEngineState } from '../engine/open.js';
import { LOCAL_ROLES } from '../engine/organisation.js';
import { readDeployment } from '../chain/deployment.js';
import { SCRATCH_SCRYPT } from '../scratch/engine.js';
import { tempDir } from '../scratch/services.js';
import { startConsortium, treeRss, type Consortium, type ConsortiumEngine } from './launch.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let consortium: Consortium | undefined;
const running = () => consortium ?? assert.fail('the consortium did not start');
const MB = 1024 * 1024;

before(async () => {
  dir = await tempDir('consortium');
  consortium = await startConsortium({ dir: dir.path, scrypt: SCRATCH_SCRYPT });
  const rss = await Promise.all(
    consortium.engines.map(
      async (e) => `${e.org.slug} ${String(Math.round(((await treeRss(e.process.pid)) ?? 0) / MB))} MB`,
    ),
  );
  console.log(`consortium of 5 engines ready in ${(consortium.startupMs / 1000).toFixed(1)} s; rss ${rss.join(', ')}`);
});
after(async () => {
  await consortium?.stop();
  await dir.remove();
});

const password = (engine: ConsortiumEngine) =>
  engine.env.YILIAN_KEYSTORE_PASSWORD ?? assert.fail('no keystore password');

/** Every keystore in the engine's own dir, opened with its own password (the control: its keys are where they must be). */
async function ownKeystores(folder: string, secret: string) {
  return Promise.all(
    (await keystoreFiles(folder)).map(async (file) => {
      const material = await decryptKeystore(await readKeystoreFile(file), secret);
      return { file, material, address: `0x${bytesToHex(identityFromSecret(material.signingKey).address)}` };
    }),
  );
}

test('every engine is in the Directory on the one shared chain, with keys only its own data dir holds', async () => {
  const c = running();
  const chain = new FiscoClient({ rpcUrl: c.rpcUrl, chainId: 'chain0', groupId: 'group0' });
  const published = await readDeployment(c.engine('ca').home);
  assert.ok(published, 'the CA engine recorded its deployment');
  for (const engine of c.engines) {
    // the member engines joined the CA's contracts: each serves the same Directory
    const served = (await (await fetch(`${engine.apiUrl}/v1/chain`)).json()) as { contracts: { directory: string } };
    assert.equal(
      served.contracts.directory,
      published.directory,
      `${engine.org.slug} serves the consortium's Directory`,
    );
    const entry = await lookupIdentity(chain, published.directory, engine.account);
    assert.ok(entry, `${engine.org.slug} is registered`);
    assert.equal(entry.name, engine.org.name);
    assert.equal(entry.role, engine.org.role === 'ca' ? Role.CA : LOCAL_ROLES[engine.org.role]);
    const keys = await ownKeystores(join(engine.home, 'keys'), password(engine));
    const own = keys.find((k) => k.address === engine.account);
    assert.ok(own, `${engine.org.slug}'s key for ${engine.account} is in its own keystore`);
    assert.equal(bytesToHex(identityFromSecret(own.material.signingKey).publicKey), bytesToHex(entry.publicKey));
    const caPointer = await readFile(join(engine.home, 'keys', 'ca.address'), 'utf8').catch(() => undefined);
    if (engine.org.role === 'ca') assert.equal(`0x${caPointer?.trim() ?? ''}`, published.ca);
    else {
      assert.equal(caPointer, undefined, `${engine.org.slug} holds no CA key`);
      const local = await withEngineState(engine.home, (state) => state.localIdentity(engine.org.name));
      assert.equal(local?.address, engine.account, `${engine.org.slug} signs as the organisation the CA registered`);
    }
  }
});

test('a hospital’s engine registers no one: its operator is not one of the CA’s operators', async () => {
  const c = running();
  await assert.rejects(
    c.cli('hospital-a', ['ca', 'register', join(c.dir, 'consortium', 'pharmacy.card.json')]),
    /registerIdentity: 0x[0-9a-f]{40} is not one of this engine's ca operators/,
  );
});

test('content hospital A’s engine stores is fetched by hospital B’s own kubo node over bitswap', async () => {
  const c = running();
  const [a, b] = [c.engine('hospital-a'), c.engine('hospital-b')];
  // the store hospital A's engine writes to, from its own configuration: its own kubo node
  const storeA = contentStoreFromConfig(loadConfig(a.env));
  const record = randomBytes(300_000);
  const cid = await storeA.put(record);
  const storeB = new KuboContentStore(b.kubo.apiUrl);
  assert.equal(await storeB.has(cid), false, 'not in B’s node before it is asked for');
  assert.deepEqual(Buffer.from(await storeB.get(cid, AbortSignal.timeout(20_000))), record);
  const ledger = (await (
    await fetch(`${b.kubo.apiUrl}/api/v0/bitswap/ledger?arg=${a.kubo.peerId}`, { method: 'POST' })
  ).json()) as { Recv: number };
  assert.ok(
    ledger.Recv >= record.length,
    `B received the blocks from A’s node by bitswap (${String(ledger.Recv)} bytes)`,
  );
});

/** An organisation's secrets: what no other organisation's folder may hold in any form. */
async function secretsOf(engine: ConsortiumEngine): Promise<{ kept: Needle[]; keys: Needle[] }> {
  const slug = engine.org.slug;
  const kept: Needle[] = [];
  const keysDir = join(engine.home, 'keys');
  for (const name of await readdir(keysDir)) {
    if (name === 'ca.address') continue; // public: the CA's account
    const bytes = await readFile(join(keysDir, name));
    // keystore files whole (a copied one is still another's key), kept secrets as their text
    kept.push({
      label: `${slug}'s keys/${name}`,
      bytes: name.endsWith('.json') ? bytes : Buffer.from(bytes.toString().trim()),
    });
  }
  const codecKey = (await readFile(join(keysDir, 'codec-keys'), 'utf8')).trim().split(':')[1] ?? '';
  kept.push({ label: `${slug}'s payload codec key`, bytes: Buffer.from(codecKey, 'base64') });
  kept.push({
    label: `${slug}'s state ref key`,
    bytes: hexToBytes((await readFile(join(keysDir, 'state-ref-key'), 'utf8')).trim()),
  });
  const kuboConfig = JSON.parse(await readFile(join(engine.dir, 'kubo', 'config'), 'utf8')) as {
    Identity: { PrivKey: string };
  };
  kept.push({ label: `${slug}'s IPFS node key`, bytes: Buffer.from(kuboConfig.Identity.PrivKey, 'base64') });
  const operatorPassword = engine.env.YILIAN_OPERATOR_PASSWORD ?? assert.fail('no operator password');
  const keys: Needle[] = [];
  for (const [folder, secret] of [
    [keysDir, password(engine)],
    [join(engine.home, 'operator'), operatorPassword],
  ] as const) {
    for (const { file, material } of await ownKeystores(folder, secret)) {
      kept.push({ label: `${slug}'s keystore ${file}`, bytes: await readFile(file) });
      keys.push({ label: `${slug}'s signing key (${file})`, bytes: material.signingKey });
      for (const entry of [...material.preKeys, ...material.prekeys])
        keys.push({ label: `${slug}'s PRE secret ${String(entry.id)}`, bytes: entry.secretKey });
    }
  }
  return { kept, keys };
}

test('no engine’s data dir holds another organisation’s secret keys; each holds its own', async () => {
  const c = running();
  const secrets = new Map(await Promise.all(c.engines.map(async (e) => [e, await secretsOf(e)] as const)));
  // stopped first, so whatever the stores write on the way down is scanned too
  await c.stop();
  for (const engine of c.engines) {
    const haystack = await readAll(await filesUnder(engine.dir));
    const { kept, keys } = secrets.get(engine) ?? assert.fail();
    assert.ok(keys.length > 0);
    // the control: the scan finds this organisation's own kept secrets in its own folder
    for (const needle of kept)
      assert.ok(findNeedles(haystack, [needle]).length > 0, `the scan finds ${needle.label} in its own folder`);
    // and its raw keys are nowhere in the clear, only in its encrypted keystores
    assert.deepEqual(findNeedles(haystack, keys), [], `${engine.org.slug}'s raw keys at rest`);
    const others = [...secrets].filter(([other]) => other !== engine).flatMap(([, s]) => [...s.kept, ...s.keys]);
    assert.deepEqual(findNeedles(haystack, others), [], `${engine.org.slug}'s folder`);
  }
});

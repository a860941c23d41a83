import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import iconv from 'iconv-lite';
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
import { readDeployment, requireDeployment } from '../chain/deployment.js';
import { SCRATCH_SCRYPT } from '../scratch/engine.js';
import { tempDir } from '../scratch/services.js';
import { Client as MllpClient, fields, frame } from '../../connectors/mllp/test-helpers.js';
import { waitFor } from '../../test/harness/intake.js';
import { fetchInbox } from '../../wallet/inbox-client.js';
import { walletDir } from '../../wallet/node/wallet-dir.js';
import { openRecord } from '../../wallet/open-record.js';
import { Wallet } from '../../wallet/wallet.js';
import { chainClient } from '../chain/connect.js';
import { startConsortium, treeRss, type Consortium, type ConsortiumEngine, type ConsortiumPerson } from './launch.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let consortium: Consortium | undefined;
const running = () => consortium ?? assert.fail('the consortium did not start');
const MB = 1024 * 1024;

before(async () => {
  dir = await tempDir('consortium');
  consortium = await startConsortium({
    dir: dir.path,
    scrypt: SCRATCH_SCRYPT,
    // hospital B's own setting: its feed sends GB 18030 and leaves MSH-18 empty
    env: (org) => (org.slug === 'hospital-b' ? { YILIAN_MLLP_CHARSET: 'gb18030' } : undefined),
  });
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

/** A person's wallet as they open it (cheap scrypt when it saves prekeys). */
const walletOf = (person: ConsortiumPerson) => Wallet.open(walletDir(person.dir), person.password, SCRATCH_SCRYPT);

/** The patient publishes prekeys to one hospital's engine (POST /v1/prekeys), as their wallet would. */
async function publishPrekeys(engine: ConsortiumEngine, wallet: Wallet, count: number): Promise<void> {
  const response = await fetch(`${engine.apiUrl}/v1/prekeys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ owner: wallet.identity.address, bundle: await wallet.addPrekeys(count) }),
  });
  assert.equal(response.status, 200, await response.text());
}

/** An ORU^R01 for the patient a hospital knows as `identifier` (authority MRN), over MLLP to its door; its ACK code. */
async function sendOru(
  engine: ConsortiumEngine,
  controlId: string,
  identifier: string,
  note: string,
  charset = 'utf8',
) {
  const message =
    `MSH|^~\\&|LAB|WARD|||20261203080000||ORU^R01|${controlId}|P|2.5\r` +
    `PID|1||${identifier}^^^MRN||DOE^ALICE\rOBX|1|TX|NOTE||${note}\r`;
  const client = await MllpClient.connect(engine.mllpPort ?? assert.fail(`${engine.org.slug} has no MLLP door`));
  try {
    client.write(frame(message, charset));
    return { message, code: fields(await client.nextAck(charset))[1]?.[1] };
  } finally {
    client.close();
  }
}

/** The patient's records in an engine's inbox once there are `count` of them. */
const recordsAt = (engine: ConsortiumEngine, wallet: Wallet, count: number) =>
  waitFor(`${String(count)} record(s) in the inbox at ${engine.org.slug}`, async () => {
    const records = (await fetchInbox(engine.apiUrl, wallet)).filter((item) => item.kind === 'record');
    return records.length >= count ? records : undefined;
  });

/** What a fetch of a stopped engine meets: nothing listening. */
const refused = (error: unknown) => (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';

test('people registered at the CA; one hospital’s engine stopped while another keeps anchoring, then started again with its data', async () => {
  const c = running();
  // where the time goes, printed at the end
  const laps: string[] = [];
  let since = Date.now();
  const lap = (what: string) => {
    laps.push(`${what} ${((Date.now() - since) / 1000).toFixed(1)} s`);
    since = Date.now();
  };
  const [a, b] = [c.engine('hospital-a'), c.engine('hospital-b')];
  const chain = chainClient(loadConfig(c.engine('ca').env));
  const directory = (await readDeployment(c.engine('ca').home))?.directory ?? assert.fail('no deployment');

  // people with wallets of their own, registered by the CA's operator
  const drHu = { slug: 'dr-hu', name: 'Dr. Hu', role: 'doctor', organisation: 'hospital-b' } as const;
  const [doctor, alice] = await Promise.all([
    c.person(drHu),
    c.person({ slug: 'alice', name: 'Alice', role: 'patient' }),
  ]);
  const doctorEntry = await lookupIdentity(chain, directory, doctor.account);
  assert.equal(doctorEntry?.role, Role.Doctor);
  assert.equal(doctorEntry.organisation, b.account.toLowerCase(), 'the Directory has Dr. Hu as hospital B’s');
  assert.equal((await lookupIdentity(chain, directory, alice.account))?.role, Role.Patient);
  assert.equal(
    await withEngineState(c.engine('ca').home, (state) => state.unclaimedPrekeys(alice.account)),
    0,
    'a patient publishes no prekeys to the CA’s engine',
  );
  assert.equal((await c.person(drHu)).account, doctor.account, 'asked again: the wallet already registered');
  const wallet = await walletOf(alice);
  lap('people');

  // Alice at hospital A: prekeys published to its engine, enrolled by its operator, a record over its MLLP door
  await Promise.all([
    publishPrekeys(a, wallet, 3),
    c.cli('hospital-a', ['enrol', '--account', alice.account, '--authority', 'MRN', '--identifier', 'A-1']),
  ]);
  lap('enrolled at A');
  assert.equal((await sendOru(a, 'A-1', 'A-1', 'before the stop')).code, 'AA');
  const [beforeStop] = await recordsAt(a, wallet, 1);

  lap('a record at A');
  await c.stopEngine('hospital-a');
  lap('A stopped');
  await assert.rejects(fetch(`${a.apiUrl}/healthz`), refused, 'A’s API refuses connections');
  await assert.rejects(MllpClient.connect(a.mllpPort ?? 0), /ECONNREFUSED/, 'and so does its MLLP door');

  // hospital B keeps working: healthy, and a record over its door (in its own charset) reaches Alice through it
  assert.equal((await fetch(`${b.apiUrl}/healthz`)).status, 200);
  await Promise.all([
    publishPrekeys(b, wallet, 3),
    c.cli('hospital-b', ['enrol', '--account', alice.account, '--authority', 'MRN', '--identifier', 'B-7']),
  ]);
  const sent = await sendOru(b, 'B-1', 'B-7', '血红蛋白 正常', 'gb18030');
  assert.equal(sent.code, 'AA', 'B read the message in the charset its own setting names');
  const [atB] = await recordsAt(b, wallet, 1);
  assert.ok(atB?.kind === 'record');
  const configB = loadConfig(b.env);
  const { location, key } = await wallet.recordKey(atB);
  const opened = await openRecord(
    { chain, contracts: await requireDeployment(b.home), store: contentStoreFromConfig(configB) },
    location,
    key,
  );
  assert.equal(opened.author.address, b.account.toLowerCase(), 'signed by hospital B');
  assert.deepEqual(Buffer.from(opened.bytes), iconv.encode(sent.message, 'gb18030'), 'the bytes B’s feed sent');

  lap('a record at B meanwhile');
  const restarted = await c.restart('hospital-a');
  lap('A started again');
  assert.equal(restarted.apiUrl, a.apiUrl, 'the same URL');
  assert.equal(c.engine('hospital-a'), restarted);
  assert.notEqual(restarted.process.pid, a.process.pid);
  assert.equal((await fetch(`${a.apiUrl}/healthz`)).status, 200);
  // what A held before the stop is still there: Alice's record, and her enrolment, which anchors the next one at once
  const records = await fetchInbox(a.apiUrl, wallet);
  assert.deepEqual(
    records.map((item) => item.recordId),
    [beforeStop?.recordId],
  );
  assert.equal((await sendOru(restarted, 'A-2', 'A-1', 'after the restart')).code, 'AA');
  await recordsAt(restarted, wallet, 2);
  lap('its next record');
  console.log(laps.join(', '));
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

/** Each person's wallet secrets, from their folders in `<dir>/people`: password, keystore, signing key, prekey secrets. */
async function peopleSecrets(root: string): Promise<Array<{ dir: string; kept: Needle[]; keys: Needle[] }>> {
  const people = join(root, 'people');
  return Promise.all(
    (await readdir(people).catch(() => [])).map(async (slug) => {
      const folder = join(people, slug);
      const password = (await readFile(join(folder, 'password'), 'utf8')).trim();
      const kept: Needle[] = [{ label: `${slug}'s wallet password`, bytes: Buffer.from(password) }];
      const keys: Needle[] = [];
      for (const { file, material } of await ownKeystores(folder, password)) {
        kept.push({ label: `${slug}'s wallet keystore`, bytes: await readFile(file) });
        keys.push({ label: `${slug}'s signing key`, bytes: material.signingKey });
        for (const entry of [...material.preKeys, ...material.prekeys])
          keys.push({ label: `${slug}'s PRE secret ${String(entry.id)}`, bytes: entry.secretKey });
      }
      assert.ok(keys.length > 0, `${slug}'s wallet opens with the password beside it`);
      return { dir: folder, kept, keys };
    }),
  );
}

test('no engine’s data dir holds another organisation’s secret keys, nor any person’s; each holds its own', async () => {
  const c = running();
  const secrets = new Map(await Promise.all(c.engines.map(async (e) => [e, await secretsOf(e)] as const)));
  const people = await peopleSecrets(c.dir);
  // the control for people: the scan finds each one's wallet in their own folder
  for (const person of people) {
    const haystack = await readAll(await filesUnder(person.dir));
    for (const needle of person.kept)
      assert.ok(findNeedles(haystack, [needle]).length > 0, `the scan finds ${needle.label} in their folder`);
  }
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
    const others = [
      ...[...secrets].filter(([other]) => other !== engine).flatMap(([, s]) => [...s.kept, ...s.keys]),
      ...people.flatMap((person) => [...person.kept, ...person.keys]),
    ];
    assert.deepEqual(findNeedles(haystack, others), [], `${engine.org.slug}'s folder`);
  }
});

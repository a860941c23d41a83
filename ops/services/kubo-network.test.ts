import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { KuboContentStore } from '../../core/storage/index.js';
import { tempDir } from '../scratch/services.js';
import { connectedPeers, startKuboNetwork, type KuboMember, type KuboNetwork } from './kubo-network.js';
import { defaultToolsDir, toolPath } from '../tools.js';

const executable = toolPath(process.env.YILIAN_TOOLS_DIR ?? defaultToolsDir(), 'ipfs');
let dir: Awaited<ReturnType<typeof tempDir>>;
let consortium: KuboNetwork;
let stranger: KuboNetwork;

const member = (network: KuboNetwork, name: string): KuboMember =>
  network.members.find((m) => m.name === name) ?? assert.fail(`no member ${name}`);

/** Until every member is connected to every other one (kubo's peering dials them at start). */
async function meshed(network: KuboNetwork): Promise<void> {
  for (let i = 0; ; i++) {
    const complete = await Promise.all(
      network.members.map(async (m) => {
        const peers = await connectedPeers(m);
        return network.members.every((other) => other === m || peers.includes(other.peerId));
      }),
    );
    if (complete.every(Boolean)) return;
    if (i > 200) assert.fail('the members did not connect to each other within 20 s');
    await sleep(100);
  }
}

before(async () => {
  dir = await tempDir('kubo-network');
  consortium = await startKuboNetwork({
    executable,
    dir: `${dir.path}/consortium`,
    members: ['hospital-a', 'hospital-b', 'pharmacy'],
    swarmKey: randomBytes(32),
  });
  stranger = await startKuboNetwork({
    executable,
    dir: `${dir.path}/stranger`,
    members: ['stranger'],
    swarmKey: randomBytes(32),
  });
});
after(async () => {
  await consortium.stop();
  await stranger.stop();
  await dir.remove();
});

test('content one organisation adds is read through another organisation’s own node, also with a third one down', async () => {
  await meshed(consortium);
  const [a, pharmacy] = ['hospital-a', 'pharmacy'].map((name) => new KuboContentStore(member(consortium, name).apiUrl));
  // more than one chunk, so the DAG's links travel too
  const record = randomBytes(600_000);
  const cid = await (a ?? assert.fail()).put(record);
  assert.equal(await (pharmacy ?? assert.fail()).has(cid), false, 'not there before it is asked for');
  assert.deepEqual(Buffer.from(await (pharmacy ?? assert.fail()).get(cid, AbortSignal.timeout(20_000))), record);
  assert.equal(await (pharmacy ?? assert.fail()).has(cid), true, 'fetched blocks stay in the reader’s node');

  await member(consortium, 'hospital-b').process.stop();
  const later = randomBytes(1000);
  const laterCid = await (pharmacy ?? assert.fail()).put(later);
  assert.deepEqual(Buffer.from(await (a ?? assert.fail()).get(laterCid, AbortSignal.timeout(20_000))), later);
  const peers = await connectedPeers(member(consortium, 'pharmacy'));
  assert.ok(peers.includes(member(consortium, 'hospital-a').peerId), 'still connected to hospital A');
  assert.ok(!peers.includes(member(consortium, 'hospital-b').peerId), 'and no longer to B');
});

test('a node without the consortium’s swarm key can neither connect nor fetch', async () => {
  const a = member(consortium, 'hospital-a');
  const outsider = member(stranger, 'stranger');
  const dial = await fetch(
    `${outsider.apiUrl}/api/v0/swarm/connect?arg=${encodeURIComponent(`${a.swarmAddress}/p2p/${a.peerId}`)}`,
    { method: 'POST' },
  );
  assert.notEqual(dial.status, 200, 'the handshake fails without the key');
  assert.ok(!(await connectedPeers(a)).includes(outsider.peerId));
  const cid = await new KuboContentStore(a.apiUrl).put(randomBytes(2000));
  await assert.rejects(new KuboContentStore(outsider.apiUrl).get(cid, AbortSignal.timeout(3000)));
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startScratchRedis } from '../scratch/services.js';
import { freePort } from './ports.js';
import { redisDurability, requireDurableRedis } from './redis-durability.js';

const setups = {
  embedded: [],
  everysec: ['--appendfsync', 'everysec'],
  'no AOF': ['--appendonly', 'no'],
  evicting: ['--maxmemory-policy', 'allkeys-lru'],
  'CONFIG disabled': ['--rename-command', 'CONFIG', ''],
} as const;
type Setup = keyof typeof setups;
const servers = new Map<Setup, Awaited<ReturnType<typeof startScratchRedis>>>();

before(async () => {
  await Promise.all(
    (Object.keys(setups) as Setup[]).map(async (name) =>
      servers.set(name, await startScratchRedis({ extraArgs: [...setups[name]] })),
    ),
  );
});
after(async () => Promise.all([...servers.values()].map((server) => server.stop())));
const url = (name: Setup) => servers.get(name)?.url as string;

test("the embedded Redis's settings lose nothing acknowledged", async () => {
  assert.deepEqual(await redisDurability(url('embedded')), {
    settings: 'appendonly yes, appendfsync always, maxmemory-policy noeviction',
    problems: [],
  });
  assert.equal(
    await requireDurableRedis(url('embedded'), false),
    'appendonly yes, appendfsync always, maxmemory-policy noeviction',
  );
});

test('a Redis that could lose an acknowledged message is refused, naming the setting and the way out', async () => {
  const refused: Array<[Setup, RegExp]> = [
    [
      'everysec',
      /appendfsync is everysec: writes reach the disk once a second, so a power cut loses acknowledged messages/,
    ],
    ['no AOF', /appendonly is no: without the append-only file a restart loses what was queued/],
    ['evicting', /maxmemory-policy is allkeys-lru: a full Redis would evict queued messages/],
    ['CONFIG disabled', /CONFIG GET is refused by this Redis \(.*unknown command.*\).*confirm with the provider/s],
  ];
  for (const [name, reason] of refused) {
    await assert.rejects(requireDurableRedis(url(name), false), (error: Error) => {
      assert.match(error.message, /could lose acknowledged messages/);
      assert.match(error.message, reason);
      assert.match(error.message, /YILIAN_REDIS_ALLOW_UNSAFE=1/);
      return true;
    });
    assert.match(await requireDurableRedis(url(name), true), /UNSAFE, accepted by YILIAN_REDIS_ALLOW_UNSAFE/);
  }
});

test('an unreachable Redis is named, not waited for', async () => {
  await assert.rejects(
    requireDurableRedis(`redis://127.0.0.1:${await freePort()}`, true),
    /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
  );
});

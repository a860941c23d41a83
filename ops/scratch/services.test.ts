import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { pingRedis } from '../services/redis.js';
import { startScratchKubo, startScratchRedis, startScratchTemporal } from './services.js';

test('the Redis harness serves a real redis-server on a free loopback port and stops it', async () => {
  const redis = await startScratchRedis();
  const client = new Redis(redis.url);
  try {
    await client.set('harness', 'works');
    assert.equal(await client.get('harness'), 'works');
    assert.match(await client.info('server'), /redis_version:7\./);
  } finally {
    client.disconnect();
    await redis.stop();
  }
  assert.equal(await pingRedis('127.0.0.1', redis.port), false, 'stopped');
});

test('the kubo harness runs an offline daemon in a temporary repo and removes it', async () => {
  const kubo = await startScratchKubo();
  try {
    const response = await fetch(`${kubo.apiUrl}/api/v0/version`, { method: 'POST' });
    assert.equal(((await response.json()) as { Version: string }).Version, '0.42.0');
  } finally {
    await kubo.stop();
  }
  assert.equal(existsSync(kubo.repo), false);
  await assert.rejects(fetch(`${kubo.apiUrl}/api/v0/version`, { method: 'POST' }));
});

test('the Temporal harness runs the bootstrapped CLI dev server', async () => {
  const temporal = await startScratchTemporal();
  try {
    const info = await temporal.client.workflowService.getSystemInfo({});
    assert.ok(info.serverVersion, 'a real server reports its version');
  } finally {
    await temporal.teardown();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpApp } from './app.js';
import { checkHealth } from './health.js';
import { serve } from './test-helpers.js';

async function healthz(probes: Parameters<typeof createHttpApp>[0]['health']) {
  const api = await serve(() => createHttpApp({ health: probes }));
  try {
    const response = await fetch(`${api.url}/healthz`);
    return {
      status: response.status,
      body: (await response.json()) as {
        status: string;
        components: Record<string, { status: string; error?: string }>;
      },
    };
  } finally {
    await api.close();
  }
}

test('healthz is 200 with every component ok', async () => {
  const { status, body } = await healthz({ temporal: async () => {}, redis: async () => {} });
  assert.equal(status, 200);
  assert.equal(body.status, 'ok');
  assert.deepEqual(Object.keys(body.components).sort(), ['redis', 'temporal']);
  assert.equal(body.components.temporal?.status, 'ok');
});

test('healthz is 503 naming the component that is down and why', async () => {
  const { status, body } = await healthz({
    temporal: async () => {},
    redis: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
  });
  assert.equal(status, 503);
  assert.equal(body.status, 'degraded');
  assert.equal(body.components.redis?.status, 'down');
  assert.match(body.components.redis.error ?? '', /ECONNREFUSED/);
  assert.equal(body.components.temporal?.status, 'ok');
});

test('a hung probe is reported down instead of hanging the answer', async () => {
  const { status, body } = await healthz({ storage: () => new Promise(() => {}) });
  assert.equal(status, 503);
  assert.match(body.components.storage?.error ?? '', /no answer within/);
});

test('a component that quotes a URL with credentials is reported without them', async () => {
  const report = await checkHealth({
    chain: () => Promise.reject(new Error('chain node http://rpc-user:s3cret@fisco-node0:20200 unreachable')),
  });
  assert.equal(report.components.chain?.error, 'chain node http://***@fisco-node0:20200 unreachable');
});

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { assertPortFree, freePort } from './ports.js';

// the kernel gives a port closed moments ago again (26 of 500 asked for one by one, measured here)
test('free ports asked for one after another are all different, and each is free to bind', async () => {
  const ports: number[] = [];
  for (let i = 0; i < 300; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length);
  await Promise.all(ports.slice(0, 20).map((port) => assertPortFree('127.0.0.1', port, 'TEST_PORT')));
});

test('a port something listens on is refused, naming the setting', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(typeof address === 'object' && address);
  await assert.rejects(
    assertPortFree('127.0.0.1', address.port, 'YILIAN_API_PORT'),
    new RegExp(`port ${String(address.port)} on 127.0.0.1 is already in use \\(set YILIAN_API_PORT`),
  );
  await new Promise((resolve) => server.close(resolve));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FiscoClient } from './fisco-client.js';
import { LedgerError } from './errors.js';

test('credentials in the RPC URL go in a Basic header and never into a message', async () => {
  const seen: Array<{ url: string | undefined; authorization: string | undefined }> = [];
  const server = createServer((request, response) => {
    seen.push({ url: request.url, authorization: request.headers.authorization });
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: 42 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const client = new FiscoClient({
      rpcUrl: `http://rpc-user:s3cret@127.0.0.1:${port}/`,
      chainId: 'chain0',
      groupId: 'group0',
    });
    assert.equal(await client.getBlockNumber(), 42);
    assert.deepEqual(seen, [{ url: '/', authorization: `Basic ${Buffer.from('rpc-user:s3cret').toString('base64')}` }]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  // the node is gone now: the error names it without its credentials
  const away = new FiscoClient({
    rpcUrl: `http://rpc-user:s3cret@127.0.0.1:${port}/`,
    chainId: 'chain0',
    groupId: 'group0',
  });
  await assert.rejects(away.getBlockNumber(), (error: unknown) => {
    assert.ok(error instanceof LedgerError);
    assert.equal(error.code, 'UNAVAILABLE');
    assert.ok(!error.message.includes('s3cret') && !error.message.includes('rpc-user'), error.message);
    assert.match(error.message, /http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1/);
    return true;
  });
});

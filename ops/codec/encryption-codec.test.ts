import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { WorkflowClient } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startScratchTemporal, tempDir } from '../scratch/services.js';
import { createDocumentsWorker } from '../../test/workflows/worker.js';
import { EmbeddedContentStore } from '../../core/storage/node/index.js';
import { storeDocument } from '../../test/workflows/index.js';
import { codecRoutes } from '../../connectors/http/codec-routes.js';
import { CodecKeyring } from './keyring.js';
import { EncryptionCodec } from './encryption-codec.js';
import { isUnsealed } from '../../workflows/unsealed.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const secret = 'PID|12345^^^HOSP^MR|DOE^JANE';
const payloadOf = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const contains = (haystack: Uint8Array, needle: string) => Buffer.from(haystack).includes(Buffer.from(needle));

/** Every byte string anywhere in a decoded history, concatenated: where payload data lives. */
function bytesIn(value: unknown): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return Buffer.concat(value.map(bytesIn));
  if (typeof value === 'object' && value !== null) return Buffer.concat(Object.values(value).map(bytesIn));
  return Buffer.alloc(0);
}

/** The one payload a codec call returns for one payload in. */
function only(payloads: Payload[]): Payload & { data: Uint8Array } {
  const [payload] = payloads;
  assert.equal(payloads.length, 1);
  assert.ok(payload?.data, 'the payload has data');
  return { ...payload, data: payload.data };
}

describe('payload encryption codec', () => {
  test('round trip; nothing of the payload or its encoding stays readable', async () => {
    const codec = new EncryptionCodec(new CodecKeyring('k1', [['k1', keyA]]));
    const original = payloadOf({ record: secret });
    const encoded = only(await codec.encode([original]));
    assert.equal(Buffer.from(encoded.metadata?.['encryption-key-id'] ?? []).toString(), 'k1');
    assert.ok(!contains(encoded.data, secret));
    assert.ok(!contains(encoded.data, 'json/plain'));
    const decoded = only(await codec.decode([encoded]));
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded), { record: secret });
  });

  test('after a rotation, payloads sealed with the old key still decode and new ones use the new key', async () => {
    const old = only(await new EncryptionCodec(new CodecKeyring('k1', [['k1', keyA]])).encode([payloadOf(secret)]));
    const rotated = new EncryptionCodec(
      new CodecKeyring('k2', [
        ['k2', keyB],
        ['k1', keyA],
      ]),
    );
    assert.equal(defaultPayloadConverter.fromPayload(only(await rotated.decode([old]))), secret);
    const fresh = only(await rotated.encode([payloadOf(secret)]));
    assert.equal(Buffer.from(fresh.metadata?.['encryption-key-id'] ?? []).toString(), 'k2');
  });

  test('an unknown key, a swapped key id and a flipped byte are refused with clear errors', async () => {
    const codec = new EncryptionCodec(new CodecKeyring('k1', [['k1', keyA]]));
    const encoded = only(await codec.encode([payloadOf(secret)]));
    await assert.rejects(
      new EncryptionCodec(new CodecKeyring('k2', [['k2', keyB]])).decode([encoded]),
      /codec key "k1", which this keyring does not hold/,
    );
    const relabelled = { ...encoded, metadata: { ...encoded.metadata, 'encryption-key-id': Buffer.from('k2') } };
    await assert.rejects(
      new EncryptionCodec(
        new CodecKeyring('k1', [
          ['k1', keyA],
          ['k2', keyA],
        ]),
      ).decode([relabelled]),
      /authentication failed/,
    );
    const flipped = Uint8Array.from(encoded.data);
    flipped.set([(flipped.at(-1) ?? 0) ^ 1], flipped.length - 1);
    await assert.rejects(codec.decode([{ ...encoded, data: flipped }]), /authentication failed/);
  });

  test('a payload not sealed with a key of the keyring never reaches engine code', async () => {
    const codec = new EncryptionCodec(new CodecKeyring('k1', [['k1', keyA]]));
    const plain = payloadOf({ name: 'Mallory', role: 1 });
    const foreign = only(await new EncryptionCodec(new CodecKeyring('k9', [['k9', keyB]])).encode([plain]));
    const workflow = { type: 'workflow', namespace: 'default', workflowId: 'identity:local:Mallory' } as const;
    const activity = { type: 'activity', namespace: 'default', workflowId: 'w', isLocal: false } as const;
    for (const unsealed of [plain, foreign]) {
      // what someone without the key sends a workflow becomes the mark the interceptors refuse
      const [marked] = await codec.decode([unsealed], workflow);
      assert.ok(isUnsealed(defaultPayloadConverter.fromPayload(marked as Payload)));
      // an activity's input or result, or a payload of no known owner, is an error
      await assert.rejects(codec.decode([unsealed], activity), /not sealed with the engine's codec key|does not hold/);
      await assert.rejects(codec.decode([unsealed]), /not sealed with the engine's codec key|does not hold/);
    }
    // only the operators' display endpoint shows them as they are
    assert.deepEqual(await codec.forDisplay().decode([plain]), [plain]);
    const sealed = only(await codec.encode([plain]));
    assert.deepEqual(defaultPayloadConverter.fromPayload(only(await codec.decode([sealed], workflow))), {
      name: 'Mallory',
      role: 1,
    });
  });

  test('bad keyrings are named', () => {
    assert.throws(() => CodecKeyring.parse(''), /no key given/);
    assert.throws(
      () => CodecKeyring.parse(`k1:${Buffer.from(randomBytes(16)).toString('base64')}`),
      /must be 32 bytes, got 16/,
    );
    assert.throws(() => new CodecKeyring('k9', [['k1', keyA]]), /k9 is current but not in the keyring/);
    assert.equal(CodecKeyring.parse(`k2:${keyB.toString('base64')}, k1:${keyA.toString('base64')}`).currentId, 'k2');
  });
});

describe('the codec on a real Temporal server and behind the HTTP endpoint', () => {
  let temporal: TestWorkflowEnvironment;
  let home: Awaited<ReturnType<typeof tempDir>>;
  const codec = new EncryptionCodec(new CodecKeyring('k1', [['k1', keyA]]));

  before(async () => {
    [temporal, home] = await Promise.all([startScratchTemporal(), tempDir('codec')]);
  });
  after(async () => {
    await temporal.teardown();
    await home.remove();
  });

  async function historyBytesOf(workflowId: string, payloadCodecs: EncryptionCodec[]): Promise<Buffer> {
    const dataConverter = { payloadCodecs };
    const worker = await createDocumentsWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace ?? 'default',
      taskQueue: workflowId,
      store: new EmbeddedContentStore(home.path),
      dataConverter,
    });
    const client = new WorkflowClient({ connection: temporal.connection, dataConverter });
    const document = Buffer.from(`${secret} ${'x'.repeat(100)}`);
    const result = await worker.runUntil(
      client.execute(storeDocument, { taskQueue: workflowId, workflowId, args: [document] }),
    );
    assert.equal(result.size, document.length);
    return bytesIn(await temporal.client.workflow.getHandle(workflowId).fetchHistory());
  }

  test("the server's history holds only ciphertext, and the worker still runs the workflow", async () => {
    assert.ok(
      (await historyBytesOf('codec-off', [])).includes(Buffer.from(secret)),
      'control: without the codec the record is in the history',
    );
    assert.ok(!(await historyBytesOf('codec-on', [codec])).includes(Buffer.from(secret)), 'plaintext in history');
    const raw = await temporal.client.workflow.getHandle('codec-on').fetchHistory();
    const input = raw.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    assert.equal(Buffer.from(input?.metadata?.encoding ?? []).toString(), 'binary/encrypted');
  });

  test('the codec endpoint decodes for a holder of the token, and refuses anyone else', async () => {
    const app = express();
    app.use('/codec', codecRoutes({ codec, token: 'operator-token-1234', allowedOrigins: ['http://127.0.0.1:8233'] }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/codec`;
    try {
      const encoded = only(await codec.encode([payloadOf(secret)]));
      const body = JSON.stringify({
        payloads: [
          {
            metadata: Object.fromEntries(
              Object.entries(encoded.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
            ),
            data: Buffer.from(encoded.data).toString('base64'),
          },
        ],
      });
      const post = (path: string, headers: Record<string, string>) =>
        fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      assert.equal((await post('/decode', {})).status, 401);
      assert.equal((await post('/decode', { authorization: 'Bearer wrong-token-12345' })).status, 401);
      const response = await post('/decode', {
        authorization: 'Bearer operator-token-1234',
        origin: 'http://127.0.0.1:8233',
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('access-control-allow-origin'), 'http://127.0.0.1:8233');
      const decoded = (await response.json()) as { payloads: [{ metadata: Record<string, string>; data: string }] };
      assert.equal(JSON.parse(Buffer.from(decoded.payloads[0].data, 'base64').toString()), secret);
      const preflight = await fetch(`${url}/decode`, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
      assert.equal(preflight.headers.get('access-control-allow-origin'), null);

      // the Web UI's way in: sign in once, then the session cookie stands for the token
      const login = (token: string) =>
        fetch(`${url}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `token=${encodeURIComponent(token)}`,
        });
      assert.equal((await login('wrong-token-12345')).status, 401);
      const signedIn = await login('operator-token-1234');
      assert.equal(signedIn.status, 200);
      const setCookie = signedIn.headers.get('set-cookie') ?? '';
      assert.match(setCookie, /HttpOnly/);
      assert.match(setCookie, /SameSite=Strict/);
      assert.doesNotMatch(setCookie, /operator-token-1234/, 'the cookie is not the token');
      const cookie = setCookie.split(';')[0] as string;
      const byCookie = await post('/decode', { cookie, origin: 'http://127.0.0.1:8233' });
      assert.equal(byCookie.status, 200);
      assert.equal(byCookie.headers.get('access-control-allow-credentials'), 'true');
      assert.equal((await post('/decode', { cookie: `${cookie.split('=')[0]}=forged` })).status, 401);
    } finally {
      server.close();
    }
  });
});

/**
 * The ERP door end to end on real parts: organisation credentials from `yilian org`, the real HTTP
 * app on a free port, zod at the edge, the durable intake queue on a real Redis, the dispatcher,
 * Temporal, the engine's workers (a real STARK per 1,024 items), the dev chain and the content
 * store; then each package's history read back with its trace code. Trace codes appear nowhere
 * but in the requests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Role } from '../core/roles.js';
import { authorize } from '../core/operators/authorization.js';
import { generateTraceCode } from '../core/crypto/index.js';
import { readTrace } from '../core/trace/read-trace.js';
import { MAX_BATCH_ITEMS, traceId } from '../native/index.js';
import { openIntakeQueue, type IntakeQueue } from '../connectors/intake/queue.js';
import { startDispatcher, type Dispatcher } from '../connectors/intake/dispatcher.js';
import { issueOrgCredential } from '../connectors/erp/credentials.js';
import { CodecKeyring } from '../ops/codec/keyring.js';
import { startScratchEngine, type ScratchEngine } from '../ops/scratch/engine.js';
import { startScratchRedis } from '../ops/scratch/services.js';
import { requestTraceCodes, startScratchErpApi } from '../ops/scratch/erp.js';
import { filesUnder, findNeedles, readAll } from './harness/privacy-scan.js';
import { runsOn, waitFor } from './harness/intake.js';

const run = promisify(execFile);
const repoRoot = new URL('..', import.meta.url).pathname;
const ITEMS = 5000;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

describe('ERP API: trace events from organisations’ systems', () => {
  let stack: ScratchEngine;
  let redis: Awaited<ReturnType<typeof startScratchRedis>>;
  let queue: IntakeQueue;
  let dispatcher: Dispatcher;
  let api: Awaited<ReturnType<typeof startScratchErpApi>>;
  const logs: string[] = [];
  /** Every answer's text, to search for trace codes at the end. */
  const answers: string[] = [];
  const tokens: Record<'manufacturer' | 'carrier' | 'pharmacy' | 'otherManufacturer', string> = {
    manufacturer: '',
    carrier: '',
    pharmacy: '',
    otherManufacturer: '',
  };
  const names = { manufacturer: 'ERP Manufacturer', carrier: 'ERP Carrier', pharmacy: 'ERP Pharmacy' };
  /** The packages' codes, issued by the engine to the manufacturer as its ERP asks for them. */
  let codes: string[] = [];
  const yilian = (...args: string[]) =>
    run(process.execPath, [join(repoRoot, 'ops/bin/yilian.mjs'), ...args], {
      env: { ...process.env, YILIAN_HOME: stack.home },
    });

  const call = async (
    method: string,
    path: string,
    options: { token?: string; key?: string; body?: string | Buffer; contentType?: string } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.key) headers['idempotency-key'] = options.key;
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
    const text = await response.text();
    answers.push(text);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // the HTML page
    }
    return { status: response.status, body, text };
  };
  const post = (path: string, token: string, key: string, body: unknown) =>
    call('POST', `/v1/trace${path}`, { token, key, body: JSON.stringify(body) });
  const batchOf = (itemCodes: string[], lot = 'LOT-2026-0042') => ({
    product: 'Amoxicillin 500 mg capsules, 24',
    gtin: '06938574920131',
    lot,
    manufacturedOn: '2026-11-02',
    expiresOn: '2028-11-01',
    items: itemCodes.map((code, i) => ({ code, serial: `SN${String(i + 1).padStart(6, '0')}` })),
  });
  /** Polls an event until it is committed, noting every state it was seen in. */
  const committed = async (token: string, eventId: string, seen: Set<string>, timeoutMs = 300_000) =>
    waitFor(
      `event ${eventId} committed`,
      async () => {
        const answer = await call('GET', `/v1/trace/events/${eventId}`, { token });
        assert.equal(answer.status, 200, answer.text);
        const status = answer.body.status as string;
        const part = answer.body.part as number | undefined;
        seen.add(status === 'proving' && part !== undefined ? `proving ${String(part)}` : status);
        assert.notEqual(status, 'failed', answer.text);
        return status === 'committed' ? answer.body : undefined;
      },
      timeoutMs,
    );

  before(async () => {
    [stack, redis] = await Promise.all([startScratchEngine(), startScratchRedis()]);
    await stack.startWorkers();
    const keys = CodecKeyring.parse(stack.codecKeys);
    queue = await openIntakeQueue({ redisUrl: redis.url, keys, taskQueue: stack.taskQueue });
    dispatcher = startDispatcher({ redisUrl: redis.url, keys, client: stack.client, taskQueue: stack.taskQueue });
    api = await startScratchErpApi({
      state: stack.engine.state,
      store: stack.engine.store,
      queue,
      client: stack.client,
      keys,
      log: (line) => logs.push(line),
    });
    const register = (name: string, role: Role) =>
      stack.workflows.execute.registerIdentity(authorize(stack.operator, 'registerIdentity', { name, role }));
    await register(names.manufacturer, Role.Manufacturer);
    await register(names.carrier, Role.Carrier);
    await register(names.pharmacy, Role.Pharmacy);
    await register('ERP Other Manufacturer', Role.Manufacturer);
    for (const [who, name] of Object.entries(names) as Array<[keyof typeof names, string]>) {
      const { stdout } = await yilian('org', 'issue', name);
      tokens[who] = stdout.trim();
    }
    const other = await stack.engine.state.localIdentity('ERP Other Manufacturer');
    tokens.otherManufacturer = (
      await issueOrgCredential(stack.engine.state, other ?? assert.fail('no identity'))
    ).token;
    codes = await requestTraceCodes(api.url, tokens.manufacturer, ITEMS);
  });
  after(async () => {
    await api.close();
    await dispatcher.close();
    await queue.close();
    await redis.stop();
    await stack.stop();
  });

  test('yilian org issues tokens once, lists credentials without secrets, and refuses a hospital', async () => {
    for (const token of Object.values(tokens)) assert.match(token, /^yk_[0-9a-f]{24}\.[A-Za-z0-9_-]{43}$/);
    const { stdout } = await yilian('org', 'list');
    assert.equal(stdout.trim().split('\n').length, 4);
    for (const token of Object.values(tokens)) {
      const [id = '', secret = ''] = token.slice(3).split('.');
      assert.ok(stdout.includes(id), 'the list names each credential');
      assert.ok(!stdout.includes(secret), 'and never a secret');
    }
    await stack.workflows.execute.registerIdentity(
      authorize(stack.operator, 'registerIdentity', { name: 'ERP Hospital', role: Role.Hospital }),
    );
    await assert.rejects(
      yilian('org', 'issue', 'ERP Hospital'),
      /is a Hospital; ERP credentials are for manufacturers/,
    );
    await assert.rejects(yilian('org', 'issue', 'Nobody'), /holds no identity named "Nobody"/);
  });

  test('requests without a valid credential, of the wrong role, without a key or with a bad body are refused', async () => {
    const body = batchOf(codes.slice(0, 3));
    assert.equal((await post('/batches', '', 'k-1', body)).status, 401);
    const forged = `${tokens.manufacturer.slice(0, -4)}AAAA`;
    const bad = await post('/batches', forged, 'k-1', body);
    assert.deepEqual([bad.status, bad.body.error], [401, 'the credential is not valid']);

    // who signs comes from the credential alone: a carrier cannot report a production batch
    const carrier = await post('/batches', tokens.carrier, 'k-1', body);
    assert.equal(carrier.status, 403);
    assert.match(carrier.body.error as string, /ERP Carrier is a Carrier: batches are reported by manufacturers/);
    assert.equal((await post('/dispenses', tokens.manufacturer, 'k-1', {})).status, 403);

    const noKey = await call('POST', '/v1/trace/batches', { token: tokens.manufacturer, body: JSON.stringify(body) });
    assert.equal(noKey.status, 400);
    assert.match(noKey.body.error as string, /Idempotency-Key/);
    assert.equal((await post('/batches', tokens.manufacturer, 'has#hash', body)).status, 400);
    assert.equal((await post('/batches', tokens.manufacturer, 'x'.repeat(101), body)).status, 400);

    const malformed = await call('POST', '/v1/trace/batches', {
      token: tokens.manufacturer,
      key: 'k-1',
      body: `{"items": [{"code": "${codes[0] ?? ''}"`,
    });
    assert.deepEqual([malformed.status, malformed.body], [400, { error: 'the request body is not valid JSON' }]);
    const notJson = await call('POST', '/v1/trace/batches', {
      token: tokens.manufacturer,
      key: 'k-1',
      body: 'a=b',
      contentType: 'application/x-www-form-urlencoded',
    });
    assert.equal(notJson.status, 415);

    // a 20 MB body is refused as JSON, before it is parsed
    const huge = Buffer.alloc(20 * 1024 * 1024, 0x20);
    const tooLarge = await call('POST', '/v1/trace/batches', { token: tokens.manufacturer, key: 'k-1', body: huge });
    assert.equal(tooLarge.status, 413);
    assert.match(tooLarge.body.error as string, /larger than this endpoint's limit of 16777216 bytes/);
  });

  test('a large body with wrong types gets 422 listing every problem by its JSON path, and no value echoed', async () => {
    const secretBad = `${(codes[0] ?? '').slice(0, 34)}U`; // a printed code with its last symbol misread
    const body = {
      ...batchOf(codes.slice(0, 3000)),
      product: 42,
      manufacturedOn: '2026-02-30T00:00',
      surprise: codes[1],
    };
    body.items[7] = { code: secretBad, serial: 'SN7' };
    (body.items as unknown[])[9] = { code: 12345 };
    (body.items as unknown[])[11] = { code: codes[2] ?? '', serial: 'SN11', extra: codes[3] };
    const answer = await post('/batches', tokens.manufacturer, 'k-422', body);
    assert.equal(answer.status, 422, answer.text);
    const paths = (answer.body.problems as Array<{ path: string; message: string }>).map((p) => p.path);
    assert.deepEqual(
      paths.sort(),
      ['$', '$.items[11]', '$.items[7].code', '$.items[9].code', '$.manufacturedOn', '$.product'].sort(),
    );
    assert.match(
      answer.text,
      /"path":"\$\.items\[7\]\.code","message":"is not a trace code: symbol 32 is not Crockford base32/,
    );
    for (const secret of [secretBad, codes[1], codes[3]]) assert.ok(!answer.text.includes(secret ?? '?'));
  });

  test('a batch of 5,000 is one event of parts of at most 1,024 that fit one push, each run once however often it is sent; a conflicting body is 409', async () => {
    const body = batchOf(codes);
    const started = Date.now();
    const answers202 = await Promise.all(
      [1, 2, 3].map(() => post('/batches', tokens.manufacturer, 'LOT-2026-0042', body)),
    );
    for (const answer of answers202) assert.equal(answer.status, 202, answer.text);
    const eventId = answers202[0]?.body.eventId as string;
    assert.ok(answers202.every((a) => a.body.eventId === eventId && a.body.status === 'queued'));
    assert.ok(!eventId.includes(codes[0] ?? '?'));

    const conflict = await post('/batches', tokens.manufacturer, 'LOT-2026-0042', batchOf(codes, 'LOT-OTHER'));
    assert.equal(conflict.status, 409);
    assert.match(
      conflict.body.error as string,
      /already used by this organisation for a different request; the first stands/,
    );

    // another organisation neither sees the event nor reaches it with the same key
    assert.equal((await call('GET', `/v1/trace/events/${eventId}`, { token: tokens.otherManufacturer })).status, 404);
    assert.equal((await call('GET', `/v1/trace/events/${eventId}`, { token: tokens.carrier })).status, 404);

    const seen = new Set<string>();
    const done = await committed(tokens.manufacturer, eventId, seen);
    const seconds = (Date.now() - started) / 1000;
    console.log(`# ${ITEMS} items committed in ${seconds.toFixed(1)} s; states seen: ${[...seen].join(', ')}`);
    // parts of at most MAX_BATCH_ITEMS items whose push fits the chain's gas limit: ~760 with this step data
    const parts = done.transactions as Array<{ part: number; items: number; transactionHash: string }>;
    assert.equal(done.parts, parts.length);
    assert.ok(parts.length >= 5 && parts.length <= 8, `${String(parts.length)} parts`);
    assert.deepEqual(
      parts.map((t) => t.part),
      parts.map((_, i) => i + 1),
    );
    assert.equal(
      parts.reduce((sum, t) => sum + t.items, 0),
      ITEMS,
    );
    for (const t of parts) {
      assert.ok(t.items <= MAX_BATCH_ITEMS);
      assert.match(t.transactionHash, /^0x[0-9a-f]{64}$/);
    }
    const again = await post('/batches', tokens.manufacturer, 'LOT-2026-0042', body);
    assert.deepEqual([again.status, again.body.eventId], [202, eventId]);

    const runs = await runsOn(stack.client, stack.taskQueue);
    assert.equal(runs.get(eventId), 1, 'one traceEvent run');
    for (let part = 0; part < parts.length; part++)
      assert.equal(runs.get(`${eventId}#${String(part)}`), 1, `part ${String(part)}: one traceStep`);
    assert.equal(runs.get(`${eventId}#${String(parts.length)}`), undefined);
  });

  test('shipments and dispenses of some of those packages follow; each package’s history has every step once, in order', async () => {
    const shipped = codes.slice(1000, 2100);
    const shipment = await post('/shipments', tokens.carrier, 'WAYBILL-77', {
      items: shipped.map((code) => ({ code })),
      from: 'Plant 3, Suzhou',
      to: 'Pharmacy Central DC',
      carrier: 'Yangtze Express',
      shippedAt: '2026-11-05T08:00:00+08:00',
      arrivedAt: '2026-11-06T14:30:00+08:00',
    });
    assert.equal(shipment.status, 202, shipment.text);
    // separate events commit in their own time: the pharmacy reports once the goods have arrived
    const shippedDone = await committed(tokens.carrier, shipment.body.eventId as string, new Set());
    assert.ok((shippedDone.parts as number) >= 2);
    const dispensed = shipped.slice(0, 2);
    const dispense = await post('/dispenses', tokens.pharmacy, 'RX-991', {
      items: dispensed.map((code) => ({ code })),
      dispensedAt: '2026-11-09T10:15:00+08:00',
      pharmacyRef: 'FILL-4471',
    });
    assert.equal(dispense.status, 202, dispense.text);
    await committed(tokens.pharmacy, dispense.body.eventId as string, new Set());

    const history = async (code: string) => {
      const trace = await readTrace({ ...stack.engine, traceId }, code);
      assert.deepEqual(trace.invalid, []);
      return trace.steps.map((step) => {
        const data = JSON.parse(step.data) as Record<string, unknown>;
        return [data.event, step.signerName, data.item];
      });
    };
    assert.deepEqual(await history(dispensed[1] ?? ''), [
      ['produced', names.manufacturer, 1002],
      ['shipped', names.carrier, 2],
      ['dispensed', names.pharmacy, 2],
    ]);
    assert.deepEqual(await history(codes[4321] ?? ''), [['produced', names.manufacturer, 4322]]);
    const step = (await readTrace({ ...stack.engine, traceId }, dispensed[0] ?? '')).steps[0];
    assert.deepEqual(JSON.parse(step?.data ?? '{}'), {
      event: 'produced',
      batch: 'LOT-2026-0042',
      item: 1001,
      by: names.manufacturer,
      at: '2026-11-02',
      product: 'Amoxicillin 500 mg capsules, 24',
      gtin: '06938574920131',
      manufacturedOn: '2026-11-02',
      expiresOn: '2028-11-01',
      serial: 'SN001001',
    });
  });

  test('codes come only from the engine: issued once to a manufacturer, each in one batch of its own', async () => {
    const ask = (token: string, body: unknown) =>
      fetch(`${api.url}/v1/trace/codes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const refusedCarrier = await ask(tokens.carrier, { count: 1 });
    assert.equal(refusedCarrier.status, 403);
    assert.match(await refusedCarrier.text(), /ERP Carrier is a Carrier: trace codes are issued to manufacturers/);
    for (const body of [{ count: 0 }, { count: 10_001 }, { count: 'ten' }, { count: 1, prefix: 'ABC' }, {}])
      assert.equal((await ask(tokens.manufacturer, body)).status, 422, JSON.stringify(body));

    const issued = await ask(tokens.otherManufacturer, { count: 3 });
    assert.equal(issued.status, 201);
    assert.equal(issued.headers.get('cache-control'), 'no-store');
    const fresh = ((await issued.json()) as { codes: string[] }).codes;
    assert.equal(new Set(fresh).size, 3);
    for (const code of fresh) assert.match(code, /^[0-9A-HJKMNP-TV-Z]{8}(-[0-9A-HJKMNP-TV-Z]{8}){3}$/);

    // a code the ERP made up (even from a good generator), another maker's, and one already produced
    const madeUp = generateTraceCode();
    const refused = await post('/batches', tokens.manufacturer, 'LOT-MIXED', {
      ...batchOf([madeUp, fresh[0] ?? '', codes[17] ?? '']),
    });
    assert.equal(refused.status, 422, refused.text);
    assert.deepEqual(refused.body.problems, [
      {
        path: '$.items[0].code',
        message: `was not issued to ${names.manufacturer} by POST /v1/trace/codes: a package's code must come from the engine's generator`,
      },
      {
        path: '$.items[1].code',
        message: `was not issued to ${names.manufacturer} by POST /v1/trace/codes: a package's code must come from the engine's generator`,
      },
      { path: '$.items[2].code', message: 'is already a package of another production batch' },
    ]);
    for (const secret of [madeUp, fresh[0] ?? '?']) assert.ok(!refused.text.includes(secret));

    // the codes of a refused batch stay the maker's own to use
    const own = await post('/batches', tokens.otherManufacturer, 'LOT-OWN', batchOf(fresh));
    assert.equal(own.status, 202, own.text);
    await committed(tokens.otherManufacturer, own.body.eventId as string, new Set());
  });

  test('a revoked credential is refused; its replacement works', async () => {
    const [id = ''] = tokens.pharmacy.slice(3).split('.');
    const { stdout } = await yilian('org', 'issue', names.pharmacy);
    const replacement = stdout.trim();
    await yilian('org', 'revoke', id);
    const refused = await post('/dispenses', tokens.pharmacy, 'RX-992', {
      items: [{ code: codes[1002] }],
      dispensedAt: '2026-11-09T11:00:00+08:00',
      pharmacyRef: 'FILL-4472',
    });
    assert.equal(refused.status, 401);
    assert.match(refused.body.error as string, /this credential was revoked at/);
    assert.equal((await call('GET', '/v1/trace/events/x', { token: tokens.pharmacy })).status, 401);
    assert.equal((await call('GET', '/v1/trace/events/x', { token: replacement })).status, 404);
    assert.match((await yilian('org', 'list')).stdout, new RegExp(`${id}  ${names.pharmacy} .* revoked `));
  });

  test('when the queue cannot take an event the answer is 503, and nothing was promised', async () => {
    const keys = CodecKeyring.parse(stack.codecKeys);
    const closed = await openIntakeQueue({ redisUrl: redis.url, keys, taskQueue: stack.taskQueue });
    await closed.close();
    const down = await startScratchErpApi({
      state: stack.engine.state,
      store: stack.engine.store,
      queue: closed,
      client: stack.client,
      keys,
      log: (line) => logs.push(line),
    });
    try {
      const response = await fetch(`${down.url}/v1/trace/shipments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.carrier}`,
          'idempotency-key': 'WAYBILL-78',
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          items: [{ code: codes[7] }],
          from: 'a',
          to: 'b',
          carrier: 'c',
          shippedAt: '2026-11-05T08:00:00Z',
        }),
      });
      const text = await response.text();
      answers.push(text);
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '5');
    } finally {
      await down.close();
    }
  });

  test('no trace code is in the API log, an answer, an id, the queue’s Redis files or the content store', async () => {
    assert.ok(
      logs.some((line) => line.startsWith('api 422 POST "/v1/trace/batches"')),
      logs.join('\n'),
    );
    const needles = codes.slice(0, 2200).flatMap((code, i) => [
      { label: `trace code ${String(i)}`, bytes: Buffer.from(code) },
      { label: `trace code ${String(i)} unprinted`, bytes: Buffer.from(code.replaceAll('-', '')) },
    ]);
    const runs = await runsOn(stack.client, stack.taskQueue);
    const haystacks = [
      { place: 'the API log', bytes: Buffer.from(logs.join('\n')) },
      { place: 'the answers', bytes: Buffer.from(answers.join('\n')) },
      { place: 'workflow ids', bytes: Buffer.from([...runs.keys()].join('\n')) },
      ...(await readAll(await filesUnder(redis.dataDir))),
      ...(await readAll(await filesUnder(join(stack.home, 'blocks')))),
      ...(await readAll((await filesUnder(stack.home)).filter((file) => file.includes('sqlite')))),
    ];
    assert.ok(haystacks.length > 4);
    assert.deepEqual(findNeedles(haystacks, needles), []);
  });
});

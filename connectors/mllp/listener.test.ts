import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import iconv from 'iconv-lite';
import type { Acknowledgement, InboundMessage } from './listener.js';
import { Client, fields, fixture, fixtureBytes, frame, listen } from './test-helpers.js';

const msg = (id: string, extra = '') =>
  `MSH|^~\\&|APP|FAC|RAPP|RFAC|20240101||ADT^A01^ADT_A01|${id}|P|2.5${extra}\rPID|1||42^^^H\r`;
const accept: Acknowledgement = { status: 'accept', hl7ErrorCode: 0 };

/** MSA-1 and MSA-2 of an ACK's segments. */
const msa = (ack: string[][]) => ack.find((s) => s[0] === 'MSA')?.slice(1, 3);

test('a persistent connection carries several messages, each answered; the handler sees bytes, text and header', async (t) => {
  const seen: InboundMessage[] = [];
  const listener = await listen(t, {
    handler: (m) => {
      seen.push(m);
      return Promise.resolve(accept);
    },
  });
  const client = await listener.connect();
  for (const id of ['1', '2', '3']) assert.deepEqual(msa(await client.roundTrip(msg(id))), ['AA', id]);
  const bom = fixtureBytes('LAB-ORU-1');
  assert.deepEqual([...bom.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  client.write(frame(bom));
  assert.deepEqual(msa(fields(await client.nextAck())), ['AA', '182']);
  assert.equal(seen.length, 4);
  assert.deepEqual(Buffer.from(seen[3]?.bytes ?? []), bom, 'the payload exactly as received, BOM included');
  assert.equal(seen[3]?.text, bom.toString('utf8').slice(1), 'decoded without the BOM');
  assert.equal(seen[3].charset, 'utf-8');
  assert.equal(seen[3].header.controlId, '182');
  assert.equal(seen[3].remoteAddress, '127.0.0.1');
  assert.equal(listener.connections(), 1);
  client.close();
  await listener.close();
});

test('a pipelined burst is handled concurrently and answered in arrival order', async (t) => {
  const started: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const listener = await listen(t, {
    handler: async (m) => {
      started.push(m.header.controlId);
      // later messages finish first
      await gate;
      await sleep(10 * (10 - Number(m.header.controlId)));
      return accept;
    },
  });
  const client = await listener.connect();
  client.write(Buffer.concat(Array.from({ length: 10 }, (_, i) => frame(msg(String(i))))));
  while (started.length < 10) await sleep(5);
  // all ten are in the handler at once: none waited for another's ACK
  release();
  for (let i = 0; i < 10; i++) assert.deepEqual(msa(fields(await client.nextAck())), ['AA', String(i)]);
  client.close();
  await listener.close();
});

test('the in-flight bound pauses a connection and resumes it as ACKs go out', async (t) => {
  let inHandler = 0;
  let most = 0;
  let release: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (release = resolve));
  const listener = await listen(t, {
    maxInFlightPerConnection: 4,
    handler: async () => {
      most = Math.max(most, ++inHandler);
      await gate;
      inHandler--;
      return accept;
    },
  });
  const client = await listener.connect();
  client.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => frame(msg(String(i))))));
  await sleep(200);
  assert.equal(inHandler, 4);
  const done = new Promise<void>((resolve) => {
    void (async () => {
      for (let i = 0; i < 20; i++) assert.deepEqual(msa(fields(await client.nextAck())), ['AA', String(i)]);
      resolve();
    })();
  });
  while (!(await Promise.race([done.then(() => true), sleep(20).then(() => false)]))) {
    release();
    gate = new Promise<void>((resolve) => (release = resolve));
  }
  assert.equal(most, 4);
  client.close();
  await listener.close();
});

test('200 idle connections do not keep another connection from its ACKs', async (t) => {
  const listener = await listen(t);
  const idle = await Promise.all(Array.from({ length: 200 }, () => listener.connect()));
  const busy = await listener.connect();
  const started = Date.now();
  for (let i = 0; i < 50; i++) assert.deepEqual(msa(await busy.roundTrip(msg(`b${i}`))), ['AA', `b${i}`]);
  assert.ok(Date.now() - started < 5000);
  assert.equal(listener.connections(), 201);
  for (const c of [...idle, busy]) c.close();
  await listener.close();
});

test('an idle connection is closed after the idle timeout; a busy one is not', async (t) => {
  const listener = await listen(t, { idleTimeoutMs: 300 });
  const idle = await listener.connect();
  const busy = await listener.connect();
  const started = Date.now();
  for (let i = 0; i < 8; i++) {
    assert.deepEqual(msa(await busy.roundTrip(msg(String(i)))), ['AA', String(i)]);
    await sleep(100);
  }
  await idle.closed;
  assert.ok(Date.now() - started < 1500);
  assert.equal(busy.socket.destroyed, false, 'traffic keeps a connection open');
  assert.ok(listener.events.some((e) => e.type === 'connection-close' && e.reason === 'idle-timeout'));
  busy.close();
  await listener.close();
});

test('a slow sender (one byte at a time) does not hold up other connections', async (t) => {
  const listener = await listen(t);
  const slow = await listener.connect();
  const fast = await listener.connect();
  const bytes = frame(msg('slow'));
  let fastRoundTrips = 0;
  const sending = (async () => {
    for (const b of bytes) {
      slow.write(Uint8Array.of(b));
      await sleep(5);
    }
  })();
  while (fastRoundTrips < 20 || !(await Promise.race([sending.then(() => true), sleep(0).then(() => false)]))) {
    assert.deepEqual(msa(await fast.roundTrip(msg(`f${fastRoundTrips}`))), ['AA', `f${fastRoundTrips}`]);
    fastRoundTrips++;
  }
  assert.deepEqual(msa(fields(await slow.nextAck())), ['AA', 'slow']);
  assert.ok(fastRoundTrips >= 20);
  slow.close();
  fast.close();
  await listener.close();
});

test('bad input is answered and the connection (and the others) keep serving', async (t) => {
  const listener = await listen(t, { maxMessageBytes: 1 << 20, garbageQuietMs: 100 });
  const bad = await listener.connect();
  const other = await listener.connect();
  const ok = async (id: string) => {
    assert.deepEqual(msa(await bad.roundTrip(msg(id))), ['AA', id]);
    assert.deepEqual(msa(await other.roundTrip(msg(`o${id}`))), ['AA', `o${id}`]);
  };
  const expectAck = async (code: string, controlId: string, err: string[], reason: RegExp) => {
    const ack = fields(await bad.nextAck());
    assert.deepEqual(msa(ack), [code, controlId]);
    const errSegment = ack.find((s) => s[0] === 'ERR');
    assert.deepEqual(errSegment?.slice(2, 5), err);
    assert.match(errSegment[8] ?? '', reason);
    assert.match(ack.find((s) => s[0] === 'MSA')?.[3] ?? '', reason);
  };

  // garbage with no frame after it: answered after the quiet period
  bad.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await expectAck(
    'AR',
    '',
    ['', '100^Segment sequence error^HL70357', 'E'],
    /^21 bytes arrived outside any MLLP frame/,
  );
  await ok('1');

  // binary noise outside frames, then a frame: the noise is answered first, then the frame
  const noise = Buffer.from(
    Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256).filter((b) => b !== 0x0b && b !== 0x1c),
  );
  bad.write(Buffer.concat([noise, frame(msg('2'))]));
  await expectAck('AR', '', ['', '100^Segment sequence error^HL70357', 'E'], /bytes arrived outside any MLLP frame/);
  assert.deepEqual(msa(fields(await bad.nextAck())), ['AA', '2']);

  // binary noise inside a frame: not a message
  bad.write(frame(noise));
  await expectAck('AE', '', ['MSH^1', '100^Segment sequence error^HL70357', 'E'], /does not start with an MSH segment/);

  // a frame cut off by the next one
  bad.write(Buffer.concat([Buffer.from('\x0b'), Buffer.from(msg('cut').slice(0, 60)), frame(msg('3'))]));
  await expectAck('AE', 'cut', ['', '100^Segment sequence error^HL70357', 'E'], /^the frame was cut off/);
  assert.deepEqual(msa(fields(await bad.nextAck())), ['AA', '3']);

  // 10 MB: AR naming the limit, MSA-2 read from the start of the frame
  const huge = Buffer.concat([Buffer.from(msg('huge')), Buffer.alloc(10 << 20, 'OBX|1|TX|||x\r')]);
  bad.write(frame(huge));
  await expectAck(
    'AR',
    'huge',
    ['', '104^Value too long^HL70357', 'E'],
    /larger than this listener's limit of 1048576 bytes/,
  );
  await ok('4');

  // no MSH, and an MSH without MSH-10
  bad.write(frame('PID|1||42^^^H\r'));
  await expectAck('AE', '', ['MSH^1', '100^Segment sequence error^HL70357', 'E'], /does not start with an MSH segment/);
  bad.write(frame('MSH|^~\\&|A|B|C|D|20240101||ADT^A01|||2.5\r'));
  await expectAck('AE', '', ['MSH^1^10', '101^Required field missing^HL70357', 'E'], /^MSH-10 is empty$/);

  // bytes that are not UTF-8 (the listener's default): AE naming the charset
  bad.write(frame(iconv.encode(msg('latin', '\rNK1|1|Müller'), 'latin1')));
  await expectAck('AE', 'latin', ['', '102^Data type error^HL70357', 'E'], /not valid utf-8/);
  await ok('5');

  const problems = listener.events.flatMap((e) => (e.type === 'protocol-error' ? [e.problem] : []));
  assert.deepEqual(problems, [
    'garbage',
    'garbage',
    'no-msh',
    'truncated',
    'oversize',
    'no-msh',
    'missing-field',
    'charset',
  ]);
  assert.ok(!JSON.stringify(listener.events).includes('Müller'), 'log events carry no message contents');
  bad.close();
  other.close();
  await listener.close();
});

test('a handler that throws gets AR 207 with a generic reason; its message never leaves the engine', async (t) => {
  const listener = await listen(t, {
    handler: (m) => {
      if (m.header.controlId === 'boom') throw new TypeError(`cannot read patient ${m.text}`);
      return Promise.resolve(accept);
    },
  });
  const client = await listener.connect();
  const ack = await client.roundTrip(msg('boom'));
  assert.deepEqual(msa(ack), ['AR', 'boom']);
  const err = ack.find((s) => s[0] === 'ERR');
  assert.equal(err?.[3], '207^Application internal error^HL70357');
  assert.equal(err[8], 'the receiver failed while accepting the message; it was not accepted, send it again');
  assert.ok(!ack.flat().join('|').includes('PID'));
  assert.deepEqual(
    listener.events.find((e) => e.type === 'handler-error'),
    { type: 'handler-error', connection: 1, remoteAddress: '127.0.0.1', error: 'TypeError' },
  );
  assert.deepEqual(msa(await client.roundTrip(msg('after'))), ['AA', 'after']);
  client.close();
  await listener.close();
});

test('a client that leaves while its message is handled crashes nothing', async (t) => {
  let handled = 0;
  const listener = await listen(t, {
    handler: async () => {
      await sleep(200);
      handled++;
      return accept;
    },
  });
  const leaver = await listener.connect();
  leaver.write(Buffer.concat([frame(msg('1')), frame(msg('2')), Buffer.from('\x0bMSH|^~\\&|half')]));
  await sleep(50);
  leaver.close();
  await sleep(300);
  assert.equal(handled, 2);
  const close = listener.events.find((e) => e.type === 'connection-close');
  assert.deepEqual(close, {
    type: 'connection-close',
    connection: 1,
    remoteAddress: '127.0.0.1',
    frames: 2,
    midFrame: true,
    reason: 'peer',
  });
  const next = await listener.connect();
  assert.deepEqual(msa(await next.roundTrip(msg('3'))), ['AA', '3']);
  next.close();
  await listener.close();
});

test('a sender that half-closes after its frames still gets every ACK', async (t) => {
  const listener = await listen(t);
  const client = await listener.connect();
  client.socket.end(Buffer.concat([frame(msg('1')), frame(msg('2')), Buffer.from('junk')]));
  assert.deepEqual(msa(fields(await client.nextAck())), ['AA', '1']);
  assert.deepEqual(msa(fields(await client.nextAck())), ['AA', '2']);
  assert.deepEqual(msa(fields(await client.nextAck())), ['AR', '']);
  await client.closed;
  await listener.close();
});

test('close() answers the frames being handled, then closes; nothing new is accepted', async (t) => {
  const listener = await listen(t, {
    handler: async () => {
      await sleep(300);
      return accept;
    },
  });
  const client = await listener.connect();
  client.write(Buffer.concat([frame(msg('1')), frame(msg('2'))]));
  await sleep(50);
  const closing = listener.close();
  assert.deepEqual(msa(fields(await client.nextAck())), ['AA', '1']);
  assert.deepEqual(msa(fields(await client.nextAck())), ['AA', '2']);
  await closing;
  await client.closed;
  await assert.rejects(Client.connect(listener.port), /ECONNREFUSED/);
});

test('GB 18030 in, GB 18030 out: the ACK is encoded in the message charset', async (t) => {
  const seen: InboundMessage[] = [];
  const listener = await listen(t, {
    handler: (m) => {
      seen.push(m);
      return Promise.resolve({ status: 'error', hl7ErrorCode: 101, reason: '缺少患者标识', location: 'PID^1^3' });
    },
  });
  const client = await listener.connect();
  const text = `MSH|^~\\&|HIS|北京億医院|YL|医链|20240101||ADT^A01^ADT_A01|G1|P|2.5|||||CHN|GB 18030-2000\rPID|1||^^^H||张三\r`;
  client.write(frame(text, 'gb18030'));
  const ack = fields(await client.nextAck('gb18030'));
  assert.deepEqual(ack[0]?.slice(2, 6), ['YL', '医链', 'HIS', '北京億医院']);
  assert.equal(ack[0][17], 'GB 18030-2000');
  assert.deepEqual(ack[1], ['MSA', 'AE', 'G1', '缺少患者标识']);
  assert.equal(seen[0]?.charset, 'gb18030');
  assert.equal(seen[0].text, text);
  client.close();
  await listener.close();
});

test('TLS: a self-signed certificate, a tls.connect client', async (t) => {
  try {
    execFileSync('openssl', ['version']);
  } catch {
    t.skip('openssl is not installed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mllp-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'));
    const listener = await listen(t, { tls: { cert, key: readFileSync(join(dir, 'key.pem')) } });
    const client = await listener.connect({ ca: cert });
    for (const id of ['t1', 't2']) assert.deepEqual(msa(await client.roundTrip(msg(id))), ['AA', id]);
    const ack = await client.roundTrip(fixture('ORU-R01-01'));
    assert.deepEqual(msa(ack), ['CA', '2.16.840.1.114222.4.3.3.5.1.2-20120314235954.325']);
    // a plain-TCP client to the TLS port is refused by the handshake, not answered
    const plain = await listener.connect();
    plain.write(frame(msg('plain')));
    await plain.closed;
    assert.ok(listener.events.some((e) => e.type === 'tls-error'));
    client.close();
    await listener.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('round trips per second on one connection (instant handler)', async (t) => {
  const listener = await listen(t);
  const client = await listener.connect();
  const message = fixture('ORU-R01-01');
  const n = 3000;
  let started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await client.roundTrip(message);
  const sequential = n / (Number(process.hrtime.bigint() - started) / 1e9);
  started = process.hrtime.bigint();
  client.write(Buffer.concat(Array.from({ length: n }, () => frame(message))));
  for (let i = 0; i < n; i++) await client.nextAckBytes();
  const pipelined = n / (Number(process.hrtime.bigint() - started) / 1e9);
  console.log(
    `listener: ${Math.round(sequential)} ACK round trips/s one at a time, ${Math.round(pipelined)} ACKs/s pipelined (${Buffer.byteLength(message)}-byte ORU, one connection)`,
  );
  client.close();
  await listener.close();
});

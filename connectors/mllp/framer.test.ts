import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MllpFramer, OVERSIZE_HEAD_BYTES, type FrameEvent } from './framer.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');
const frame = (s: string) => bytes(`\x0b${s}\x1c\r`);
const text = (u: Uint8Array) => Buffer.from(u).toString('latin1');

/** Feeds the chunks one by one and collects every event, payloads as latin1 text. */
function run(framer: MllpFramer, chunks: Uint8Array[]): unknown[] {
  const out: unknown[] = [];
  const show = (e: FrameEvent) => {
    if (e.kind === 'frame' || e.kind === 'truncated') return { kind: e.kind, payload: text(e.payload) };
    if (e.kind === 'oversize') return { kind: e.kind, limit: e.limit, head: text(e.head) };
    return e;
  };
  for (const chunk of chunks) {
    framer.feed(chunk);
    for (let e = framer.next(); e; e = framer.next()) out.push(show(e));
  }
  return out;
}

const MSG_A = 'MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPID|||42\r';
const MSG_B = 'MSH|^~\\&|A|B|C|D|20240101||ORU^R01|2|P|2.5\r';

test('several frames in one chunk', () => {
  const events = run(new MllpFramer(1000), [Buffer.concat([frame(MSG_A), frame(MSG_B), frame('x')])]);
  assert.deepEqual(events, [
    { kind: 'frame', payload: MSG_A },
    { kind: 'frame', payload: MSG_B },
    { kind: 'frame', payload: 'x' },
  ]);
});

test('a frame split byte by byte, and at every possible point', () => {
  const wire = Buffer.concat([frame(MSG_A), frame(MSG_B)]);
  const expected = [
    { kind: 'frame', payload: MSG_A },
    { kind: 'frame', payload: MSG_B },
  ];
  assert.deepEqual(
    run(
      new MllpFramer(1000),
      [...wire].map((b) => Uint8Array.of(b)),
    ),
    expected,
  );
  for (let cut = 0; cut <= wire.length; cut++)
    assert.deepEqual(run(new MllpFramer(1000), [wire.subarray(0, cut), wire.subarray(cut)]), expected, `cut at ${cut}`);
});

test('FS without CR is data; FS CR split over chunks ends the frame', () => {
  assert.deepEqual(run(new MllpFramer(1000), [bytes('\x0ba\x1cb\x1c'), bytes('\rc')]), [
    { kind: 'frame', payload: 'a\x1cb' },
  ]);
  assert.deepEqual(run(new MllpFramer(1000), [bytes('\x0ba\x1c'), bytes('b\x1c\r')]), [
    { kind: 'frame', payload: 'a\x1cb' },
  ]);
});

test('bytes outside frames: skipped, reported once per run when the next frame starts', () => {
  const events = run(new MllpFramer(1000), [bytes('noise'), Buffer.concat([bytes('!!'), frame(MSG_B), bytes('\r\n')])]);
  assert.deepEqual(events, [
    { kind: 'garbage', bytes: 7 },
    { kind: 'frame', payload: MSG_B },
  ]);
});

test('CR and LF between frames are not garbage', () => {
  const framer = new MllpFramer(1000);
  assert.deepEqual(run(framer, [Buffer.concat([frame('a'), bytes('\r\n\n'), frame('b'), bytes('\r\n')])]), [
    { kind: 'frame', payload: 'a' },
    { kind: 'frame', payload: 'b' },
  ]);
  assert.equal(framer.pendingGarbage, 0);
});

test('a garbage run with no frame after it is ended by the caller (quiet period)', () => {
  const framer = new MllpFramer(1000);
  assert.deepEqual(run(framer, [bytes('GET / HTTP/1.1\r\n')]), []);
  assert.equal(framer.pendingGarbage, 14);
  assert.deepEqual(framer.endGarbageRun(), { kind: 'garbage', bytes: 14 });
  assert.equal(framer.endGarbageRun(), undefined);
});

test('a VT before FS CR: the cut-off frame is reported truncated and the next one is read', () => {
  const events = run(new MllpFramer(1000), [bytes(`\x0b${MSG_A.slice(0, 20)}`), frame(MSG_B)]);
  assert.deepEqual(events, [
    { kind: 'truncated', payload: MSG_A.slice(0, 20) },
    { kind: 'frame', payload: MSG_B },
  ]);
});

test('oversize: reported once, the rest discarded up to its FS CR, never buffering past the limit', () => {
  const limit = 64;
  const big = `MSH|^~\\&|BIG||||||ADT^A01|99|P|2.5\r${'x'.repeat(1000)}\x0b${'y'.repeat(100)}`;
  const wire = Buffer.concat([frame(big), frame(MSG_B)]);
  const expected = [
    { kind: 'oversize', limit, head: 'MSH|^~\\&|BIG||||||ADT^A01|99|P|2.5' },
    { kind: 'frame', payload: MSG_B },
  ];
  assert.deepEqual(run(new MllpFramer(limit), [wire]), expected);
  const framer = new MllpFramer(limit);
  assert.deepEqual(
    run(
      framer,
      [...wire].map((b) => Uint8Array.of(b)),
    ),
    expected,
  );
  // exactly at the limit is fine
  assert.deepEqual(run(new MllpFramer(4), [frame('abcd'), frame('abcde')]), [
    { kind: 'frame', payload: 'abcd' },
    { kind: 'oversize', limit: 4, head: 'abcd' },
  ]);
});

test('oversize head is capped and stops at the first segment end', () => {
  const [event] = run(new MllpFramer(10_000), [frame('M'.repeat(20_000))]);
  assert.deepEqual(event, { kind: 'oversize', limit: 10_000, head: 'M'.repeat(OVERSIZE_HEAD_BYTES) });
});

test('next() stops after each event, so a caller can leave the rest of a chunk for later', () => {
  const framer = new MllpFramer(1000);
  framer.feed(Buffer.concat([frame('a'), frame('b')]));
  assert.equal(framer.next()?.kind, 'frame');
  assert.equal(framer.hasInput, true);
  assert.throws(() => framer.feed(frame('c')), /not consumed/);
  assert.equal(framer.next()?.kind, 'frame');
  assert.equal(framer.next(), undefined);
  assert.equal(framer.hasInput, false);
});

test('inFrame tells a peer that left mid-message', () => {
  const framer = new MllpFramer(1000);
  run(framer, [bytes('\x0bMSH|')]);
  assert.equal(framer.inFrame, true);
  run(framer, [bytes('\x1c\r')]);
  assert.equal(framer.inFrame, false);
});

test('throughput', () => {
  const message = bytes(`${MSG_A}${'OBX|1|TX|||'.padEnd(900, 'z')}\r`);
  const chunk = Buffer.concat(Array.from({ length: 64 }, () => frame(text(message))));
  const framer = new MllpFramer(1 << 20);
  const rounds = 2000;
  let frames = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    framer.feed(chunk);
    while (framer.next()) frames++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  assert.equal(frames, rounds * 64);
  const rate = Math.round(frames / seconds);
  console.log(
    `framer: ${rate} frames/s of ${message.length} bytes (${Math.round((rate * message.length) / 1e6)} MB/s)`,
  );
});

test('events do not depend on how the stream is cut into chunks (property)', () => {
  const token = fc.constantFrom('\x0b', '\x1c', '\r', '\n', 'M', 'SH|', 'xyz', '\x1c\r', '\x0bMSH|^~\\&|');
  fc.assert(
    fc.property(
      fc.array(token, { maxLength: 40 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.integer({ min: 1, max: 12 }),
      (tokens, cuts, limit) => {
        const wire = bytes(tokens.join(''));
        const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((from, i) => wire.subarray(from, [...points, wire.length][i]));
        const whole = new MllpFramer(limit);
        const split = new MllpFramer(limit);
        assert.deepEqual(run(split, chunks), run(whole, [wire]));
        assert.equal(split.pendingGarbage, whole.pendingGarbage);
      },
    ),
    { numRuns: 2000 },
  );
});

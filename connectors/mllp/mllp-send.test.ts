import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { MllpFramer } from './framer.js';
import type { InboundMessage } from './listener.js';
import { FIXTURES, fields, fixture, fixtureBytes, frame, listen } from './test-helpers.js';

/** Debian python3-hl7's client, installed by ops/bootstrap: an MLLP client nobody here wrote. */
const MLLP_SEND = '/usr/bin/mllp_send';

/** Runs mllp_send and returns the ACK payloads it printed (it prints each ACK frame it receives). */
async function mllpSend(port: number, file: string, loose: boolean): Promise<string[]> {
  const args = [...(loose ? ['--loose'] : []), '-p', String(port), '--file', file, '127.0.0.1'];
  const { stdout } = await promisify(execFile)(MLLP_SEND, args, { encoding: 'buffer', timeout: 30_000 });
  const framer = new MllpFramer(1 << 20);
  framer.feed(stdout);
  const acks: string[] = [];
  for (let e = framer.next(); e; e = framer.next())
    if (e.kind === 'frame') acks.push(Buffer.from(e.payload).toString('utf8'));
  return acks;
}

/** Checks an ACK field by field against the MSH of the message it answers (read here by plain split). */
function checkAck(ack: string, message: string, name: string): void {
  const inbound = (message.split(/\r\n|\r|\n/)[0] ?? '').split('|');
  const mshIn = (n: number) => inbound[n - 1] ?? '';
  const [msh, msa, ...rest] = fields(ack);
  const out = (n: number) => msh?.[n - 1];
  assert.ok(ack.endsWith('\r') && !ack.includes('\n'), `${name}: segments end in CR`);
  assert.equal(out(1), 'MSH', name);
  assert.equal(out(2), '^~\\&', name);
  assert.deepEqual(
    [out(3), out(4), out(5), out(6)],
    [mshIn(5), mshIn(6), mshIn(3), mshIn(4)],
    `${name}: MSH-3..6 swapped`,
  );
  assert.match(out(7) ?? '', /^\d{14}[+-]\d{4}$/, `${name}: MSH-7`);
  const [, trigger, structure] = mshIn(9).split('^');
  assert.equal(out(9), structure ? `ACK^${trigger}^ACK` : `ACK^${trigger}`, `${name}: MSH-9`);
  assert.match(out(10) ?? '', /^[0-9A-F]{20}$/, `${name}: MSH-10`);
  assert.equal(out(11), mshIn(11), `${name}: MSH-11`);
  assert.equal(out(12), mshIn(12), `${name}: MSH-12`);
  assert.equal(msh?.length, 12, `${name}: nothing after MSH-12 (MSH-18 is empty in every fixture)`);
  const enhanced = mshIn(15) !== '' || mshIn(16) !== '';
  assert.deepEqual(msa, ['MSA', enhanced ? 'CA' : 'AA', mshIn(10)], `${name}: MSA`);
  assert.deepEqual(rest, [], `${name}: no ERR on accept`);
}

test('mllp_send (python3-hl7) sends every fixture with CR, LF and CRLF separators; every ACK checks out', async (t) => {
  assert.ok(existsSync(MLLP_SEND), `${MLLP_SEND} is missing: run ops/bootstrap (it installs Debian's python3-hl7)`);
  const seen: InboundMessage[] = [];
  const listener = await listen(t, {
    handler: (m) => {
      seen.push(m);
      return Promise.resolve({ status: 'accept', hl7ErrorCode: 0 });
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'mllp-send-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [label, separator] of [
    ['CR', '\r'],
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ] as const) {
    // pre-framed: mllp_send sends each frame's payload as is, so the separators reach the wire
    // (it strips a frame's leading and trailing VT/CR, so a CR-separated message loses its last CR)
    const messages = FIXTURES.map((name) => fixture(name, separator));
    const file = join(dir, `all-${label}.mllp`);
    writeFileSync(file, Buffer.concat(messages.map((m) => frame(m))));
    seen.length = 0;
    const acks = await mllpSend(listener.port, file, false);
    assert.equal(acks.length, FIXTURES.length, `${label}: one ACK per message, on one connection`);
    FIXTURES.forEach((name, i) => {
      checkAck(acks[i] ?? '', messages[i] ?? '', `${name} (${label})`);
      const text = seen[i]?.text ?? '';
      assert.equal(text.replace(/\r+$/, ''), (messages[i] ?? '').replace(/\r+$/, ''), `${name} (${label}): text`);
      assert.equal(text.includes('\n'), separator !== '\r', `${name} (${label}): the separators arrived as sent`);
    });
  }

  // --loose: the files as stored (LF, one with a BOM), which mllp_send turns into CR segments
  for (const name of FIXTURES) {
    const acks = await mllpSend(listener.port, fixturePath(name), true);
    const hasBom = fixtureBytes(name)[0] === 0xef;
    // mllp_send --loose splits the file at "MSH|^~\&|", so the BOM before it goes out as a message
    // of its own, "MSH|^~\&|<BOM>": it has no MSH-9, and gets AE
    assert.equal(acks.length, hasBom ? 2 : 1, name);
    if (hasBom) {
      const [msh, msa, err] = fields(acks.shift() ?? '');
      assert.deepEqual(msa, ['MSA', 'AE', '', 'MSH-9 is empty']);
      assert.deepEqual(err?.slice(2, 4), ['MSH^1^9', '101^Required field missing^HL70357']);
      assert.equal(msh?.[8], 'ACK');
    }
    checkAck(acks[0] ?? '', fixture(name), `${name} (--loose)`);
  }
});

function fixturePath(name: string): string {
  return new URL(`../../test/fixtures/hl7/${name}.hl7`, import.meta.url).pathname;
}

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { InboundMessage } from './listener.js';
import {
  FIXTURES,
  MLLP_SEND,
  checkAck,
  fields,
  fixture,
  fixtureBytes,
  frame,
  listen,
  mllpSend,
} from './test-helpers.js';

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

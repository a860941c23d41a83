import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { hl7Envelope } from './message-source.js';

const fixture = (name: string) => readFile(new URL(`../../test/fixtures/hl7/${name}`, import.meta.url), 'utf8');

test('the ORU^R01 fixture names its facility, control id and patient', async () => {
  const envelope = hl7Envelope(await fixture('ORU-R01-01.hl7'));
  assert.deepEqual(envelope.source, {
    kind: 'hl7',
    sendingFacility: 'IA Public Health Lab^2.16.840.1.114222.4.1.10411^ISO',
    controlId: '2.16.840.1.114222.4.3.3.5.1.2-20120314235954.325',
  });
  assert.deepEqual(envelope.patient, {
    identifier: '14',
    authority: 'IA PHIMS Stage&2.16.840.1.114222.4.3.3.5.1.2&ISO',
  });
});

test('the ADT and lab fixtures yield envelopes, byte-order mark or not', async () => {
  for (const name of ['ADT-A01-01.hl7', 'ADT-A04-01.hl7', 'ADT-A08-01.hl7', 'LAB-ORU-1.hl7']) {
    const envelope = hl7Envelope(await fixture(name));
    assert.ok(envelope.source.controlId.length > 0, name);
    assert.ok(envelope.patient.identifier.length > 0, name);
  }
});

test('missing parts are named', () => {
  assert.throws(() => hl7Envelope('PID|1||14^^^A'), /start with an MSH/);
  assert.throws(() => hl7Envelope('MSH|^~\\&|A|B|C|D|20200101||ORU^R01||P|2.5'), /MSH-10/);
  assert.throws(() => hl7Envelope('MSH|^~\\&|A|B|C|D|20200101||ORU^R01|X1|P|2.5\rOBX|1'), /no PID/);
  assert.throws(
    () => hl7Envelope('MSH|^~\\&|A|B|C|D|20200101||ORU^R01|X1|P|2.5\rPID|1||^^^A'),
    /no patient identifier/,
  );
  assert.deepEqual(
    hl7Envelope('MSH|^~\\&|A|B|C|D|20200101||ORU^R01|X1|P|2.5\rPID|1||14').patient,
    { identifier: '14', authority: 'B' },
    'no CX.4 or CX.6: the sending facility assigns it',
  );
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ackCode, buildAck, escapeHl7, hl7Timestamp, type Acknowledgement } from './ack.js';
import { DEFAULT_SEPARATORS, parseMsh, type MshHeader } from './msh.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/hl7/${name}.hl7`, import.meta.url), 'utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\n/g, '\r');

function header(text: string): MshHeader {
  const result = parseMsh(text);
  assert.ok(result.ok, 'MSH parses');
  return result.header;
}

const NOW = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
const ACCEPT: Acknowledgement = { status: 'accept', hl7ErrorCode: 0 };

/** The ACK's segments as field arrays (index n = field n for MSA/ERR, MSH-n for MSH at n - 1). */
function segmentsOf(ack: string, field = '|'): string[][] {
  assert.ok(ack.endsWith('\r'), 'segments end in CR');
  assert.ok(!ack.includes('\n'));
  return ack
    .slice(0, -1)
    .split('\r')
    .map((s) => s.split(field));
}

test('MSH of the fixtures: separators, MSH-3..6, MSH-9 parts, MSH-10..12, MSH-15/16/18; LF, CR and CRLF end it', () => {
  const oru = fixture('ORU-R01-01');
  for (const text of [oru, oru.replace(/\r/g, '\n'), oru.replace(/\r/g, '\r\n')]) {
    const h = header(text);
    assert.deepEqual(h, {
      separators: DEFAULT_SEPARATORS,
      encodingCharacters: '^~\\&',
      sendingApplication: 'IA PHIMS Stage^2.16.840.1.114222.4.3.3.5.1.2^ISO',
      sendingFacility: 'IA Public Health Lab^2.16.840.1.114222.4.1.10411^ISO',
      receivingApplication: 'IA.DOH.IDSS^2.16.840.1.114222.4.3.3.19^ISO',
      receivingFacility: 'IA DOH^2.16.840.1.114222.4.1.3650^ISO',
      messageType: 'ORU^R01^ORU_R01',
      messageCode: 'ORU',
      triggerEvent: 'R01',
      messageStructure: 'ORU_R01',
      messageTypeComponents: 3,
      controlId: '2.16.840.1.114222.4.3.3.5.1.2-20120314235954.325',
      processingId: 'T',
      versionId: '2.5.1',
      acceptAckType: 'AL',
      applicationAckType: 'NE',
      characterSet: '',
    });
  }
  assert.equal(parseMsh('MSH|^~\\&#|A').ok && header('MSH|^~\\&#|A').separators.truncation, '#');
  assert.deepEqual(parseMsh('PID|1||42'), {
    ok: false,
    reason: 'the message does not start with an MSH segment',
    location: 'MSH^1',
  });
  for (const bad of ['MSH|^~\\|A', 'MSH|^~\\^|A', 'MSH|^~\\a|A', 'MSH']) assert.equal(parseMsh(bad).ok, false, bad);
});

test('original mode AA for ADT-A01-01: swapped applications, ACK^A01^ACK, MSH-11/12 copied, MSA-2', () => {
  const inbound = header(fixture('ADT-A01-01'));
  const [msh, msa, ...rest] = segmentsOf(buildAck({ inbound, ack: ACCEPT, now: NOW, controlId: 'ACK0001' }));
  assert.deepEqual(msh, [
    'MSH',
    '^~\\&',
    'EHRApp^1.Edu^ISO',
    'GHHRFacility^2.16.840.1.1122848.1.32^ISO',
    'ADTApp',
    'GHHSFacility^2.16.840.1.122848.1.30^ISO',
    hl7Timestamp(NOW),
    '',
    'ACK^A01^ACK',
    'ACK0001',
    'P',
    '2.8',
  ]);
  assert.deepEqual(msa, ['MSA', 'AA', 'MSG00001']);
  assert.deepEqual(rest, []);
});

test('enhanced mode (ORU-R01-01 has MSH-15 AL, MSH-16 NE): CA, CE, CR', () => {
  const inbound = header(fixture('ORU-R01-01'));
  const ack = (a: Acknowledgement) => segmentsOf(buildAck({ inbound, ack: a, now: NOW, controlId: 'X1' }));
  const [msh, msa] = ack(ACCEPT);
  assert.deepEqual(msh?.slice(2, 12), [
    'IA.DOH.IDSS^2.16.840.1.114222.4.3.3.19^ISO',
    'IA DOH^2.16.840.1.114222.4.1.3650^ISO',
    'IA PHIMS Stage^2.16.840.1.114222.4.3.3.5.1.2^ISO',
    'IA Public Health Lab^2.16.840.1.114222.4.1.10411^ISO',
    hl7Timestamp(NOW),
    '',
    'ACK^R01^ACK',
    'X1',
    'T',
    '2.5.1',
  ]);
  assert.deepEqual(msa, ['MSA', 'CA', '2.16.840.1.114222.4.3.3.5.1.2-20120314235954.325']);
  const [, msaE, errE] = ack({
    status: 'error',
    hl7ErrorCode: 101,
    reason: 'PID-3 has no identifier',
    location: 'PID^1^3',
  });
  assert.deepEqual(msaE, ['MSA', 'CE', '2.16.840.1.114222.4.3.3.5.1.2-20120314235954.325', 'PID-3 has no identifier']);
  assert.deepEqual(errE, [
    'ERR',
    '',
    'PID^1^3',
    '101^Required field missing^HL70357',
    'E',
    '',
    '',
    '',
    'PID-3 has no identifier',
  ]);
  const [, msaR, errR] = ack({ status: 'reject', hl7ErrorCode: 200, reason: 'message type ZZZ is not routed' });
  assert.deepEqual(msaR?.slice(0, 2), ['MSA', 'CR']);
  assert.deepEqual(errR, [
    'ERR',
    '',
    '',
    '200^Unsupported message type^HL70357',
    'E',
    '',
    '',
    '',
    'message type ZZZ is not routed',
  ]);
  assert.equal(ackCode('reject', false), 'AR');
  assert.equal(ackCode('error', false), 'AE');
});

test('MSH-9 with two components gives ACK^<trigger>; none gives ACK; MSH-18 is copied', () => {
  const lab = header(fixture('LAB-ORU-1'));
  assert.equal(segmentsOf(buildAck({ inbound: lab, ack: ACCEPT, now: NOW, controlId: 'A' }))[0]?.[8], 'ACK^R01');
  const noTrigger = header('MSH|^~\\&|A|B|C|D|20240101||ACK|9|P|2.4|||||CHN|UNICODE UTF-8~GB 18030-2000\r');
  const [msh] = segmentsOf(buildAck({ inbound: noTrigger, ack: ACCEPT, now: NOW, controlId: 'A' }));
  assert.equal(msh?.[8], 'ACK');
  assert.equal(msh[17], 'UNICODE UTF-8~GB 18030-2000');
  assert.equal(msh.length, 18);
});

test('custom separators MSH#*~\\$: the ACK uses them, and our text is escaped with them', () => {
  const inbound = header('MSH#*~\\$#APP*1.2#FAC#RAPP#RFAC#20240101##ADT*A08*ADT_A08#C-1#P#2.5.1\rPID#1##42\r');
  assert.deepEqual(inbound.separators, {
    field: '#',
    component: '*',
    repetition: '~',
    escape: '\\',
    subcomponent: '$',
  });
  const reason = 'bad # * ~ \\ $ | ^ & chars';
  const ack = buildAck({
    inbound,
    ack: { status: 'error', hl7ErrorCode: 102, reason, location: 'PID^1^3^1^1' },
    now: NOW,
    controlId: 'Z',
  });
  const [msh, msa, err] = segmentsOf(ack, '#');
  assert.deepEqual(msh?.slice(0, 5), ['MSH', '*~\\$', 'RAPP', 'RFAC', 'APP*1.2']);
  assert.equal(msh[8], 'ACK*A08*ACK');
  const escaped = 'bad \\F\\ \\S\\ \\R\\ \\E\\ \\T\\ | ^ & chars';
  assert.deepEqual(msa, ['MSA', 'AE', 'C-1', escaped]);
  assert.deepEqual(err, ['ERR', '', 'PID*1*3*1*1', '102*Data type error*HL70357', 'E', '', '', '', escaped]);
});

test('escaping: standard separators, v2.7 truncation character, line breaks', () => {
  assert.equal(escapeHl7('a|b^c~d\\e&f', DEFAULT_SEPARATORS), 'a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f');
  assert.equal(escapeHl7('cut#here', { ...DEFAULT_SEPARATORS, truncation: '#' }), 'cut\\P\\here');
  assert.equal(escapeHl7('two\r\nlines\nhere', DEFAULT_SEPARATORS), 'two lines here');
});

test('no MSH at all: default separators, version 2.5, processing id P, empty MSA-2', () => {
  const ack = buildAck({
    inbound: undefined,
    ack: {
      status: 'error',
      hl7ErrorCode: 100,
      reason: 'the message does not start with an MSH segment',
      location: 'MSH^1',
    },
    now: NOW,
    controlId: 'N1',
  });
  assert.equal(
    ack,
    `MSH|^~\\&|||||${hl7Timestamp(NOW)}||ACK|N1|P|2.5\r` +
      'MSA|AE||the message does not start with an MSH segment\r' +
      'ERR||MSH^1|100^Segment sequence error^HL70357|E||||the message does not start with an MSH segment\r',
  );
});

test('MSA-3 is cut at 80 characters (ST), ERR-8 carries the whole reason; the table text stands in for none', () => {
  const inbound = header(fixture('ADT-A40-01'));
  const long = 'x'.repeat(100);
  const [, msa, err] = segmentsOf(
    buildAck({ inbound, ack: { status: 'reject', hl7ErrorCode: 207, reason: long }, now: NOW, controlId: 'L' }),
  );
  assert.equal(msa?.[1], 'CR', 'ADT-A40-01 has MSH-15/16 NE/NE: valued, so enhanced mode');
  assert.equal(msa[3], 'x'.repeat(80));
  assert.equal(err?.[8], long);
  const [, msaNone, errNone] = segmentsOf(
    buildAck({ inbound, ack: { status: 'error', hl7ErrorCode: 207 }, now: NOW, controlId: 'L' }),
  );
  assert.equal(msaNone?.[3], 'Application internal error');
  assert.equal(errNone?.[8], 'Application internal error');
});

test('MSH-7 is local time with its UTC offset', () => {
  const saved = process.env.TZ;
  try {
    process.env.TZ = 'Asia/Shanghai';
    assert.equal(hl7Timestamp(NOW), '20260102110405+0800');
    process.env.TZ = 'America/St_Johns';
    assert.equal(hl7Timestamp(NOW), '20260101233405-0330');
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});

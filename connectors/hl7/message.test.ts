import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Hl7Message, decodeEscapes } from './message.js';

const fixture = (name: string) => readFile(new URL(`../../test/fixtures/hl7/${name}`, import.meta.url), 'utf8');

test('fields, repetitions, components and sub-components of a real message, BOM or not', async () => {
  const message = Hl7Message.parse(await fixture('ORU-R01-01.hl7'));
  const pid = message.segment('PID');
  assert.ok(pid);
  assert.equal(pid.value(3), '14');
  assert.equal(pid.value(3, { component: 4, subcomponent: 2 }), '2.16.840.1.114222.4.3.3.5.1.2');
  assert.equal(pid.component(3, 4), 'IA PHIMS Stage&2.16.840.1.114222.4.3.3.5.1.2&ISO');
  assert.equal(pid.value(5, { component: 2 }), 'Huckleberry');
  assert.equal(message.msh.value(9, { component: 3 }), 'ORU_R01');
  assert.equal(message.msh.value(15), 'AL');
  assert.equal(message.msh.raw(2), '^~\\&');
  const lab = Hl7Message.parse(await fixture('LAB-ORU-1.hl7'));
  assert.equal(lab.msh.value(10), '182', 'a leading byte-order mark is not part of MSH');
  const adt = Hl7Message.parse(await fixture('ADT-A01-01.hl7'));
  assert.deepEqual(
    adt
      .segment('PID')
      ?.repetitions(3)
      .map((_, repetition) => adt.segment('PID')?.value(3, { repetition })),
    ['PATID1234', '123456789'],
  );
});

test('CR, LF and CRLF segment separators read the same', async () => {
  const text = (await fixture('MDM-T02-01.hl7')).replace(/\r?\n/g, '\n');
  const [lf, cr, crlf] = ['\n', '\r', '\r\n'].map((eol) => Hl7Message.parse(text.replace(/\n/g, eol)));
  for (const m of [cr, crlf])
    assert.deepEqual(
      m?.segments.map((s) => s.name),
      lf?.segments.map((s) => s.name),
    );
  assert.equal(crlf?.segment('PV1')?.value(7, { component: 2 }), 'HIPPOCRATES');
});

test('separators come from MSH-1 and MSH-2, not from habit', () => {
  const message = Hl7Message.parse(
    'MSH#*~\\$#APP#FAC#R#RF#2020##ADT*A01#C1#P#2.5\rPID#1##77***AUTH$1.2*MR~88***X##DOE*JANE',
  );
  const pid = message.segment('PID');
  assert.ok(pid);
  assert.equal(pid.value(3), '77');
  assert.equal(pid.value(3, { component: 4, subcomponent: 2 }), '1.2');
  assert.equal(pid.value(3, { repetition: 1 }), '88');
  assert.equal(message.msh.value(9, { component: 2 }), 'A01');
});

test('escape sequences are decoded after splitting, unknown ones kept', () => {
  const message = Hl7Message.parse(
    'MSH|^~\\&|A|F|B|G|2020||ORU^R01|1|P|2.5\rPID|1||14^^^A\\T\\B^PI||O\\F\\Brien\\S\\X',
  );
  assert.equal(message.segment('PID')?.value(3, { component: 4 }), 'A&B');
  assert.equal(message.segment('PID')?.value(5), 'O|Brien^X', 'the component separator inside a value');
  const separators = message.separators;
  assert.equal(decodeEscapes('a\\X41C3\\b', separators), 'aAÃb');
  assert.equal(decodeEscapes('line\\.br\\two\\H\\bold\\N\\', separators), 'line\ntwobold');
  assert.equal(
    decodeEscapes('keep \\Q\\ and \\E\\ and \\unterminated', separators),
    'keep \\Q\\ and \\ and \\unterminated',
  );
});

test('what is not a message is named', () => {
  assert.throws(() => Hl7Message.parse('PID|1||14'), /does not start with an MSH segment/);
  assert.throws(() => Hl7Message.parse('MSH|^~'), /MSH-2 must declare/);
  assert.throws(() => Hl7Message.parse('MSH|^^\\&|A'), /five distinct separators/);
  assert.throws(() => Hl7Message.parse('MSH|^~\\&|A\r\u0000\u0001garbage'), /segment 2 does not start/);
});

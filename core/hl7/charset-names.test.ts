import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { charsetLabel, declaredCharset, recordText } from './charset-names.js';

const message = (msh18: string, pid: string) =>
  `MSH|^~\\&|A|F|B|G|2020||ORU^R01|1|P|2.5||||||${msh18}\rPID|1||1||${pid}\r`;

test('a record reads in the charset its MSH-18 names, as the wallet shows it', () => {
  for (const [msh18, encoding, name] of [
    ['8859/1', 'iso-8859-1', 'Müller'],
    ['windows-1252', 'windows-1252', 'O’Brien €'],
    ['GB 18030-2000', 'gb18030', '张伟'],
    ['UNICODE UTF-8', 'utf-8', '李娜 Müller'],
  ] as const) {
    const bytes = iconv.encode(message(msh18, name), encoding);
    assert.equal(declaredCharset(bytes), msh18);
    assert.equal(recordText(bytes), message(msh18, name), msh18);
  }
  const utf8WithBom = Uint8Array.from([0xef, 0xbb, 0xbf, ...Buffer.from(message('', 'Zoë'))]);
  assert.equal(declaredCharset(utf8WithBom), '', 'no MSH-18: nothing declared, BOM skipped');
  assert.ok(recordText(utf8WithBom).includes('Zoë'), 'undeclared: UTF-8');
  assert.equal(recordText(Buffer.from('{"resourceType":"Patient"}')), '{"resourceType":"Patient"}', 'not HL7: UTF-8');
});

test('charset names feeds use map to one label', () => {
  assert.equal(charsetLabel('8859/15'), 'iso-8859-15');
  assert.equal(charsetLabel(' gbk '), 'gb18030');
  assert.equal(charsetLabel('CP1252'), 'windows-1252');
  assert.equal(charsetLabel(''), undefined);
});

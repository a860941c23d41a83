import assert from 'node:assert/strict';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import { chooseCharset, decodePayload, encodeText, resolveCharset, stripBom } from './charset.js';
import { parseMsh } from './msh.js';

/** An ADT with MSH-4 `facility`, MSH-18 `msh18` and a patient name, as text before encoding. */
function message(msh18: string, name: string, facility = 'FAC'): string {
  return (
    `MSH|^~\\&|APP|${facility}|RAPP|RFAC|20240101120000||ADT^A01^ADT_A01|CTRL1|P|2.5|||||CHN|${msh18}\r` +
    `PID|1||123^^^HOSP||${name}\r`
  );
}

function decodesTo(payload: Uint8Array, defaultEncoding: string, expected: { text: string; encoding: string }) {
  const decoded = decodePayload(payload, defaultEncoding);
  assert.deepEqual(decoded, { ok: true, ...expected });
}

test('table 0211 names and the names real feeds use map to iconv-lite encodings', () => {
  const cases: [string, string | undefined][] = [
    ['UNICODE UTF-8', 'utf-8'],
    ['UTF-8', 'utf-8'],
    ['utf8', 'utf-8'],
    ['UNICODE', 'utf-8'],
    ['ASCII', 'ascii'],
    ['8859/1', 'iso-8859-1'],
    ['8859/15', 'iso-8859-15'],
    ['GB 18030-2000', 'gb18030'],
    ['GBK', 'gb18030'],
    ['GB2312', 'gb18030'],
    ['windows-1252', 'windows-1252'],
    ['CP1252', 'windows-1252'],
    [' iso-8859-1 ', 'iso-8859-1'],
    ['BIG-5', 'big5'],
    // not ASCII-compatible, so MLLP and MSH cannot be read in them
    ['UNICODE UTF-16', undefined],
    ['utf-7', undefined],
    ['base64', undefined],
    ['KLINGON', undefined],
    ['', undefined],
  ];
  for (const [name, encoding] of cases) assert.equal(resolveCharset(name), encoding, name);
});

test('UTF-8, with and without a byte-order mark (the BOM is not part of MSH)', () => {
  const text = message('UNICODE UTF-8', 'Müller^José 张三');
  const utf8 = Buffer.from(text, 'utf8');
  decodesTo(utf8, 'iso-8859-1', { text, encoding: 'utf-8' });
  const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]);
  decodesTo(withBom, 'iso-8859-1', { text, encoding: 'utf-8' });
  assert.deepEqual(stripBom(withBom), utf8);
  // no MSH-18: the listener's default
  const plain = message('', 'Müller');
  decodesTo(Buffer.from(plain, 'utf8'), 'utf-8', { text: plain, encoding: 'utf-8' });
});

test('ISO-8859-1 by MSH-18, and by the listener default when MSH-18 is empty', () => {
  const declared = message('8859/1', 'Müller^Zoë');
  decodesTo(iconv.encode(declared, 'latin1'), 'utf-8', { text: declared, encoding: 'iso-8859-1' });
  const undeclared = message('', 'Müller^Zoë');
  decodesTo(iconv.encode(undeclared, 'latin1'), resolveCharset('8859/1') ?? '', {
    text: undeclared,
    encoding: 'iso-8859-1',
  });
});

test('windows-1252: euro sign and curly quotes', () => {
  const text = message('CP1252', 'O’Brien^“Ann” €5');
  const bytes = iconv.encode(text, 'windows-1252');
  assert.ok(bytes.includes(0x80) && bytes.includes(0x92), 'the euro and ’ are single cp1252 bytes');
  decodesTo(bytes, 'utf-8', { text, encoding: 'windows-1252' });
});

test('GB 18030: a Chinese name, and a facility whose second byte is the field separator', () => {
  // 億 is 83 7C in GB 18030: read byte by byte, MSH-4 would end in the middle of it
  const facility = '北京億医院';
  assert.ok(iconv.encode(facility, 'gb18030').includes(0x7c));
  const text = message('GB 18030-2000', '张三', facility);
  const bytes = iconv.encode(text, 'gb18030');
  decodesTo(bytes, 'utf-8', { text, encoding: 'gb18030' });
  const header = parseMsh(text);
  assert.ok(header.ok);
  assert.equal(header.header.sendingFacility, facility);
  assert.equal(header.header.characterSet, 'GB 18030-2000');
  // the same with MSH-18 empty and GB 18030 as the listener's default
  const undeclared = message('', '张三', facility);
  decodesTo(iconv.encode(undeclared, 'gb18030'), 'gb18030', { text: undeclared, encoding: 'gb18030' });
  // GBK declared: decoded by the GB 18030 superset
  const gbk = message('GBK', '李四');
  decodesTo(iconv.encode(gbk, 'gbk'), 'utf-8', { text: gbk, encoding: 'gb18030' });
  assert.deepEqual(encodeText(text, 'gb18030'), bytes);
});

test('invalid bytes are an error naming the charset, never replaced', () => {
  const latin1Bytes = iconv.encode(message('', 'Müller'), 'latin1');
  const decoded = decodePayload(latin1Bytes, 'utf-8');
  assert.equal(decoded.ok, false);
  assert.ok(!decoded.ok);
  assert.equal(
    decoded.reason,
    "the message has bytes that are not valid utf-8 (this listener's default character set)",
  );
  assert.equal(decoded.msh18Declared, false);
  // the lossy text is still good enough to read MSH for the ACK
  assert.ok(parseMsh(decoded.text).ok);

  const lying = decodePayload(iconv.encode(message('UNICODE UTF-8', 'Müller'), 'latin1'), 'iso-8859-1');
  assert.ok(!lying.ok);
  assert.equal(lying.reason, "the message has bytes that are not valid utf-8 (MSH-18 'UNICODE UTF-8')");
  assert.equal(lying.msh18Declared, true);
});

test('MSH-18 says ASCII but the bytes are not: the listener default decodes them, if it can', () => {
  // why: ASCII is what many HIS interfaces put in MSH-18 unasked, and the default is the
  // integration team's statement about this feed (see decodePayload)
  const text = message('ASCII', 'Müller^张三');
  decodesTo(Buffer.from(text, 'utf8'), 'utf-8', { text, encoding: 'utf-8' });
  const ascii = message('ASCII', 'Muller');
  decodesTo(Buffer.from(ascii, 'utf8'), 'utf-8', { text: ascii, encoding: 'ascii' });
  const neither = decodePayload(iconv.encode(message('ASCII', 'Müller'), 'latin1'), 'utf-8');
  assert.ok(!neither.ok);
  assert.equal(
    neither.reason,
    "the message has bytes that are neither ASCII (MSH-18) nor utf-8 (this listener's default character set)",
  );
});

test('an MSH-18 naming no supported charset is an error naming it', () => {
  const choice = chooseCharset(Buffer.from(message('KLINGON', 'x')), 'utf-8');
  assert.deepEqual(choice, {
    ok: false,
    encoding: 'utf-8',
    declared: 'KLINGON',
    reason: "MSH-18 declares the character set 'KLINGON', which this listener does not support",
  });
  // the first repetition is the message's charset; later ones are alternates
  assert.deepEqual(chooseCharset(Buffer.from(message('8859/1~ISO IR87', 'x')), 'utf-8'), {
    ok: true,
    encoding: 'iso-8859-1',
    declared: '8859/1',
  });
});

// Cross-checks our tars codec (tars.ts, tars-transaction.ts) against @tars/stream, the reference
// Node implementation that the transaction codec used before, kept as a devDependency for this.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import tars from '@tars/stream';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { HELLOWORLD_SET_TX } from './go-sdk-vectors.js';
import { MAX_DEPTH, missingField, TarsError, TarsReader, TarsWriter } from './tars.js';
import {
  decodeTransaction,
  encodeTransaction,
  TransactionFormatError,
  type SignedTransaction,
  type TransactionData,
} from './tars-transaction.js';

// ---- the reference: the transaction written and read with @tars/stream --------------------------

type Out = InstanceType<typeof tars.TarsOutputStream>;
type In = InstanceType<typeof tars.TarsInputStream>;

const bin = (bytes: Uint8Array) => {
  const buffer = new tars.BinBuffer();
  buffer.writeNodeBuffer(Buffer.from(bytes));
  return buffer;
};
const outputBytes = (os: Out) => new Uint8Array(os.getBinBuffer().toNodeBuffer());

/** A field at a tag our codec does not know, with a value of any tars type. */
type Unknown =
  | { kind: 'int'; value: number }
  | { kind: 'long'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'double'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'list'; items: Unknown[] }
  | { kind: 'map'; entries: [Unknown, Unknown][] }
  | { kind: 'struct'; fields: [number, Unknown][] };
type Extra = [tag: number, value: Unknown];

// @tars/stream writes lists and maps through their element protos; these stand-ins let one list
// or map hold any mix of values, which is still valid wire data for a reader that skips it.
const anyProto = { _write: (os: Out, tag: number, value: Unknown) => writeUnknown(os, tag, value) };

function writeUnknown(os: Out, tag: number, u: Unknown): void {
  switch (u.kind) {
    case 'int':
      os.writeInt32(tag, u.value);
      break;
    case 'long':
      os.writeInt64(tag, u.value.toString(), true);
      break;
    case 'float':
      os.writeFloat(tag, u.value);
      break;
    case 'double':
      os.writeDouble(tag, u.value);
      break;
    case 'string':
      os.writeString(tag, u.value);
      break;
    case 'bytes':
      os.writeBytes(tag, bin(u.value));
      break;
    case 'list': {
      const list = { value: u.items, length: u.items.length, _proto: anyProto };
      os.writeList(tag, list as unknown as Parameters<Out['writeList']>[1]);
      break;
    }
    case 'map': {
      const map = {
        size: () => u.entries.length,
        forEach: (each: (key: Unknown, value: Unknown) => void) => {
          for (const [k, v] of u.entries) each(k, v);
        },
        _kproto: anyProto,
        _vproto: anyProto,
      };
      os.writeMap(tag, map as unknown as Parameters<Out['writeMap']>[1]);
      break;
    }
    case 'struct':
      os.writeStruct(tag, {
        _writeTo: (inner: Out) => {
          for (const [t, v] of u.fields) writeUnknown(inner, t, v);
        },
      });
      break;
  }
}

/** Writes `entries` sorted by tag (stable), so unknown fields land between the known ones. */
function writeSorted(os: Out, entries: [number, (os: Out) => void][]): void {
  for (const [, write] of [...entries].sort((a, b) => a[0] - b[0])) write(os);
}

function refWriteData(os: Out, data: TransactionData, extras: Extra[]): void {
  const entries: [number, (os: Out) => void][] = [
    [1, (o) => o.writeInt32(1, data.version)],
    [2, (o) => o.writeString(2, data.chainId)],
    [3, (o) => o.writeString(3, data.groupId)],
    [4, (o) => o.writeInt64(4, data.blockLimit.toString(), true)],
    [5, (o) => o.writeString(5, data.nonce)],
  ];
  if (data.to) entries.push([6, (o) => o.writeString(6, data.to)]);
  if (data.input.length > 0) entries.push([7, (o) => o.writeBytes(7, bin(data.input))]);
  if (data.abi) entries.push([8, (o) => o.writeString(8, data.abi)]);
  if (data.version >= 1) {
    if (data.value) entries.push([9, (o) => o.writeString(9, data.value)]);
    if (data.gasPrice) entries.push([10, (o) => o.writeString(10, data.gasPrice)]);
    if (data.gasLimit !== 0n) entries.push([11, (o) => o.writeInt64(11, data.gasLimit.toString(), true)]);
    if (data.maxFeePerGas) entries.push([12, (o) => o.writeString(12, data.maxFeePerGas)]);
    if (data.maxPriorityFeePerGas) entries.push([13, (o) => o.writeString(13, data.maxPriorityFeePerGas)]);
  }
  for (const [tag, value] of extras) entries.push([tag, (o) => writeUnknown(o, tag, value)]);
  writeSorted(os, entries);
}

function refEncode(tx: SignedTransaction, extras: { data: Extra[]; top: Extra[] } = { data: [], top: [] }): Uint8Array {
  const os = new tars.TarsOutputStream();
  const entries: [number, (os: Out) => void][] = [
    [1, (o) => o.writeStruct(1, { _writeTo: (inner: Out) => refWriteData(inner, tx.data, extras.data) })],
    [2, (o) => o.writeBytes(2, bin(tx.dataHash))],
    [3, (o) => o.writeBytes(3, bin(tx.signature))],
  ];
  if (tx.importTime !== 0n) entries.push([4, (o) => o.writeInt64(4, tx.importTime.toString(), true)]);
  if (tx.attribute !== 0) entries.push([5, (o) => o.writeInt32(5, tx.attribute)]);
  if (tx.sender.length > 0) entries.push([7, (o) => o.writeBytes(7, bin(tx.sender))]);
  if (tx.extraData) entries.push([8, (o) => o.writeString(8, tx.extraData)]);
  for (const [tag, value] of extras.top) entries.push([tag, (o) => writeUnknown(o, tag, value)]);
  writeSorted(os, entries);
  return outputBytes(os);
}

const refBytes = (is: In, tag: number) => new Uint8Array(is.readBytes(tag, false, tars.BinBuffer).toNodeBuffer());

// @tars/stream's readStruct calls TYPE_T._readFrom(stream)
const RefData = {
  _readFrom(is: In): TransactionData {
    return {
      version: is.readInt32(1, true),
      chainId: is.readString(2, true),
      groupId: is.readString(3, true),
      blockLimit: BigInt(is.readInt64(4, true, '0', true)),
      nonce: is.readString(5, true),
      to: is.readString(6, false, ''),
      input: refBytes(is, 7),
      abi: is.readString(8, false, ''),
      value: is.readString(9, false, ''),
      gasPrice: is.readString(10, false, ''),
      gasLimit: BigInt(is.readInt64(11, false, '0', true)),
      maxFeePerGas: is.readString(12, false, ''),
      maxPriorityFeePerGas: is.readString(13, false, ''),
    };
  },
};

function refDecode(bytes: Uint8Array): SignedTransaction {
  const is = new tars.TarsInputStream(new tars.BinBuffer(Buffer.from(bytes)));
  return {
    data: is.readStruct(1, true, RefData as unknown as new () => TransactionData),
    dataHash: refBytes(is, 2),
    signature: refBytes(is, 3),
    importTime: BigInt(is.readInt64(4, false, '0', true)),
    attribute: is.readInt32(5, false, 0),
    sender: refBytes(is, 7),
    extraData: is.readString(8, false, ''),
  };
}

// ---- generators ---------------------------------------------------------------------------------

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Every width boundary, where a writer picks INT8/INT16/INT32/INT64. */
const int64Edges = [
  0n,
  1n,
  -1n,
  127n,
  128n,
  -128n,
  -129n,
  32767n,
  32768n,
  -32768n,
  -32769n,
  2n ** 31n - 1n,
  2n ** 31n,
  -(2n ** 31n),
  -(2n ** 31n) - 1n,
  2n ** 53n + 1n,
  -(2n ** 53n) - 1n,
  2n ** 32n,
  -(2n ** 32n),
  INT64_MAX,
  INT64_MIN,
];
const int64 = fc.oneof(fc.constantFrom(...int64Edges), fc.bigInt(INT64_MIN, INT64_MAX), fc.bigInt(-1000n, 1000n));
const int32 = fc.oneof(
  fc.constantFrom(0, 1, -1, 127, 128, -128, -129, 32767, 32768, -32768, -32769, 2 ** 31 - 1, -(2 ** 31)),
  fc.integer(),
);

/** Empty, short, exactly 255/256 bytes (the STRING1/STRING4 switch), and long (≥ 256 bytes). */
const text = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 4 },
  { arbitrary: fc.constantFrom('', 'a'.repeat(255), 'a'.repeat(256), `${'é'.repeat(127)}a`, '\uFEFFbom'), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 256, maxLength: 600 }), weight: 1 },
);
/** Empty, short, and long enough for an INT16 length; now and then past 32767 for an INT32 one. */
const bytes = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 80 }), weight: 6 },
  { arbitrary: fc.uint8Array({ minLength: 120, maxLength: 400 }), weight: 2 },
  // made from two numbers: shrinking 32 KiB arrays byte by byte takes minutes
  {
    arbitrary: fc
      .tuple(fc.integer({ min: 32768, max: 32800 }), fc.integer({ min: 0, max: 255 }))
      .map(([length, seed]) => Uint8Array.from({ length }, (_, i) => (i * 167 + seed) & 0xff)),
    weight: 1,
  },
);
/** An optional field: absent (its default) or any value. */
const maybe = <T>(value: fc.Arbitrary<T>, absent: T) => fc.oneof(fc.constant(absent), value);

const transaction: fc.Arbitrary<SignedTransaction> = fc
  .record({
    data: fc.record({
      version: fc.constantFrom(0, 1),
      chainId: text,
      groupId: text,
      blockLimit: int64,
      nonce: text,
      to: maybe(text, ''),
      input: maybe(bytes, new Uint8Array()),
      abi: maybe(text, ''),
      value: maybe(text, ''),
      gasPrice: maybe(text, ''),
      gasLimit: maybe(int64, 0n),
      maxFeePerGas: maybe(text, ''),
      maxPriorityFeePerGas: maybe(text, ''),
    }),
    dataHash: fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), bytes),
    signature: fc.oneof(fc.uint8Array({ minLength: 65, maxLength: 65 }), bytes),
    importTime: maybe(int64, 0n),
    attribute: maybe(int32, 0),
    sender: maybe(bytes, new Uint8Array()),
    extraData: maybe(text, ''),
  })
  // Plain objects (fc.record's have no prototype, which deepEqual tells apart); version 0 has no
  // fee fields on the wire, so the value that comes back has their defaults.
  .map((tx) => ({
    ...tx,
    data:
      tx.data.version === 0
        ? { ...tx.data, value: '', gasPrice: '', gasLimit: 0n, maxFeePerGas: '', maxPriorityFeePerGas: '' }
        : { ...tx.data },
  }));

const unknownValue: fc.Arbitrary<Unknown> = fc.letrec<{ value: Unknown }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 4 },
    fc.integer().map((value) => ({ kind: 'int' as const, value })),
    int64.map((value) => ({ kind: 'long' as const, value })),
    fc.float().map((value) => ({ kind: 'float' as const, value })),
    fc.double().map((value) => ({ kind: 'double' as const, value })),
    text.map((value) => ({ kind: 'string' as const, value })),
    fc.uint8Array({ maxLength: 300 }).map((value) => ({ kind: 'bytes' as const, value })),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => ({ kind: 'list' as const, items })),
    fc
      .array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 })
      .map((entries) => ({ kind: 'map' as const, entries })),
    fc
      .array(fc.tuple(fc.integer({ min: 0, max: 255 }), tie('value')), { maxLength: 4 })
      .map((fields) => ({ kind: 'struct' as const, fields })),
  ),
})).value;

// Tags the decoder does not read: 0 and 14+ in TransactionData; 0, 6 and 9+ in Transaction.
const unknownDataTag = fc.oneof(fc.constant(0), fc.integer({ min: 14, max: 255 }));
const unknownTopTag = fc.oneof(fc.constantFrom(0, 6), fc.integer({ min: 9, max: 255 }));
const extras = fc.record({
  data: fc.array(fc.tuple(unknownDataTag, unknownValue), { maxLength: 4 }),
  top: fc.array(fc.tuple(unknownTopTag, unknownValue), { maxLength: 4 }),
});

// ---- cross-checks against @tars/stream ------------------------------------------------------------

test("random transactions: our bytes equal @tars/stream's, and each decodes the other's to the same value", () => {
  fc.assert(
    fc.property(transaction, (tx) => {
      const ours = encodeTransaction(tx);
      const theirs = refEncode(tx);
      assert.equal(bytesToHex(ours), bytesToHex(theirs));
      assert.deepEqual(decodeTransaction(theirs), tx);
      assert.deepEqual(refDecode(ours), tx);
    }),
    { numRuns: 300 },
  );
});

test('random unknown fields of every type, anywhere, are skipped by both decoders alike', () => {
  fc.assert(
    fc.property(transaction, extras, (tx, extra) => {
      const withUnknown = refEncode(tx, extra);
      assert.deepEqual(decodeTransaction(withUnknown), tx);
      assert.deepEqual(refDecode(withUnknown), tx);
      assert.equal(
        bytesToHex(encodeTransaction(decodeTransaction(withUnknown))),
        bytesToHex(refEncode(tx)),
        're-encoding drops them',
      );
    }),
    { numRuns: 300 },
  );
});

test("integers: the smallest width, as @tars/stream picks it, and both read each other's", () => {
  fc.assert(
    fc.property(int64, fc.integer({ min: 0, max: 255 }), (value, tag) => {
      const w = new TarsWriter();
      w.int64(tag, value);
      const os = new tars.TarsOutputStream();
      os.writeInt64(tag, value.toString(), true);
      assert.equal(bytesToHex(w.finish()), bytesToHex(outputBytes(os)));
      assert.equal(new TarsReader(outputBytes(os)).int64(tag, 'n'), value);
      const is = new tars.TarsInputStream(new tars.BinBuffer(Buffer.from(w.finish())));
      assert.equal(BigInt(is.readInt64(tag, true, '0', true)), value);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(int32, (value) => {
      const w = new TarsWriter();
      w.int32(3, value);
      const os = new tars.TarsOutputStream();
      os.writeInt32(3, value);
      assert.equal(bytesToHex(w.finish()), bytesToHex(outputBytes(os)));
      assert.equal(new TarsReader(w.finish()).int32(3, 'n'), value);
    }),
    { numRuns: 1000 },
  );
});

test('the go-sdk vector: @tars/stream and we read it alike and write it back identically', () => {
  const vector = hexToBytes(HELLOWORLD_SET_TX);
  const ours = decodeTransaction(vector);
  assert.deepEqual(ours, refDecode(vector));
  assert.equal(bytesToHex(encodeTransaction(ours)), HELLOWORLD_SET_TX);
  assert.equal(bytesToHex(refEncode(ours)), HELLOWORLD_SET_TX);
});

// ---- the wire format, by hand ------------------------------------------------------------------

test('heads, empty bytes and the STRING1/STRING4 switch, byte for byte', () => {
  const hexOf = (write: (w: TarsWriter) => void) => {
    const w = new TarsWriter();
    write(w);
    return bytesToHex(w.finish());
  };
  assert.equal(
    hexOf((w) => w.int32(1, 0)),
    '1c',
    'zero is a ZERO head',
  );
  assert.equal(
    hexOf((w) => w.int64(4, 522n)),
    '41020a',
    'INT16 when INT8 is too small',
  );
  assert.equal(
    hexOf((w) => w.int64(0, -1n)),
    '00ff',
  );
  assert.equal(
    hexOf((w) => w.int64(0, 2n ** 31n)),
    '030000000080000000',
    'INT64 past int32',
  );
  assert.equal(
    hexOf((w) => w.bytes(2, new Uint8Array())),
    '2d000c',
    'empty bytes: SIMPLE_LIST, INT8 head, length as ZERO',
  );
  assert.equal(
    hexOf((w) => w.bytes(7, Uint8Array.of(0xab))),
    '7d000001ab',
  );
  assert.equal(
    hexOf((w) => w.string(14, '')),
    'e600',
  );
  assert.equal(
    hexOf((w) => w.string(15, 'x')),
    'f60f0178',
    'tag 15 takes a second head byte',
  );
  assert.equal(
    hexOf((w) => w.string(255, 'x')),
    'f6ff0178',
  );
  assert.equal(hexOf((w) => w.string(0, 'a'.repeat(255))).slice(0, 4), '06ff');
  assert.equal(hexOf((w) => w.string(0, 'a'.repeat(256))).slice(0, 10), '0700000100');
  assert.equal(
    hexOf((w) => w.struct(1, (inner) => inner.int32(0, 1))),
    '1a00010b',
  );
});

test('values the wire cannot hold are refused instead of wrapped', () => {
  // @tars/stream writes 2^63 as -2^63 and a tag of 256 as a different type; we refuse both
  assert.throws(() => new TarsWriter().int64(0, 2n ** 63n), /not a 64-bit signed integer/);
  assert.throws(() => new TarsWriter().int64(0, INT64_MIN - 1n), /not a 64-bit signed integer/);
  assert.throws(() => new TarsWriter().int32(0, 2 ** 31), /not a 32-bit signed integer/);
  assert.throws(() => new TarsWriter().int32(0, 1.5), /not a 32-bit signed integer/);
  assert.throws(() => new TarsWriter().string(256, 'x'), /tag 256 is outside 0..255/);
  const tx = decodeTransaction(hexToBytes(HELLOWORLD_SET_TX));
  assert.throws(
    () => encodeTransaction({ ...tx, importTime: 2n ** 64n }),
    (error: unknown) => error instanceof TransactionFormatError && /importTime|not a 64-bit/.test(error.message),
  );
});

test('strings round-trip exactly: a leading BOM is kept, invalid UTF-8 is an error rather than U+FFFD', () => {
  const w = new TarsWriter();
  w.string(0, '\uFEFFx');
  assert.equal(new TarsReader(w.finish()).string(0, 's'), '\uFEFFx');
  assert.throws(
    () => new TarsReader(hexToBytes('0601c3')).string(0, 'chainId'),
    /field 0 \(chainId\): the string at offset 0 is not valid UTF-8/,
  );
  // @tars/stream reads a lone high byte as Latin-1 ("Ã") and other invalid UTF-8 as U+FFFD
  const vector = HELLOWORLD_SET_TX.replace('2606636861696e30', '2606636861696eff');
  assert.throws(() => decodeTransaction(hexToBytes(vector)), /field 2 \(chainId\).*not valid UTF-8/);
});

test('an unknown field of each type, with one- and two-byte heads, is skipped', () => {
  // TransactionData with, between its fields: tag 0 list<int> [1, 300]; tag 14 map {"k": 2.5f};
  // tag 20 double 1.0; tag 30 struct { 0: struct { 1: "hi" }, 2: INT64 }; and at the top level
  // tag 6 bytes 0xaa, tag 9 INT32 70000 and tag 200 ZERO.
  const data = [
    '1a',
    '09',
    '0002',
    '0001',
    '01012c', // tag 0 LIST, count 2, INT8 1, INT16 300
    '1c',
    '2606636861696e30',
    '360667726f757030',
    '41020a',
    '5601' + '31', // version .. nonce "1"
    'e8',
    '0001',
    '06016b',
    '14' + '40200000', // tag 14 MAP, count 1, key "k", value FLOAT 2.5
    'f514',
    '3ff0000000000000', // tag 20 DOUBLE 1.0
    'fa1e',
    '0a',
    '16026869',
    '0b',
    '23' + '0000000100000000',
    '0b', // tag 30 STRUCT
    '0b',
  ].join('');
  const top = ['2d000000', '3d000000', '6d000001aa', '92' + '00011170', 'fc' + 'c8'].join('');
  const tx = decodeTransaction(hexToBytes(data + top));
  assert.equal(tx.data.chainId, 'chain0');
  assert.equal(tx.data.nonce, '1');
  assert.equal(tx.data.blockLimit, 522n);
  assert.deepEqual(tx.sender, new Uint8Array());
  // and @tars/stream agrees that this is well-formed and means the same
  assert.deepEqual(refDecode(hexToBytes(data + top)), tx);
});

test('a reader reads by tag in order and says which required field is missing', () => {
  const w = new TarsWriter();
  w.int32(2, 7);
  w.string(5, 'five');
  const r = new TarsReader(w.finish());
  assert.equal(r.int32(1, 'one'), undefined);
  assert.equal(r.int32(2, 'two'), 7);
  assert.equal(r.string(3, 'three'), undefined);
  assert.equal(r.string(5, 'five'), 'five');
  assert.equal(r.string(6, 'six'), undefined);
  r.end();
  assert.throws(
    () => missingField(3, 'signature'),
    (error: unknown) => error instanceof TarsError && error.message === 'required field 3 (signature) is missing',
  );
});

// ---- malformed input ------------------------------------------------------------------------------

const vector = hexToBytes(HELLOWORLD_SET_TX);
const rejects = (hex: string, message: RegExp) =>
  assert.throws(
    () => decodeTransaction(hexToBytes(hex)),
    (error: unknown) =>
      error instanceof TransactionFormatError &&
      /^not a FISCO BCOS 3\.x tars transaction: /.test(error.message) &&
      message.test(error.message),
  );

test('the vector cut at every length is refused with a TransactionFormatError', () => {
  for (let length = 0; length < vector.length; length++) {
    assert.throws(
      () => decodeTransaction(vector.subarray(0, length)),
      (error: unknown) => error instanceof TransactionFormatError && /truncated|is missing/.test(error.message),
      `prefix of ${length} bytes`,
    );
  }
});

test('heads with an unknown type are refused, wherever they are', () => {
  rejects(`1e${HELLOWORLD_SET_TX.slice(2)}`, /unknown tars type 14 in the field head at offset 0/);
  rejects(`1a1f${HELLOWORLD_SET_TX.slice(4)}`, /unknown tars type 15 in the field head at offset 1/);
  rejects(`${HELLOWORLD_SET_TX}9e`, /unknown tars type 14/);
});

test('lengths past the end, negative lengths and impossible counts are refused without reading or allocating', () => {
  const sigLength = HELLOWORLD_SET_TX.indexOf('3d000041') + 6;
  const withSigLength = (hex: string) =>
    `${HELLOWORLD_SET_TX.slice(0, sigLength)}${hex}${HELLOWORLD_SET_TX.slice(sigLength + 2)}`;
  rejects(withSigLength('42'), /truncated: field 3 \(signature\) needs 66 bytes at offset \d+, only 65 left/);
  rejects(withSigLength('ff'), /field 3 \(signature\): negative length -1/);
  rejects('1a1c26ff636861', /truncated: field 2 \(chainId\) needs 255 bytes at offset 4, only 3 left/);
  // STRING4 lengths: 2^31-1 bytes promised in a short input; a length with the top bit set
  rejects(`${HELLOWORLD_SET_TX}977fffffff`, /truncated: unknown field 9 needs 2147483647 bytes/);
  rejects(`${HELLOWORLD_SET_TX}9780000000`, /unknown field 9: negative string length -2147483648/);
  // a list or map of 2^31-1 elements in a few bytes
  rejects(`${HELLOWORLD_SET_TX}99027fffffff00`, /2147483647 list elements cannot fit in the 1 byte left/);
  rejects(`${HELLOWORLD_SET_TX}98027fffffff00`, /2147483647 map entries cannot fit/);
  rejects(`${HELLOWORLD_SET_TX}9900ff`, /negative length -1/);
  // a length must be an integer with tag 0, a SIMPLE_LIST must hold INT8
  rejects(`${HELLOWORLD_SET_TX}991001`, /the length at offset \d+ has tag 1, expected 0/);
  rejects(`${HELLOWORLD_SET_TX}9d0100`, /a SIMPLE_LIST must hold INT8 elements, found INT16 \(type 1\)/);
});

test('nesting is bounded, and deep input fails fast instead of exhausting the stack', () => {
  const nested = (depth: number, open: string, close: string) =>
    `${HELLOWORLD_SET_TX}9a${open.repeat(depth - 1)}${close.repeat(depth)}`;
  // MAX_DEPTH structs deep is fine; one more is not
  assert.doesNotThrow(() => decodeTransaction(hexToBytes(nested(MAX_DEPTH, '0a', '0b'))));
  rejects(nested(MAX_DEPTH + 1, '0a', '0b'), new RegExp(`nested deeper than ${MAX_DEPTH}`));
  rejects(`${HELLOWORLD_SET_TX}9a${'0a'.repeat(200_000)}`, /nested deeper than/);
  rejects(`${HELLOWORLD_SET_TX}990001${'090001'.repeat(60)}0c`, /nested deeper than/);
});

test('structure errors name what is wrong', () => {
  rejects(`${HELLOWORLD_SET_TX}0b`, /STRUCT_END at offset 314 outside any struct/);
  rejects(`${HELLOWORLD_SET_TX}9a0c`, /truncated: unknown field 9 has no STRUCT_END/);
  rejects(
    HELLOWORLD_SET_TX.replace('1a1c26', '1a160130' + '26'),
    /field 1 \(version\): expected an integer of at most 32 bits, found STRING1 \(type 6\) at offset 1/,
  );
  rejects(
    HELLOWORLD_SET_TX.replace('1a1c26', '1a13000000000000000026'),
    /field 1 \(version\): expected an integer of at most 32 bits, found INT64/,
  );
  rejects(`1c${HELLOWORLD_SET_TX.slice(2)}`, /field 1 \(data\): expected a struct, found ZERO \(type 12\)/);
  rejects(HELLOWORLD_SET_TX.replace('1a1c2606636861696e30', '1a1c'), /required field 2 \(chainId\) is missing/);
  rejects('2d000c3d000c', /required field 1 \(data\) is missing/);
  rejects(
    HELLOWORLD_SET_TX.slice(0, HELLOWORLD_SET_TX.indexOf('3d000041')),
    /required field 3 \(signature\) is missing/,
  );
  rejects(
    HELLOWORLD_SET_TX.replace('2d000020', '2600' + '2d000020'),
    /field 2 \(dataHash\): expected bytes \(SIMPLE_LIST\), found STRING1/,
  );
});

test('any bytes, and the vector with random bytes changed, decode or fail with a TransactionFormatError', () => {
  const outcome = (input: Uint8Array) => {
    try {
      decodeTransaction(input);
    } catch (error) {
      assert.ok(error instanceof TransactionFormatError, `${String(error)} for ${bytesToHex(input)}`);
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), outcome), { numRuns: 2000 });
  const edits = fc.array(fc.tuple(fc.nat({ max: vector.length - 1 }), fc.integer({ min: 0, max: 255 })), {
    minLength: 1,
    maxLength: 4,
  });
  fc.assert(
    fc.property(edits, (changes) => {
      const changed = vector.slice();
      for (const [at, value] of changes) changed[at] = value;
      outcome(changed);
    }),
    { numRuns: 3000 },
  );
});

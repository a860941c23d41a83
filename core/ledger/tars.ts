/**
 * TARS (JCE) binary encoding: the part FISCO BCOS 3.x transactions use, and a reader that skips
 * every type, so a struct carrying fields we don't know still decodes. Uint8Array, DataView and
 * TextEncoder/TextDecoder only, no Node builtins, so it runs unchanged in a browser bundle.
 *
 * Byte layout. A struct is a sequence of fields; a field is a head followed by a value.
 *
 *   head, tag < 15:       1 byte   tag << 4 | type
 *   head, 15 ≤ tag ≤ 255: 2 bytes  0xF0 | type, then tag
 *
 *   type  name          value
 *   0     INT8          1 byte, two's complement
 *   1     INT16         2 bytes, big-endian, two's complement
 *   2     INT32         4 bytes, big-endian, two's complement
 *   3     INT64         8 bytes, big-endian, two's complement
 *   4     FLOAT         4 bytes, IEEE 754 big-endian
 *   5     DOUBLE        8 bytes, IEEE 754 big-endian
 *   6     STRING1       1-byte length n (unsigned), then n bytes of UTF-8
 *   7     STRING4       4-byte big-endian length n, then n bytes of UTF-8
 *   8     MAP           count n (an integer field, tag 0), then n × (key field tag 0, value field tag 1)
 *   9     LIST          count n (an integer field, tag 0), then n element fields (tag 0)
 *   10    STRUCT_BEGIN  the struct's fields, then a STRUCT_END head
 *   11    STRUCT_END    nothing (written with tag 0)
 *   12    ZERO          nothing: the number 0 of any numeric type
 *   13    SIMPLE_LIST   vector<byte>: a head of tag 0 type INT8, then the length n (an integer
 *                       field, tag 0), then n raw bytes
 *
 * Integers are written in the smallest type that holds them, 0 as ZERO; strings shorter than 256
 * bytes as STRING1, longer ones as STRING4; fields in ascending tag order. Readers accept any
 * integer type up to the declared width, because other writers need not pick the smallest.
 */

export const TarsType = {
  INT8: 0,
  INT16: 1,
  INT32: 2,
  INT64: 3,
  FLOAT: 4,
  DOUBLE: 5,
  STRING1: 6,
  STRING4: 7,
  MAP: 8,
  LIST: 9,
  STRUCT_BEGIN: 10,
  STRUCT_END: 11,
  ZERO: 12,
  SIMPLE_LIST: 13,
} as const;
export type TarsType = (typeof TarsType)[keyof typeof TarsType];

const TYPE_NAMES = Object.keys(TarsType);
const typeName = (type: number) => `${TYPE_NAMES[type] ?? 'unknown'} (type ${type})`;
const fieldName = (tag: number, name: string) => `field ${tag} (${name})`;
const byteCount = (n: number) => `${n} byte${n === 1 ? '' : 's'}`;

/** A value that cannot be encoded, or bytes that are not valid tars. The message says what and where. */
export class TarsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarsError';
  }
}

const INT8_MIN = -(2n ** 7n);
const INT16_MIN = -(2n ** 15n);
const INT32_MIN = -(2n ** 31n);
const INT64_MIN = -(2n ** 63n);
const MAX_TAG = 255;
const MAX_LENGTH = 2 ** 31 - 1; // longer would read as negative wherever lengths are held in a signed 32-bit int

/**
 * Containers (struct, list, map) nested deeper than this are refused. Transactions nest one
 * struct; the bound keeps a hostile input from exhausting the call stack while skipping.
 */
export const MAX_DEPTH = 32;

const utf8Encoder = new TextEncoder();
// fatal: invalid UTF-8 cannot be held in a JS string and re-encoded to the same bytes, so it is an
// error rather than U+FFFD. ignoreBOM: a leading U+FEFF is content, not a marker to drop.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class TarsWriter {
  private buffer = new Uint8Array(256);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  int32(tag: number, value: number): void {
    if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
      throw new TarsError(`tag ${tag}: ${value} is not a 32-bit signed integer`);
    }
    this.integer(tag, BigInt(value));
  }

  int64(tag: number, value: bigint): void {
    // DataView.setBigInt64 would silently wrap a value outside the range
    if (value < INT64_MIN || value >= -INT64_MIN)
      throw new TarsError(`tag ${tag}: ${value} is not a 64-bit signed integer`);
    this.integer(tag, value);
  }

  string(tag: number, value: string): void {
    // A lone surrogate becomes U+FFFD here, as with every UTF-8 writer (the reference library too).
    const bytes = utf8Encoder.encode(value);
    if (bytes.length < 256) {
      this.head(tag, TarsType.STRING1);
      this.reserve(1);
      this.view.setUint8(this.length++, bytes.length);
    } else {
      if (bytes.length > MAX_LENGTH)
        throw new TarsError(`tag ${tag}: a string of ${bytes.length} bytes is too long for tars`);
      this.head(tag, TarsType.STRING4);
      this.reserve(4);
      this.view.setUint32(this.length, bytes.length);
      this.length += 4;
    }
    this.raw(bytes);
  }

  /** vector<byte> as SIMPLE_LIST; empty bytes are `d 00 0c` (the length 0 is the ZERO head). */
  bytes(tag: number, value: Uint8Array): void {
    if (value.length > MAX_LENGTH) throw new TarsError(`tag ${tag}: ${value.length} bytes are too long for tars`);
    this.head(tag, TarsType.SIMPLE_LIST);
    this.head(0, TarsType.INT8);
    this.integer(0, BigInt(value.length));
    this.raw(value);
  }

  struct(tag: number, writeFields: (writer: TarsWriter) => void): void {
    this.head(tag, TarsType.STRUCT_BEGIN);
    writeFields(this);
    this.head(0, TarsType.STRUCT_END);
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private integer(tag: number, value: bigint): void {
    if (value === 0n) {
      this.head(tag, TarsType.ZERO);
    } else if (value >= INT8_MIN && value < -INT8_MIN) {
      this.head(tag, TarsType.INT8);
      this.reserve(1);
      this.view.setInt8(this.length, Number(value));
      this.length += 1;
    } else if (value >= INT16_MIN && value < -INT16_MIN) {
      this.head(tag, TarsType.INT16);
      this.reserve(2);
      this.view.setInt16(this.length, Number(value));
      this.length += 2;
    } else if (value >= INT32_MIN && value < -INT32_MIN) {
      this.head(tag, TarsType.INT32);
      this.reserve(4);
      this.view.setInt32(this.length, Number(value));
      this.length += 4;
    } else {
      this.head(tag, TarsType.INT64);
      this.reserve(8);
      this.view.setBigInt64(this.length, value);
      this.length += 8;
    }
  }

  private head(tag: number, type: TarsType): void {
    if (!Number.isInteger(tag) || tag < 0 || tag > MAX_TAG) throw new TarsError(`tag ${tag} is outside 0..${MAX_TAG}`);
    this.reserve(2);
    if (tag < 15) {
      this.view.setUint8(this.length++, (tag << 4) | type);
    } else {
      this.view.setUint8(this.length++, 0xf0 | type);
      this.view.setUint8(this.length++, tag);
    }
  }

  private raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}

interface Head {
  tag: number;
  type: TarsType;
  /** Where the head starts, for messages and to step back over a field that is not ours. */
  at: number;
}

/**
 * Reads one struct's fields by tag, in ascending order: each read skips the fields before its tag
 * and answers undefined when the field is absent. Every length is checked against the bytes left
 * before anything is read or allocated, and every loop consumes at least a head byte per turn,
 * so malformed input ends in a TarsError, never a hang or a large allocation.
 */
export class TarsReader {
  private offset = 0;
  /** 0 at the top level, +1 inside each struct, list or map. */
  private depth = 0;

  constructor(private readonly input: Uint8Array) {}

  int32(tag: number, name: string): number | undefined {
    const head = this.seek(tag);
    return head && Number(this.integer(head, false, fieldName(tag, name)));
  }

  int64(tag: number, name: string): bigint | undefined {
    const head = this.seek(tag);
    return head && this.integer(head, true, fieldName(tag, name));
  }

  string(tag: number, name: string): string | undefined {
    const head = this.seek(tag);
    if (!head) return undefined;
    const what = fieldName(tag, name);
    if (head.type !== TarsType.STRING1 && head.type !== TarsType.STRING4) throw this.mismatch(what, 'a string', head);
    const bytes = this.take(this.stringLength(head.type, what), what);
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      throw new TarsError(`${what}: the string at offset ${head.at} is not valid UTF-8`);
    }
  }

  /** A copy, so the result does not pin or alias the input. */
  bytes(tag: number, name: string): Uint8Array | undefined {
    const head = this.seek(tag);
    if (!head) return undefined;
    const what = fieldName(tag, name);
    if (head.type !== TarsType.SIMPLE_LIST) throw this.mismatch(what, 'bytes (SIMPLE_LIST)', head);
    return this.take(this.simpleListLength(what), what).slice();
  }

  struct<T>(tag: number, name: string, readFields: (reader: TarsReader) => T): T | undefined {
    const head = this.seek(tag);
    if (!head) return undefined;
    const what = fieldName(tag, name);
    if (head.type !== TarsType.STRUCT_BEGIN) throw this.mismatch(what, 'a struct', head);
    this.enter(what);
    const value = readFields(this);
    this.skipToStructEnd(what);
    this.depth -= 1;
    return value;
  }

  /** At the top level, after the last read: the rest must be whole fields (skipped), nothing else. */
  end(): void {
    while (this.offset < this.input.length) {
      const head = this.head();
      if (head.type === TarsType.STRUCT_END) throw new TarsError(`STRUCT_END at offset ${head.at} outside any struct`);
      this.skip(head.type, `unknown field ${head.tag}`);
    }
  }

  /** Moves to the field with this tag if it comes next (after skipping smaller tags) and reads its head. */
  private seek(tag: number): Head | undefined {
    for (;;) {
      if (this.offset >= this.input.length) {
        if (this.depth > 0) throw new TarsError(`truncated: the input ends inside a struct, before its STRUCT_END`);
        return undefined;
      }
      const head = this.head();
      if (head.type === TarsType.STRUCT_END) {
        if (this.depth === 0) throw new TarsError(`STRUCT_END at offset ${head.at} outside any struct`);
        this.offset = head.at; // the struct's reader consumes it
        return undefined;
      }
      if (head.tag === tag) return head;
      if (head.tag > tag) {
        this.offset = head.at; // a later read may want it
        return undefined;
      }
      this.skip(head.type, `unknown field ${head.tag}`);
    }
  }

  private head(): Head {
    const at = this.offset;
    const first = this.take(1, 'a field head')[0] as number;
    const type = first & 0x0f;
    if (type > TarsType.SIMPLE_LIST) throw new TarsError(`unknown tars type ${type} in the field head at offset ${at}`);
    let tag = first >> 4;
    if (tag === 15) tag = this.take(1, 'the tag byte of a two-byte field head')[0] as number;
    return { tag, type: type as TarsType, at };
  }

  /** Skips the value of a field whose head has been read. */
  private skip(type: TarsType, what: string): void {
    switch (type) {
      case TarsType.ZERO:
        return;
      case TarsType.INT8:
        this.take(1, what);
        return;
      case TarsType.INT16:
        this.take(2, what);
        return;
      case TarsType.INT32:
      case TarsType.FLOAT:
        this.take(4, what);
        return;
      case TarsType.INT64:
      case TarsType.DOUBLE:
        this.take(8, what);
        return;
      case TarsType.STRING1:
      case TarsType.STRING4:
        this.take(this.stringLength(type, what), what);
        return;
      case TarsType.SIMPLE_LIST:
        this.take(this.simpleListLength(what), what);
        return;
      case TarsType.LIST:
      case TarsType.MAP: {
        const perEntry = type === TarsType.MAP ? 2 : 1;
        const count = this.count(what);
        // each element is at least a one-byte head: refuse a count the input cannot hold before looping
        if (count * perEntry > this.input.length - this.offset) {
          throw new TarsError(
            `${what}: ${count} ${type === TarsType.MAP ? 'map entries' : 'list elements'} cannot fit in the ${byteCount(this.input.length - this.offset)} left`,
          );
        }
        this.enter(what);
        for (let i = 0; i < count * perEntry; i++) {
          const element = this.head();
          if (element.type === TarsType.STRUCT_END)
            throw new TarsError(`${what}: STRUCT_END at offset ${element.at} inside a list or map`);
          this.skip(element.type, what);
        }
        this.depth -= 1;
        return;
      }
      case TarsType.STRUCT_BEGIN:
        this.enter(what);
        this.skipToStructEnd(what);
        this.depth -= 1;
        return;
      case TarsType.STRUCT_END:
        // callers handle STRUCT_END before asking to skip; reaching here is a stray one
        throw new TarsError(`${what}: unexpected STRUCT_END`);
    }
  }

  private skipToStructEnd(what: string): void {
    for (;;) {
      if (this.offset >= this.input.length) throw new TarsError(`truncated: ${what} has no STRUCT_END`);
      const head = this.head();
      if (head.type === TarsType.STRUCT_END) return;
      this.skip(head.type, `unknown field ${head.tag} in ${what}`);
    }
  }

  private enter(what: string): void {
    if (++this.depth > MAX_DEPTH)
      throw new TarsError(`${what}: containers nested deeper than ${MAX_DEPTH} at offset ${this.offset}`);
  }

  /** The value of an integer field whose head has been read; ZERO and any width up to the declared one. */
  private integer(head: Head, wide: boolean, what: string): bigint {
    switch (head.type) {
      case TarsType.ZERO:
        return 0n;
      case TarsType.INT8:
        return BigInt(this.viewOf(1, what).getInt8(0));
      case TarsType.INT16:
        return BigInt(this.viewOf(2, what).getInt16(0));
      case TarsType.INT32:
        return BigInt(this.viewOf(4, what).getInt32(0));
      case TarsType.INT64:
        if (wide) return this.viewOf(8, what).getBigInt64(0);
    }
    throw this.mismatch(what, `an integer of at most ${wide ? 64 : 32} bits`, head);
  }

  private stringLength(type: TarsType, what: string): number {
    if (type === TarsType.STRING1) return this.viewOf(1, what).getUint8(0);
    const length = this.viewOf(4, what).getInt32(0);
    if (length < 0) throw new TarsError(`${what}: negative string length ${length}`);
    return length;
  }

  private simpleListLength(what: string): number {
    const inner = this.head();
    if (inner.type !== TarsType.INT8)
      throw new TarsError(
        `${what}: a SIMPLE_LIST must hold INT8 elements, found ${typeName(inner.type)} at offset ${inner.at}`,
      );
    return this.count(what);
  }

  /** A list, map or byte-vector length: an integer field with tag 0, not negative. */
  private count(what: string): number {
    const head = this.head();
    if (head.tag !== 0) throw new TarsError(`${what}: the length at offset ${head.at} has tag ${head.tag}, expected 0`);
    const count = Number(this.integer(head, false, `${what} (length)`));
    if (count < 0) throw new TarsError(`${what}: negative length ${count}`);
    return count;
  }

  private take(length: number, what: string): Uint8Array {
    const left = this.input.length - this.offset;
    if (length > left) {
      throw new TarsError(`truncated: ${what} needs ${byteCount(length)} at offset ${this.offset}, only ${left} left`);
    }
    const bytes = this.input.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }

  private viewOf(length: number, what: string): DataView {
    const bytes = this.take(length, what);
    return new DataView(bytes.buffer, bytes.byteOffset, length);
  }

  private mismatch(what: string, expected: string, head: Head): TarsError {
    return new TarsError(`${what}: expected ${expected}, found ${typeName(head.type)} at offset ${head.at}`);
  }
}

/** For a field the caller requires: `reader.string(2, 'chainId') ?? missingField(2, 'chainId')`. */
export function missingField(tag: number, name: string): never {
  throw new TarsError(`required field ${tag} (${name}) is missing`);
}

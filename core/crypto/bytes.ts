import { CryptoError } from './errors.js';

/** Big-endian unsigned integers, the only integer encoding used in Yilian byte formats. */
export function u16be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new CryptoError('BAD_FORMAT', `u16 out of range: ${n}`);
  return Uint8Array.of(n >>> 8, n & 0xff);
}

export function u32be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new CryptoError('BAD_FORMAT', `u32 out of range: ${n}`);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/** Sequential reader for the fixed layouts in docs/formats.md; every overrun is a BAD_FORMAT. */
export class ByteReader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  take(length: number, field: string): Uint8Array {
    if (this.offset + length > this.bytes.length) {
      throw new CryptoError(
        'BAD_FORMAT',
        `${this.what}: truncated at ${field} (offset ${this.offset}, need ${length} bytes)`,
      );
    }
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  u8(field: string): number {
    return this.take(1, field)[0] as number;
  }

  /** The leading version byte of every Yilian format: anything but `expected` is BAD_FORMAT. */
  version(expected: number): number {
    const version = this.u8('version');
    if (version !== expected) {
      throw new CryptoError(
        'BAD_FORMAT',
        `${this.what}: unsupported version 0x${version.toString(16)} (expected 0x${expected.toString(16).padStart(2, '0')})`,
      );
    }
    return version;
  }

  u32(field: string): number {
    const b = this.take(4, field);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
  }

  rest(): Uint8Array {
    const out = this.bytes.subarray(this.offset);
    this.offset = this.bytes.length;
    return out;
  }

  end(): void {
    if (this.offset !== this.bytes.length) {
      throw new CryptoError('BAD_FORMAT', `${this.what}: ${this.bytes.length - this.offset} trailing bytes`);
    }
  }
}

/** Best-effort wipe: JS cannot guarantee no copies exist, but buffers we own are zeroed. */
export function wipe(...arrays: Uint8Array[]): void {
  for (const a of arrays) a.fill(0);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

import { AES_KEY_LENGTH } from '../../core/crypto/aead.js';

/**
 * The payload-codec keys: new payloads are sealed with `current`; every key ever used stays so
 * that histories written before a rotation still decrypt. Key ids travel in payload metadata, so
 * they must name a key without revealing it.
 */
export class CodecKeyring {
  private readonly keys: ReadonlyMap<string, Uint8Array>;

  constructor(
    readonly currentId: string,
    keys: Iterable<[string, Uint8Array]>,
  ) {
    this.keys = new Map(keys);
    for (const [id, key] of this.keys) {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(id))
        throw new Error(`codec key id ${JSON.stringify(id)}: use 1-64 letters, digits, '.', '_' or '-'`);
      if (key.length !== AES_KEY_LENGTH)
        throw new Error(`codec key ${id}: must be ${AES_KEY_LENGTH} bytes, got ${key.length}`);
    }
    if (!this.keys.has(currentId))
      throw new Error(
        `codec key ${currentId} is current but not in the keyring (ids: ${[...this.keys.keys()].join(', ')})`,
      );
  }

  /** `id1:base64,id2:base64`, the first being current: the YILIAN_CODEC_KEYS format. */
  static parse(text: string): CodecKeyring {
    const entries = text
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry): [string, Uint8Array] => {
        const separator = entry.indexOf(':');
        if (separator < 1) throw new Error('codec keys: expected id:base64key[,id:base64key...]');
        return [entry.slice(0, separator), Uint8Array.from(Buffer.from(entry.slice(separator + 1), 'base64'))];
      });
    const [current] = entries;
    if (!current) throw new Error('codec keys: no key given');
    return new CodecKeyring(current[0], entries);
  }

  get current(): Uint8Array {
    return this.keys.get(this.currentId) as Uint8Array;
  }

  ids(): string[] {
    return [...this.keys.keys()];
  }

  key(id: string): Uint8Array | undefined {
    return this.keys.get(id);
  }
}

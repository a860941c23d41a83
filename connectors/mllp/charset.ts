import iconv from 'iconv-lite';
import { charsetLabel, msh18Of } from '../../core/hl7/charset-names.js';

/**
 * Charsets whose multibyte characters can have a second byte in the ASCII range, so that an MSH
 * field holding, say, 億 (GB 18030 83 7C) contains a `|` byte that is not a field separator. For
 * these the MSH segment must be read in the charset itself before MSH-18 can be found.
 */
const TRAIL_BYTES_IN_ASCII = ['gb18030', 'big5', 'shift_jis'];

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const ASCII_PROBE = 'MSH|^~\\&#';

/**
 * The iconv-lite encoding a charset name (MSH-18 value, or a listener's configured default) stands
 * for, or undefined when it names none we can frame: unknown names, and encodings in which ASCII
 * text is not ASCII bytes (UTF-16/32, UTF-7), since MLLP framing and MSH are read as ASCII bytes.
 */
export function resolveCharset(name: string): string | undefined {
  const mapped = charsetLabel(name);
  if (mapped === undefined || !iconv.encodingExists(mapped)) return undefined;
  const probe = iconv.encode(ASCII_PROBE, mapped);
  return probe.equals(Buffer.from(ASCII_PROBE, 'latin1')) ? mapped : undefined;
}

/** The payload without a leading UTF-8 byte-order mark (which is not part of MSH). */
export function stripBom(payload: Uint8Array): Uint8Array {
  return UTF8_BOM.every((b, i) => payload[i] === b) ? payload.subarray(3) : payload;
}

/** The MSH segment's bytes (up to the first CR or LF, which no supported charset uses as a trail byte). */
function mshBytes(payload: Uint8Array): Buffer {
  const end = payload.findIndex((b) => b === 0x0d || b === 0x0a);
  return Buffer.from(payload.buffer, payload.byteOffset, end < 0 ? payload.length : end);
}

/** MSH-18 as read when the MSH segment is decoded with `encoding`. */
function msh18Under(msh: Buffer, encoding: string): string {
  return msh18Of(iconv.decode(msh, encoding));
}

export type CharsetChoice =
  { ok: true; encoding: string; declared: string } | { ok: false; encoding: string; declared: string; reason: string };

/**
 * Which encoding decodes a frame (BOM already stripped): MSH-18 when it names one, else the
 * listener's default. MSH-18 is read from the raw bytes, since every supported charset writes
 * ASCII as ASCII bytes. Only charsets with ASCII-range trail bytes (GB 18030, Big5, Shift_JIS)
 * need more: there a `|` byte may be half of a character, so MSH is also read in each of them, and
 * such a charset is chosen when MSH read in it declares it (or, for the default, declares nothing).
 */
export function chooseCharset(payload: Uint8Array, defaultEncoding: string): CharsetChoice {
  const msh = mshBytes(payload);
  const raw = msh18Under(msh, 'latin1');
  const rawEncoding = resolveCharset(raw);
  const onlyAscii = msh.every((b) => b < 0x80);
  if (onlyAscii || (rawEncoding && !TRAIL_BYTES_IN_ASCII.includes(rawEncoding))) {
    if (rawEncoding) return { ok: true, encoding: rawEncoding, declared: raw };
  } else {
    const views = [...new Set([defaultEncoding, ...TRAIL_BYTES_IN_ASCII])].filter((e) =>
      TRAIL_BYTES_IN_ASCII.includes(e),
    );
    for (const encoding of views) {
      const declared = msh18Under(msh, encoding);
      if (declared === '' ? encoding === defaultEncoding : resolveCharset(declared) === encoding)
        return { ok: true, encoding, declared };
    }
    if (rawEncoding) return { ok: true, encoding: rawEncoding, declared: raw };
  }
  if (raw === '') return { ok: true, encoding: defaultEncoding, declared: '' };
  return {
    ok: false,
    encoding: defaultEncoding,
    declared: raw,
    reason: `MSH-18 declares the character set '${raw}', which this listener does not support`,
  };
}

export type Decoded =
  | { ok: true; text: string; encoding: string }
  /** `text` is a lossy decoding, good only for reading MSH to address the error ACK */
  | { ok: false; text: string; encoding: string; reason: string; msh18Declared: boolean };

/** Decodes `bytes` in `encoding`, or reports that they are not valid in it (never replaces). */
function decodeStrict(bytes: Buffer, encoding: string): string | undefined {
  const text = iconv.decode(bytes, encoding, { stripBOM: false });
  // iconv-lite replaces invalid bytes with U+FFFD or '?'; the round trip shows whether it had to
  return iconv.encode(text, encoding).equals(bytes) ? text : undefined;
}

/**
 * Decodes a complete frame's payload: BOM stripped, charset from chooseCharset, every byte valid
 * in it. A message whose MSH-18 says ASCII but which carries bytes >= 0x80 is decoded with the
 * listener's default instead (when valid in it): ASCII is what many HIS interfaces put in MSH-18
 * without looking, the integration team set the default for this feed because of that, and the
 * anchored record is the bytes themselves, so the decoded text only routes and addresses the ACK.
 * Any other declared charset the bytes violate is an error naming it: there the declaration is
 * specific and wrong, and guessing would route on misread text.
 */
export function decodePayload(payload: Uint8Array, defaultEncoding: string): Decoded {
  const body = stripBom(payload);
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.length);
  const choice = chooseCharset(body, defaultEncoding);
  const lossy = (encoding: string) => iconv.decode(bytes, encoding, { stripBOM: false });
  if (!choice.ok)
    return {
      ok: false,
      text: lossy(choice.encoding),
      encoding: choice.encoding,
      reason: choice.reason,
      msh18Declared: true,
    };
  const text = decodeStrict(bytes, choice.encoding);
  if (text !== undefined) return { ok: true, text, encoding: choice.encoding };
  if (choice.encoding === 'ascii' && defaultEncoding !== 'ascii') {
    const fallback = decodeStrict(bytes, defaultEncoding);
    if (fallback !== undefined) return { ok: true, text: fallback, encoding: defaultEncoding };
    return {
      ok: false,
      text: lossy(defaultEncoding),
      encoding: defaultEncoding,
      reason: `the message has bytes that are neither ASCII (MSH-18) nor ${defaultEncoding} (this listener's default character set)`,
      msh18Declared: true,
    };
  }
  const source = choice.declared ? `MSH-18 '${choice.declared}'` : "this listener's default character set";
  return {
    ok: false,
    text: lossy(choice.encoding),
    encoding: choice.encoding,
    reason: `the message has bytes that are not valid ${choice.encoding} (${source})`,
    msh18Declared: choice.declared !== '',
  };
}

/** The ACK's bytes, in the charset its message was decoded with. */
export function encodeText(text: string, encoding: string): Buffer {
  return iconv.encode(text, encoding);
}

/**
 * HL7 table 0211 names, and the names real feeds put in MSH-18 instead, mapped to iconv-lite
 * encodings. Keys are upper-case with spaces, dashes and underscores kept as sent.
 */
const MSH18_NAMES: Record<string, string> = {
  ASCII: 'ascii',
  'US-ASCII': 'ascii',
  'UNICODE UTF-8': 'utf-8',
  // table 0211's bare UNICODE meant UCS-2, which MLLP cannot frame (its VT/FS bytes collide with
  // UCS-2 text); in a framed message it is UTF-8 in practice
  UNICODE: 'utf-8',
  'UTF-8': 'utf-8',
  UTF8: 'utf-8',
  'GB 18030-2000': 'gb18030',
  GB18030: 'gb18030',
  'GB-18030': 'gb18030',
  // GB 18030 is a superset of GBK and GB 2312 (WHATWG decodes both with the GB 18030 decoder)
  GBK: 'gb18030',
  GB2312: 'gb18030',
  'GB 2312': 'gb18030',
  CP936: 'gb18030',
  'WINDOWS-1252': 'windows-1252',
  CP1252: 'windows-1252',
  'ISO-8859-1': 'iso-8859-1',
  LATIN1: 'iso-8859-1',
  'ISO IR100': 'iso-8859-1',
  'BIG-5': 'big5',
  BIG5: 'big5',
  'KS X 1001': 'euc-kr',
};
/**
 * The encoding label (WHATWG, which iconv-lite and TextDecoder both read) a charset name stands
 * for: an MSH-18 value, a name feeds send instead, or a label itself; undefined for an empty name.
 */
export function charsetLabel(name: string): string | undefined {
  const key = name.trim().toUpperCase();
  if (key === '') return undefined;
  const isoPart = /^8859\/(\d{1,2})$/.exec(key)?.[1];
  return MSH18_NAMES[key] ?? (isoPart ? `iso-8859-${isoPart}` : key.toLowerCase());
}

/**
 * MSH-18's first repetition (the message's own charset; later ones are alternates for escape
 * sequences) in the text of an MSH segment; '' when empty or when the text is not an MSH segment.
 */
export function msh18Of(msh: string): string {
  if (!msh.startsWith('MSH') || msh.length < 8) return '';
  // MSH-1 is the separator itself, so MSH-n is split index n - 1
  return (msh.split(msh.charAt(3))[17] ?? '').split(msh.charAt(5))[0]?.trim() ?? '';
}

/** MSH-18 as written in a message's bytes: MSH is ASCII in every charset HL7 allows (BOM skipped). */
export function declaredCharset(message: Uint8Array): string {
  const start = message[0] === 0xef && message[1] === 0xbb && message[2] === 0xbf ? 3 : 0;
  const head = message.subarray(start, start + 4096);
  const end = head.findIndex((b) => b === 0x0d || b === 0x0a);
  return msh18Of(String.fromCharCode(...head.subarray(0, end < 0 ? head.length : end)));
}

/**
 * A record's text for reading: an HL7 v2 message in the charset its MSH-18 names, anything else
 * (and an HL7 message that names none) as UTF-8. A record is its bytes, signed as received;
 * bytes that do not decode show as U+FFFD here and nowhere else.
 */
export function recordText(record: Uint8Array): string {
  const label = charsetLabel(declaredCharset(record)) ?? 'utf-8';
  try {
    const text = new TextDecoder(label).decode(record);
    return WINDOWS_1252_LABELS.has(label) ? text.replace(/[\u0080-\u009f]/g, windows1252) : text;
  } catch {
    // a name TextDecoder does not know (the listener refuses those; older records may carry one)
    return new TextDecoder('utf-8').decode(record);
  }
}

/** Labels the WHATWG Encoding standard decodes as windows-1252 (ISO-8859-1 and ASCII among them). */
const WINDOWS_1252_LABELS = new Set(['windows-1252', 'iso-8859-1', 'ascii', 'us-ascii', 'latin1', 'cp1252']);

/**
 * Bytes 0x80–0x9F in windows-1252 (€, curly quotes, dashes); five are unassigned and stay as they
 * are. Node 20's TextDecoder reads these labels as ISO-8859-1 and leaves them as C1 controls,
 * where browsers follow the standard; mapping them here makes both show the same text.
 */
const WINDOWS_1252_C1 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const windows1252 = (c1: string): string => WINDOWS_1252_C1.charAt(c1.charCodeAt(0) - 0x80);

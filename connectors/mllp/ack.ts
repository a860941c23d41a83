import { DEFAULT_SEPARATORS, type MshHeader, type Separators } from './msh.js';

/** What a handler (or the transport itself) answers for one frame. */
export interface Acknowledgement {
  /** AA/CA, AE/CE, AR/CR */
  status: 'accept' | 'error' | 'reject';
  /** HL7 table 0357 (0 on accept) */
  hl7ErrorCode: number;
  /** human-readable, into ERR-8 and MSA-3; never message contents (ACKs are logged by senders) */
  reason?: string;
  /** ERR-2 as `SEG^sequence^field…`, with `^` whatever the message's component separator is */
  location?: string;
}

/** HL7 table 0357 (message error condition codes), for ERR-3's text. */
export const HL70357: Readonly<Record<number, string>> = {
  0: 'Message accepted',
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  103: 'Table value not found',
  104: 'Value too long',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  202: 'Unsupported processing id',
  203: 'Unsupported version id',
  204: 'Unknown key identifier',
  205: 'Duplicate key identifier',
  206: 'Application record locked',
  207: 'Application internal error',
};

/** The version an ACK claims when the inbound message declares none (or no MSH at all). */
export const DEFAULT_VERSION = '2.5';
/** MSA-3 is an 80-character ST in v2.3–2.5, the versions whose senders still read it */
const MSA3_MAX = 80;

/**
 * Escapes text of ours for one field of a message with these separators (\F\ \S\ \R\ \E\ \T\, and
 * \P\ for a v2.7 truncation character). Line breaks would end the segment, so they become spaces.
 */
export function escapeHl7(text: string, separators: Separators): string {
  const { field, component, repetition, escape, subcomponent, truncation } = separators;
  const codes = new Map<string, string>([
    [escape, 'E'],
    [field, 'F'],
    [component, 'S'],
    [repetition, 'R'],
    [subcomponent, 'T'],
    ...(truncation ? [[truncation, 'P'] as [string, string]] : []),
  ]);
  let out = '';
  for (const c of text.replace(/\r\n|\r|\n/g, ' ')) {
    const code = codes.get(c);
    out += code ? `${escape}${code}${escape}` : c;
  }
  return out;
}

/** Enhanced acknowledgement mode applies when MSH-15 or MSH-16 is valued (HL7 table 0155). */
export function isEnhancedMode(inbound: MshHeader | undefined): boolean {
  return inbound !== undefined && (inbound.acceptAckType !== '' || inbound.applicationAckType !== '');
}

/** MSA-1: original mode AA/AE/AR; enhanced mode CA/CE/CR (this listener's ACK is the commit ACK). */
export function ackCode(status: Acknowledgement['status'], enhanced: boolean): string {
  const letter = status === 'accept' ? 'A' : status === 'error' ? 'E' : 'R';
  return `${enhanced ? 'C' : 'A'}${letter}`;
}

/** HL7 DTM to the second with the UTC offset: YYYYMMDDHHMMSS+ZZZZ, in the engine's local time. */
export function hl7Timestamp(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const offset = -now.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  return (
    `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}` +
    `${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}` +
    `${sign}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`
  );
}

export interface AckInput {
  /** the inbound MSH; undefined when the payload declares none (garbage, binary, MSH-less) */
  inbound: MshHeader | undefined;
  ack: Acknowledgement;
  now: Date;
  /** the ACK's own MSH-10, unique */
  controlId: string;
}

/**
 * The ACK message as text, segments ending in CR (docs/formats.md § MLLP and acknowledgements).
 * Values copied from the inbound MSH stay as they were on the wire (the ACK uses the same
 * separators); text of ours is escaped.
 */
export function buildAck({ inbound, ack, now, controlId }: AckInput): string {
  const seps = inbound?.separators ?? DEFAULT_SEPARATORS;
  const escaped = (text: string) => escapeHl7(text, seps);
  const trigger = inbound?.triggerEvent ?? '';
  const messageType =
    trigger === ''
      ? 'ACK'
      : (inbound?.messageTypeComponents ?? 0) >= 3
        ? ['ACK', trigger, 'ACK'].join(seps.component)
        : ['ACK', trigger].join(seps.component);
  const msh = [
    'MSH',
    inbound?.encodingCharacters ?? '^~\\&',
    inbound?.receivingApplication ?? '',
    inbound?.receivingFacility ?? '',
    inbound?.sendingApplication ?? '',
    inbound?.sendingFacility ?? '',
    hl7Timestamp(now),
    '',
    messageType,
    controlId,
    inbound?.processingId || 'P',
    inbound?.versionId || DEFAULT_VERSION,
    '',
    '',
    '',
    '',
    '',
    inbound?.characterSet ?? '',
  ];
  const code = ackCode(ack.status, isEnhancedMode(inbound));
  const tableText = HL70357[ack.hl7ErrorCode] ?? '';
  const reason = ack.reason ?? (ack.status === 'accept' ? '' : tableText);
  const msa = ['MSA', code, inbound?.controlId ?? '', escaped(reason.slice(0, MSA3_MAX))];
  const segments = [msh, msa];
  if (ack.status !== 'accept') {
    const location = (ack.location ?? '').split('^').map(escaped).join(seps.component);
    const errorCode = [String(ack.hl7ErrorCode), escaped(tableText), 'HL70357'].join(seps.component);
    segments.push(['ERR', '', location, errorCode, 'E', '', '', '', escaped(reason)]);
  }
  // MSH-1 is the field separator between 'MSH' and MSH-2, so a plain join writes it
  return segments.map((s) => joinTrimmed(s, seps.field)).join('\r') + '\r';
}

/** Joins fields, leaving out trailing empty ones (MSH-18 is usually empty). */
function joinTrimmed(fields: string[], separator: string): string {
  let end = fields.length;
  while (end > 1 && fields[end - 1] === '') end--;
  return fields.slice(0, end).join(separator);
}

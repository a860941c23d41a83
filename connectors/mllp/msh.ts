/** The delimiters a message declares in MSH-1 and MSH-2. */
export interface Separators {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  /** v2.7+: the optional fifth MSH-2 character */
  truncation?: string;
}

export const DEFAULT_SEPARATORS: Separators = {
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
};

/**
 * What the transport reads from MSH for the acknowledgement and what a handler needs to route.
 * Values are as on the wire: still escaped, composites joined with the message's own separators
 * (so they can be copied into the ACK, which uses the same separators).
 */
export interface MshHeader {
  separators: Separators;
  /** MSH-2 verbatim */
  encodingCharacters: string;
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** MSH-9 verbatim, and its components: type, trigger event, structure */
  messageType: string;
  messageCode: string;
  triggerEvent: string;
  messageStructure: string;
  /** how many components MSH-9 has (the ACK mirrors 2 vs 3) */
  messageTypeComponents: number;
  controlId: string;
  processingId: string;
  versionId: string;
  acceptAckType: string;
  applicationAckType: string;
  /** MSH-18 verbatim, repetitions included */
  characterSet: string;
}

export type MshResult =
  | { ok: true; header: MshHeader }
  /** `location` is an ERR-2 location, '^'-separated */
  | { ok: false; reason: string; location: string };

/** Parses the MSH segment at the start of a decoded (BOM-free) message; CR, LF or CRLF end it. */
export function parseMsh(text: string): MshResult {
  const end = text.search(/[\r\n]/);
  const msh = end < 0 ? text : text.slice(0, end);
  if (!msh.startsWith('MSH'))
    return { ok: false, reason: 'the message does not start with an MSH segment', location: 'MSH^1' };
  const field = msh.charAt(3);
  const encodingCharacters = msh.slice(4).split(field)[0] ?? '';
  const [component = '', repetition = '', escape = '', subcomponent = '', truncation] = encodingCharacters;
  const declared = [field, ...Array.from(encodingCharacters)];
  if (
    encodingCharacters.length < 4 ||
    encodingCharacters.length > 5 ||
    new Set(declared).size !== declared.length ||
    declared.some((c) => /[\sA-Za-z0-9]/.test(c) || c.charCodeAt(0) >= 0x80)
  )
    return {
      ok: false,
      reason: 'MSH-1 and MSH-2 must declare distinct field, component, repetition, escape and subcomponent separators',
      location: 'MSH^1^2',
    };
  // MSH-1 is the field separator itself, so MSH-n is split index n - 1
  const fields = msh.split(field);
  const at = (n: number) => fields[n - 1] ?? '';
  const messageType = at(9);
  const typeParts = messageType === '' ? [] : messageType.split(component);
  return {
    ok: true,
    header: {
      separators: { field, component, repetition, escape, subcomponent, ...(truncation ? { truncation } : {}) },
      encodingCharacters,
      sendingApplication: at(3),
      sendingFacility: at(4),
      receivingApplication: at(5),
      receivingFacility: at(6),
      messageType,
      messageCode: typeParts[0] ?? '',
      triggerEvent: typeParts[1] ?? '',
      messageStructure: typeParts[2] ?? '',
      messageTypeComponents: typeParts.length,
      controlId: at(10),
      processingId: at(11),
      versionId: at(12),
      acceptAckType: at(15),
      applicationAckType: at(16),
      characterSet: at(18),
    },
  };
}

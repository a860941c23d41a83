/**
 * A decrypted record's content as a person reads it: who the patient is, the results with units
 * and reference ranges, document text, medications. Everything here is plain text (narrative
 * XHTML is reduced to text, HL7 escapes decoded), so a page renders it as text and never as HTML.
 */
export interface RecordView {
  format: 'hl7v2' | 'fhir';
  /** HL7 v2: MSH-9 (e.g. `ORU^R01`); FHIR: the top resource's type (e.g. `Bundle`). */
  kind: string;
  patient?: PatientView;
  results: ResultView[];
  documents: DocumentView[];
  medications: MedicationView[];
  /** Segments or resources this view does not show, with how many of each: listed, not dropped. */
  other: Array<{ name: string; count: number }>;
}

export interface PatientView {
  names: string[];
  identifiers: Array<{ value: string; type?: string; system?: string }>;
  /** As sent, made readable (`1924-10-10`, `1988-08-18 11:26`). */
  birthDate?: string;
  /** HL7 table 0001 / FHIR gender: `M`/`F`/`O`/`U` or `male`/`female`/`other`/`unknown`. */
  sex?: string;
}

export interface ResultView {
  /** The panel (OBR-4, DiagnosticReport.code) the result belongs to. */
  panel?: string;
  name: string;
  code?: string;
  value: string;
  /** An embedded document's media type (HL7 ED, FHIR valueAttachment): its data is not shown here. */
  attachment?: string;
  units?: string;
  referenceRange?: string;
  /** The abnormal flags as sent (HL7 table 0078 / FHIR interpretation: `H`, `LL`, `A`, …). */
  flags: string[];
  /** True when a flag says the value is outside normal (anything but N / normal / empty). */
  abnormal: boolean;
  time?: string;
  /** HL7 OBX-11 / FHIR status (`F` final, `P` preliminary, …). */
  status?: string;
}

export interface DocumentView {
  /** A document (MDM's text, a FHIR narrative or attachment) or a note on a result or panel (NTE). */
  kind: 'document' | 'note';
  /** An attachment's media type when its data is not text (a PDF, an image): that data is not shown. */
  attachment?: string;
  /** The document's type or title; for a note, the result or panel it is on. */
  title?: string;
  text: string;
}

export interface MedicationView {
  name: string;
  code?: string;
  dose?: string;
  route?: string;
  instructions?: string;
  /** HL7: order (RXO), give (RXE) or dispense (RXD); FHIR: request. */
  step: 'order' | 'give' | 'dispense' | 'request';
  time?: string;
}

/** Content that cannot be shown, with what is wrong with it; the message is meant for a person. */
export class RecordContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordContentError';
  }
}

/**
 * Bounds that keep hostile content from costing more than a glance: a record larger than this
 * is refused rather than parsed (a browser tab would stall on it).
 */
export const LIMITS = {
  chars: 4 * 1024 * 1024,
  segments: 20_000,
  jsonDepth: 64,
  resources: 5_000,
  /** Decoded text of one attachment; more is cut and says so. */
  attachmentChars: 256 * 1024,
} as const;

export type ContentFormat = RecordView['format'];

/** HL7 table 0078 and FHIR's v3 ObservationInterpretation: the codes that mean "normal". */
const NORMAL_FLAGS = new Set(['', 'N', 'NORMAL', 'NEG', 'NR']);
export const isAbnormal = (flags: readonly string[]): boolean =>
  flags.some((flag) => !NORMAL_FLAGS.has(flag.trim().toUpperCase()));

/** Counts names in order of first appearance. */
export function tally(names: Iterable<string>): RecordView['other'] {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, count]) => ({ name, count }));
}

/** A person's name for display: "Family, Given Middle"; CJK names as written, family name first. */
export function formatName(family: string, given: readonly string[]): string {
  const givenNames = given.filter(Boolean).join(' ');
  if (/[\u3400-\u9fff]/.test(family + givenNames)) return family + givenNames;
  return [family, givenNames].filter(Boolean).join(', ');
}

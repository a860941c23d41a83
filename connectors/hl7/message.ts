/**
 * An HL7 v2 message read for routing: segments, fields, repetitions, components and
 * sub-components, split with the separators the message declares in MSH-1/MSH-2 and decoded
 * (escape sequences) only after splitting, leaf by leaf. It never re-serialises: the anchored
 * record is the bytes received, and this reading only decides where they go and what the
 * acknowledgement says.
 *
 * Why not the `hl7-standard` package the first design named: 1.0.4 hard-codes `|` and `^` (a
 * message declaring `MSH#*~\&` yields nothing), swaps the roles of `~` and `&` (PID-3 with a
 * sub-componented CX.4 comes back as a "repetition"), returns escapes raw (`A\T\B`) and throws on
 * a byte-order mark. Routing on a patient identifier cannot afford any of these.
 */

export class Hl7FormatError extends Error {
  constructor(
    message: string,
    /** ERR-2 style location of what is wrong, e.g. `PID^1^3`. */
    readonly location?: string,
  ) {
    super(message);
    this.name = 'Hl7FormatError';
  }
}

export interface Hl7Separators {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
}

/** Where a value sits: field number (MSH-1 is the field separator itself), then 0-based repetition, 1-based component and sub-component. */
export interface Hl7Position {
  repetition?: number;
  component?: number;
  subcomponent?: number;
}

export class Hl7Segment {
  constructor(
    readonly name: string,
    /** Raw field texts, index n = field n (index 0 is the segment name; for MSH index 1 is MSH-1). */
    private readonly fields: readonly string[],
    private readonly separators: Hl7Separators,
    /** 1-based position of this segment among those with its name, for error locations. */
    readonly sequence: number,
  ) {}

  /** The raw text of field n, separators and escapes untouched ('' when absent). */
  raw(n: number): string {
    return this.fields[n] ?? '';
  }

  /** The raw text of each repetition of field n (none when the field is empty). */
  repetitions(n: number): string[] {
    const raw = this.raw(n);
    if (raw === '') return [];
    // MSH-2 declares the separators: it is a value, not a list
    return this.name === 'MSH' && n <= 2 ? [raw] : raw.split(this.separators.repetition);
  }

  /** One leaf value, escapes decoded: `value(3, { component: 4 })` is PID-3.4 of the first repetition. */
  value(n: number, at: Hl7Position = {}): string {
    const repetition = this.repetitions(n)[at.repetition ?? 0] ?? '';
    if (this.name === 'MSH' && n <= 2) return repetition;
    const component = repetition.split(this.separators.component)[(at.component ?? 1) - 1] ?? '';
    const subcomponent = component.split(this.separators.subcomponent)[(at.subcomponent ?? 1) - 1] ?? '';
    return decodeEscapes(subcomponent, this.separators);
  }

  /** A component with its sub-components decoded and joined by `&`, the canonical HL7 rendering. */
  component(n: number, component: number, repetition = 0): string {
    const text = (this.repetitions(n)[repetition] ?? '').split(this.separators.component)[component - 1] ?? '';
    return text
      .split(this.separators.subcomponent)
      .map((part) => decodeEscapes(part, this.separators))
      .join('&');
  }

  location(field: number, component?: number): string {
    return [this.name, this.sequence, field, ...(component === undefined ? [] : [1, component])].join('^');
  }
}

export class Hl7Message {
  private constructor(
    readonly separators: Hl7Separators,
    readonly segments: readonly Hl7Segment[],
  ) {}

  /**
   * Splits a decoded message (CR, LF or CRLF between segments; a leading byte-order mark is not
   * part of MSH). Throws {@link Hl7FormatError} naming what is missing.
   */
  static parse(text: string): Hl7Message {
    const lines = text
      .replace(/^\uFEFF/, '')
      .split(/\r\n|\r|\n/)
      .filter((line) => line.length > 0);
    const msh = lines[0];
    if (!msh?.startsWith('MSH')) throw new Hl7FormatError('the message does not start with an MSH segment');
    const field = msh.charAt(3);
    const declared = msh.slice(4, msh.indexOf(field, 4) < 0 ? undefined : msh.indexOf(field, 4));
    const [component, repetition, escape, subcomponent] = declared.split('');
    if (!field || !component || !repetition || !escape || !subcomponent)
      throw new Hl7FormatError(
        'MSH-2 must declare the component, repetition, escape and sub-component separators (e.g. ^~\\&)',
        'MSH^1^2',
      );
    const separators = { field, component, repetition, escape, subcomponent };
    if (new Set([field, component, repetition, escape, subcomponent]).size !== 5 || /[A-Za-z0-9\s]/.test(field))
      throw new Hl7FormatError('MSH-1 and MSH-2 must declare five distinct separators', 'MSH^1^1');
    const seen = new Map<string, number>();
    const segments = lines.map((line, index) => {
      const name = line.slice(0, 3);
      if (!/^[A-Z][A-Z0-9]{2}$/.test(name) || (line.length > 3 && line.charAt(3) !== field))
        throw new Hl7FormatError(`segment ${index + 1} does not start with a segment name and a field separator`);
      const sequence = (seen.get(name) ?? 0) + 1;
      seen.set(name, sequence);
      // MSH-1 is the field separator itself, so MSH's field n sits at split index n - 1
      const parts = line.split(field);
      const fields = name === 'MSH' ? ['MSH', field, ...parts.slice(1)] : parts;
      return new Hl7Segment(name, fields, separators, sequence);
    });
    return new Hl7Message(separators, segments);
  }

  get msh(): Hl7Segment {
    return this.segments[0] as Hl7Segment;
  }

  segment(name: string): Hl7Segment | undefined {
    return this.segments.find((s) => s.name === name);
  }
}

/**
 * HL7 escape sequences in one leaf value: \F\ \S\ \T\ \R\ \E\ stand for the separators, \Xhh…\ for
 * bytes (read as Latin-1 code points: the message's charset was applied before parsing),
 * \.br\ for a line break; formatting (\H\ \N\ and other \.xx\) and charset switches (\Cxxyy\
 * \Mxxyyzz\) carry no text and are dropped. An unknown or unterminated sequence stays as written,
 * so no odd feed loses text.
 */
export function decodeEscapes(value: string, separators: Hl7Separators): string {
  const { escape } = separators;
  if (!value.includes(escape)) return value;
  let out = '';
  let index = 0;
  while (index < value.length) {
    const start = value.indexOf(escape, index);
    if (start < 0) break;
    const end = value.indexOf(escape, start + 1);
    if (end < 0) break;
    out += value.slice(index, start);
    const sequence = value.slice(start + 1, end);
    const decoded = decodeSequence(sequence, separators);
    out += decoded ?? `${escape}${sequence}${escape}`;
    index = end + 1;
  }
  return out + value.slice(index);
}

function decodeSequence(sequence: string, separators: Hl7Separators): string | undefined {
  switch (sequence) {
    case 'F':
      return separators.field;
    case 'S':
      return separators.component;
    case 'T':
      return separators.subcomponent;
    case 'R':
      return separators.repetition;
    case 'E':
      return separators.escape;
    case 'H':
    case 'N':
      return '';
    case '.br':
      return '\n';
  }
  if (/^X([0-9A-Fa-f]{2})+$/.test(sequence))
    return String.fromCharCode(...(sequence.slice(1).match(/../g) ?? []).map((hex) => parseInt(hex, 16)));
  if (/^(C[0-9A-Fa-f]{4}|M[0-9A-Fa-f]{6}|\.[a-z]{2}[-+]?\d*)$/.test(sequence)) return '';
  return undefined;
}

import {
  formatName,
  isAbnormal,
  LIMITS,
  RecordContentError,
  tally,
  type DocumentView,
  type MedicationView,
  type PatientView,
  type ResultView,
  type RecordView,
} from './content-model.js';

/** A message's separators, from MSH-1 and MSH-2 (HL7 v2 § 2.5.4). */
interface Delimiters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
}

/** One segment's fields, indexed so that `fields[n]` is field n for every segment, MSH included. */
type Segment = readonly string[];

/** The segments this view shows; every other one is listed in `other`. */
const SHOWN = new Set(['MSH', 'PID', 'OBR', 'OBX', 'NTE', 'TXA', 'RXO', 'RXE', 'RXD', 'RXR']);
/** Value types whose OBX-5 is running text (a document's lines in MDM). */
const TEXT_TYPES = new Set(['TX', 'FT', 'ST']);
const CODED_TYPES = new Set(['CWE', 'CE', 'CNE', 'CF']);
const TIME_TYPES = new Set(['DT', 'DTM', 'TS']);

/** The readable view of an HL7 v2 message's text (segments separated by CR, LF or CRLF). */
export function hl7View(text: string): RecordView {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .filter((line) => line.trim() !== '');
  if (lines.length > LIMITS.segments)
    throw new RecordContentError(
      `the HL7 message has ${lines.length} segments, more than the ${LIMITS.segments} this view reads`,
    );
  const msh = lines[0] ?? '';
  const field = msh.charAt(3);
  if (!msh.startsWith('MSH') || field === '' || /[\w\s]/.test(field))
    throw new RecordContentError('the HL7 message does not start with an MSH segment and its field separator');
  const encoding = msh.slice(4).split(field)[0] ?? '';
  const d: Delimiters = {
    field,
    component: encoding.charAt(0) || '^',
    repetition: encoding.charAt(1) || '~',
    escape: encoding.charAt(2) || '\\',
    subcomponent: encoding.charAt(3) || '&',
  };
  const v = values(d);
  const segments: Segment[] = lines.map((line) => {
    const parts = line.split(field);
    // MSH-1 is the separator itself, so MSH's split is one short of the field numbers
    return parts[0] === 'MSH' ? ['MSH', field, ...parts.slice(1)] : parts;
  });
  const [mshFields] = segments;
  const kind = [1, 2]
    .map((c) => v.component(mshFields?.[9], c))
    .filter(Boolean)
    .join('^');
  const isDocument = kind.startsWith('MDM');

  let patient: PatientView | undefined;
  const results: ResultView[] = [];
  const documents: DocumentView[] = [];
  const medications: MedicationView[] = [];
  const documentLines: string[] = [];
  let documentTitle: string | undefined;
  let panel: string | undefined;
  let panelTime: string | undefined;
  /** What an NTE that follows is a note on. */
  let noteSubject: string | undefined;

  for (const segment of segments) {
    const name = segment[0] ?? '';
    const f = (n: number) => segment[n];
    switch (name) {
      case 'PID':
        patient ??= {
          names: v
            .repetitions(f(5))
            .map((rep) => personName(v, rep))
            .filter(Boolean),
          identifiers: v
            .repetitions(f(3))
            .map((rep) => ({
              value: v.component(rep, 1),
              type: v.component(rep, 5) || undefined,
              system: v.component(rep, 4) || undefined,
            }))
            .filter((id) => id.value !== ''),
          birthDate: hl7Time(v.component(f(7), 1)) || undefined,
          sex: v.component(f(8), 1) || undefined,
        };
        break;
      case 'OBR':
        panel = v.text(f(4)) || undefined;
        panelTime = hl7Time(v.component(f(7), 1)) || undefined;
        noteSubject = panel;
        break;
      case 'TXA':
        documentTitle = v.text(f(2)) || undefined;
        break;
      case 'OBX': {
        const type = v.component(f(2), 1).toUpperCase();
        if (isDocument && TEXT_TYPES.has(type)) {
          documentLines.push(...v.repetitions(f(5)).map(v.decode));
          break;
        }
        const result = observation(v, segment, type);
        results.push({ ...result, panel, time: result.time ?? panelTime });
        noteSubject = result.name;
        break;
      }
      case 'NTE': {
        const note = v.repetitions(f(3)).map(v.decode).join('\n');
        if (note !== '') documents.push({ kind: 'note', title: noteSubject, text: note });
        break;
      }
      case 'RXO':
        medications.push(medication(v, 'order', f(1), [f(2), f(3)], f(4), f(7)));
        break;
      case 'RXE':
        medications.push(medication(v, 'give', f(2), [f(3), f(4)], f(5), f(7)));
        break;
      case 'RXD':
        medications.push({
          ...medication(v, 'dispense', f(2), [f(4)], f(5), undefined),
          time: hl7Time(v.component(f(3), 1)) || undefined,
        });
        break;
      case 'RXR': {
        const last = medications.at(-1);
        if (last && last.route === undefined) last.route = v.text(f(1)) || undefined;
        break;
      }
    }
  }
  if (documentLines.length > 0)
    documents.unshift({ kind: 'document', title: documentTitle, text: documentLines.join('\n') });
  return {
    format: 'hl7v2',
    kind,
    patient,
    results,
    documents,
    medications,
    other: tally(segments.map((segment) => displayName(segment[0] ?? '')).filter((name) => !SHOWN.has(name))),
  };
}

function observation(v: Values, segment: Segment, type: string): ResultView {
  const f = (n: number) => segment[n];
  const reps = v.repetitions(f(5));
  let value: string;
  let attachment: string | undefined;
  if (CODED_TYPES.has(type)) value = reps.map((rep) => v.text(rep)).join(', ');
  else if (type === 'SN')
    // structured numeric: comparator, number, separator or suffix, number (`<^5`, `^1^:^128`)
    value = reps.map((rep) => [1, 2, 3, 4].map((c) => v.component(rep, c)).join('')).join(', ');
  else if (type === 'ED') {
    value = '';
    attachment =
      [2, 3]
        .map((c) => v.component(reps[0], c))
        .filter(Boolean)
        .join('/') || 'data';
  } else if (TIME_TYPES.has(type)) value = reps.map((rep) => hl7Time(v.component(rep, 1))).join(', ');
  else if (type === 'RP') value = reps.map((rep) => v.component(rep, 1)).join(', ');
  else value = reps.map(v.decode).join(TEXT_TYPES.has(type) ? '\n' : ', ');
  const flags = v
    .repetitions(f(8))
    .map((rep) => v.component(rep, 1))
    .filter(Boolean);
  return {
    name: v.text(f(3)),
    code: v.component(f(3), 1) || undefined,
    value,
    attachment,
    units: v.component(f(6), 1) || v.component(f(6), 2) || undefined,
    referenceRange: v.decode(v.repetitions(f(7))[0] ?? '') || undefined,
    flags,
    abnormal: isAbnormal(flags),
    status: v.component(f(11), 1) || undefined,
    time: hl7Time(v.component(f(14), 1)) || undefined,
  };
}

function medication(
  v: Values,
  step: MedicationView['step'],
  code: string | undefined,
  amounts: Array<string | undefined>,
  units: string | undefined,
  instructions: string | undefined,
): MedicationView {
  const amount = amounts
    .map((a) => v.component(a, 1))
    .filter(Boolean)
    .join('–');
  const unit = v.text(units);
  return {
    step,
    name: v.text(code),
    code: v.component(code, 1) || undefined,
    dose: amount ? [amount, unit].filter(Boolean).join(' ') : undefined,
    instructions:
      v
        .repetitions(instructions)
        .map((rep) => v.text(rep))
        .filter(Boolean)
        .join('\n') || undefined,
  };
}

/** XPN: family name (its first subcomponent: the surname), given name, middle names. */
const personName = (v: Values, rep: string): string =>
  formatName(
    v.component(rep, 1),
    [2, 3].map((c) => v.component(rep, c)),
  );

/** A segment name as listed: odd ones (not three capitals/digits) shortened, never a whole line. */
const displayName = (name: string): string => (/^[A-Z][A-Z0-9]{2}$/.test(name) ? name : `${name.slice(0, 8)}…`);

/**
 * An HL7 time (DTM: `YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]`) made readable; anything else as sent.
 */
export function hl7Time(value: string): string {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?$/.exec(value.trim());
  if (!m) return value.trim();
  const [, y, mo, d, h, mi, s, zone] = m;
  const date = [y, mo, d].filter(Boolean).join('-');
  const time = h ? [h, mi ?? '00', s].filter(Boolean).join(':') : '';
  const offset = zone ? `${zone.slice(0, 3)}:${zone.slice(3)}` : '';
  return [date, time, offset].filter(Boolean).join(' ');
}

type Values = ReturnType<typeof values>;

/** Reading a field's pieces with this message's separators, escapes decoded in the leaves. */
function values(d: Delimiters) {
  const escape = d.escape.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  const sequence = new RegExp(`${escape}([^${escape}\\r\\n]{1,64})${escape}`, 'g');
  /** HL7 v2 § 2.7: separators, highlighting, formatting commands (FT), hex data. */
  const decode = (text: string): string =>
    text.includes(d.escape)
      ? text.replace(sequence, (whole, code: string) => {
          switch (code) {
            case 'F':
              return d.field;
            case 'S':
              return d.component;
            case 'T':
              return d.subcomponent;
            case 'R':
              return d.repetition;
            case 'E':
              return d.escape;
            case 'H':
            case 'N':
              return '';
            case '.br':
              return '\n';
          }
          if (/^\.(sp|ce)\b/.test(code)) return '\n';
          if (/^\.(fi|nf|in|ti|sk)\b/.test(code) || /^[CM][0-9A-F]+$/i.test(code)) return '';
          const hex = /^X((?:[0-9A-Fa-f]{2})+)$/.exec(code)?.[1];
          if (hex) return String.fromCharCode(...(hex.match(/../g) ?? []).map((byte) => parseInt(byte, 16)));
          return whole;
        })
      : text;
  const repetitions = (raw: string | undefined): string[] =>
    raw === undefined || raw === '' ? [] : raw.split(d.repetition);
  /** Component `c` (1-based) of the first repetition, its first subcomponent, decoded. */
  const component = (raw: string | undefined, c: number): string =>
    decode(((raw ?? '').split(d.repetition)[0] ?? '').split(d.component)[c - 1]?.split(d.subcomponent)[0] ?? '');
  /** A coded element as a person reads it: its text, else its original text, else its code. */
  const text = (raw: string | undefined): string => component(raw, 2) || component(raw, 9) || component(raw, 1);
  return { decode, repetitions, component, text };
}

import {
  formatName,
  isAbnormal,
  LIMITS,
  RecordContentError,
  tally,
  type DocumentView,
  type MedicationView,
  type PatientView,
  type RecordView,
  type ResultView,
} from './content-model.js';
import { narrativeText } from './narrative.js';

type Json = Record<string, unknown>;

/** The resource types this view shows; every other one is listed in `other`. */
const SHOWN = new Set([
  'Patient',
  'Observation',
  'DiagnosticReport',
  'DocumentReference',
  'Composition',
  'MedicationRequest',
]);

/** The readable view of FHIR JSON: one resource, or a Bundle of them. */
export function fhirView(text: string): RecordView {
  checkDepth(text);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    throw new RecordContentError(`the FHIR content is not JSON: ${(error as Error).message}`);
  }
  const top = obj(root);
  const kind = str(top?.resourceType);
  if (top === undefined || kind === undefined)
    throw new RecordContentError('the FHIR content is not a resource: it has no resourceType');
  const resources = kind === 'Bundle' ? objects(arr(top.entry).map((entry) => obj(entry)?.resource)) : [top];
  if (resources.length > LIMITS.resources)
    throw new RecordContentError(
      `the FHIR Bundle has ${resources.length} resources, more than the ${LIMITS.resources} this view reads`,
    );

  // a report names the panel its results belong to
  const panels = new Map<string, string>();
  for (const report of resources.filter((r) => r.resourceType === 'DiagnosticReport'))
    for (const result of arr(report.result)) {
      const reference = str(obj(result)?.reference);
      if (reference) panels.set(reference.split('/').slice(-2).join('/'), codeableText(report.code));
    }

  let patient: PatientView | undefined;
  const results: ResultView[] = [];
  const documents: DocumentView[] = [];
  const medications: MedicationView[] = [];
  for (const r of resources) {
    switch (r.resourceType) {
      case 'Patient':
        patient ??= patientOf(r);
        break;
      case 'Observation':
        results.push(...observations(r, panels.get(`Observation/${str(r.id) ?? ''}`)));
        break;
      case 'DiagnosticReport': {
        const title = codeableText(r.code) || undefined;
        const conclusion = str(r.conclusion);
        if (conclusion) documents.push({ kind: 'document', title, text: conclusion });
        documents.push(...arr(r.presentedForm).map((form) => attachmentDocument(obj(form), title)));
        break;
      }
      case 'DocumentReference': {
        const title = str(r.description) ?? (codeableText(r.type) || undefined);
        documents.push(...arr(r.content).map((content) => attachmentDocument(obj(obj(content)?.attachment), title)));
        break;
      }
      case 'Composition':
        documents.push({ kind: 'document', title: str(r.title), text: compositionText(r) });
        break;
      case 'MedicationRequest':
        medications.push(medicationRequest(r));
        break;
    }
  }
  return {
    format: 'fhir',
    kind,
    patient,
    results,
    documents,
    medications,
    other: tally([
      ...resources.map((r) => str(r.resourceType) ?? '(no resourceType)').filter((type) => !SHOWN.has(type)),
    ]),
  };
}

function patientOf(r: Json): PatientView {
  return {
    names: arr(r.name)
      .map((name) => {
        const n = obj(name);
        return (
          str(n?.text) ??
          formatName(
            str(n?.family) ?? '',
            arr(n?.given).map((g) => str(g) ?? ''),
          )
        );
      })
      .filter(Boolean),
    identifiers: arr(r.identifier)
      .map((identifier) => {
        const id = obj(identifier);
        return {
          value: str(id?.value) ?? '',
          type: codeableText(id?.type) || undefined,
          system: str(id?.system),
        };
      })
      .filter((id) => id.value !== ''),
    birthDate: str(r.birthDate),
    sex: str(r.gender),
  };
}

/** An Observation and its components (a blood pressure's two numbers) as results. */
function observations(r: Json, panel: string | undefined): ResultView[] {
  const name = codeableText(r.code);
  const time = str(r.effectiveDateTime) ?? str(obj(r.effectivePeriod)?.start) ?? str(r.issued);
  const status = str(r.status);
  const own = hasValue(r) ? [{ ...resultOf(r), name, panel, time, status }] : [];
  const components = objects(r.component).map((c) => ({
    ...resultOf(c),
    name: codeableText(c.code),
    panel: name || panel,
    time,
    status,
  }));
  return [...own, ...components];
}

const hasValue = (r: Json): boolean => Object.keys(r).some((key) => key.startsWith('value'));

/** value[x], the first reference range and the interpretation of an Observation or a component. */
function resultOf(r: Json): Omit<ResultView, 'name'> {
  const quantity = obj(r.valueQuantity);
  const range = obj(arr(r.referenceRange)[0]);
  const flags = objects(r.interpretation).flatMap((i) => {
    const codes = strings(objects(i.coding).map((coding) => coding.code));
    return codes.length > 0 ? codes : strings([i.text]);
  });
  const attachment = obj(r.valueAttachment);
  return {
    code: codeOf(r.code),
    value: quantity
      ? number(quantity.value)
      : (str(r.valueString) ??
        (codeableText(r.valueCodeableConcept) ||
          valueRange(obj(r.valueRange)) ||
          [r.valueBoolean, r.valueInteger, r.valueDateTime, r.valueTime].map(scalar).find(Boolean) ||
          '')),
    attachment: attachment ? (str(attachment.contentType) ?? 'data') : undefined,
    units: quantity ? (str(quantity.unit) ?? str(quantity.code)) : undefined,
    referenceRange: range ? (str(range.text) ?? (valueRange(range) || undefined)) : undefined,
    flags,
    abnormal: isAbnormal(flags),
  };
}

/** A Range (or a reference range's low/high) as `low–high unit`, `≥ low`, `≤ high`. */
function valueRange(range: Json | undefined): string {
  const low = obj(range?.low);
  const high = obj(range?.high);
  const unit = str(low?.unit) ?? str(high?.unit) ?? '';
  const [l, h] = [number(low?.value), number(high?.value)];
  const bounds = l && h ? `${l}–${h}` : l ? `≥ ${l}` : h ? `≤ ${h}` : '';
  return bounds && unit ? `${bounds} ${unit}` : bounds;
}

function medicationRequest(r: Json): MedicationView {
  const medication = obj(r.medication);
  const concept = obj(r.medicationCodeableConcept) ?? obj(medication?.concept);
  const reference = obj(r.medicationReference) ?? obj(medication?.reference);
  const dosages = objects(r.dosageInstruction);
  const [first] = dosages;
  const dose = obj(obj(arr(first?.doseAndRate)[0])?.doseQuantity);
  return {
    step: 'request',
    name: codeableText(concept) || str(reference?.display) || '',
    code: codeOf(concept),
    dose: dose ? [number(dose.value), str(dose.unit) ?? str(dose.code)].filter(Boolean).join(' ') : undefined,
    route: codeableText(first?.route) || undefined,
    instructions: strings(dosages.map((d) => d.text)).join('\n') || undefined,
    time: str(r.authoredOn),
  };
}

/** A Composition's sections (nested ones too, to the depth the JSON allows) under their titles. */
function compositionText(r: Json): string {
  const sections = (list: unknown): string[] =>
    objects(list).flatMap((s) => {
      const body = narrativeText(str(obj(s.text)?.div) ?? '');
      return [[str(s.title), body].filter(Boolean).join('\n'), ...sections(s.section)];
    });
  return [narrativeText(str(obj(r.text)?.div) ?? ''), ...sections(r.section)].filter(Boolean).join('\n\n');
}

/** An Attachment: its text when it is text (HTML reduced to text), else only its media type. */
function attachmentDocument(attachment: Json | undefined, title: string | undefined): DocumentView {
  const type = (str(attachment?.contentType) ?? 'text/plain').toLowerCase();
  const data = str(attachment?.data);
  const documentTitle = title ?? str(attachment?.title);
  if (!type.startsWith('text/') || data === undefined)
    return { kind: 'document', title: documentTitle, text: '', attachment: type };
  // base64 holds 3 bytes in 4 characters: decode only what the view shows
  const shown = data.slice(0, Math.ceil(LIMITS.attachmentChars / 3) * 4);
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(shown), (char) => char.charCodeAt(0));
  } catch {
    throw new RecordContentError(`the attachment${documentTitle ? ` "${documentTitle}"` : ''} is not valid base64`);
  }
  const decoded = new TextDecoder('utf-8').decode(bytes);
  const text = type.includes('html') ? narrativeText(decoded) : decoded;
  return { kind: 'document', title: documentTitle, text: shown.length < data.length ? `${text}…` : text };
}

function codeableText(value: unknown): string {
  const concept = obj(value);
  const coding = obj(arr(concept?.coding)[0]);
  return str(concept?.text) ?? str(coding?.display) ?? str(coding?.code) ?? '';
}

const codeOf = (value: unknown): string | undefined => str(obj(arr(obj(value)?.coding)[0])?.code);

const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
/** The objects among a list's items (or among a JSON array's, given one), skipping anything else. */
const objects = (list: unknown): Json[] =>
  arr(list)
    .map(obj)
    .filter((item) => item !== undefined);
const strings = (list: unknown[]): string[] => list.flatMap((item) => str(item) ?? []);
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const number = (value: unknown): string => (typeof value === 'number' ? String(value) : (str(value) ?? ''));
const scalar = (value: unknown): string =>
  typeof value === 'boolean' || typeof value === 'number' ? String(value) : (str(value) ?? '');

/**
 * JSON nested deeper than LIMITS.jsonDepth is refused before it is parsed: the walk over it (and
 * a Composition's sections) recurses, and no FHIR resource needs more.
 */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i++;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      if (++depth > LIMITS.jsonDepth)
        throw new RecordContentError(`the FHIR content is nested more than ${LIMITS.jsonDepth} levels deep`);
    } else if (char === 0x7d || char === 0x5d) depth--;
  }
}

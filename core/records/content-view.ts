import { hl7View } from './hl7-view.js';
import { fhirView } from './fhir-view.js';
import { LIMITS, RecordContentError, type ContentFormat, type RecordView } from './content-model.js';

export * from './content-model.js';

/**
 * The format a content type names; '' and unknown types fall back to the text itself (an HL7 v2
 * message starts with MSH, FHIR JSON with `{`), since records today carry no type of their own.
 */
export function formatOf(contentType: string, text: string): ContentFormat | undefined {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (/hl7-?v2|x-hl7|^text\/hl7/.test(type)) return 'hl7v2';
  if (type.includes('fhir') || type === 'application/json') return 'fhir';
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('MSH')) return 'hl7v2';
  if (head.startsWith('{')) return 'fhir';
  return undefined;
}

/**
 * The readable view of a record's text (core/hl7/charset-names.ts `recordText` of its bytes).
 * Throws RecordContentError, and only that, naming what is wrong.
 */
export function recordView(text: string, contentType = ''): RecordView {
  if (text.length > LIMITS.chars)
    throw new RecordContentError(
      `the record is ${text.length} characters long, more than the ${LIMITS.chars} this view reads`,
    );
  const format = formatOf(contentType, text);
  if (format === undefined)
    throw new RecordContentError(
      `the record is neither HL7 v2 (it does not start with MSH) nor FHIR JSON (it does not start with "{")` +
        (contentType ? `, and its content type ${JSON.stringify(contentType.slice(0, 80))} is not one of those` : ''),
    );
  try {
    return format === 'hl7v2' ? hl7View(text) : fhirView(text);
  } catch (error) {
    if (error instanceof RecordContentError) throw error;
    // a bug here must not show a stack to a patient: name the content, keep the cause's message
    throw new RecordContentError(
      `the ${format === 'hl7v2' ? 'HL7 v2' : 'FHIR'} content could not be read: ${(error as Error).message}`,
    );
  }
}

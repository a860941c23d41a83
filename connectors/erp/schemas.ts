import { z } from 'zod';
import { normalizeTraceCode } from '../../core/crypto/index.js';
import { Role } from '../../core/roles.js';
import type { TraceItem } from '../../core/trace/staged-items.js';
import type { TraceEventKind } from '../../workflows/trace-event.js';

/**
 * The ERP API's request and response bodies: one set of zod schemas validates requests at the
 * edge and generates the OpenAPI document (./openapi.ts). Every message a schema gives is ours and
 * names what is expected, never what was received: trace codes are secrets.
 */

/** Items one event takes: 100 proofs of 1,024, proven one after another. */
export const MAX_EVENT_ITEMS = 100_000;
/** A patient's boxes at one counter. */
export const MAX_DISPENSE_ITEMS = 1000;
/**
 * 100,000 items with codes and serials take ~8 MB of JSON; twice that leaves room for formatting
 * and stops a runaway upload well before it costs the engine.
 */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** The ERP's own event id: URL- and id-safe, so the event id can carry it, and without '#' (part ids use it). */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._~-]{1,100}$/;

const text = (max: number, description: string) => z.string().trim().min(1).max(max).meta({ description });

const traceCode = z
  .string()
  .max(64)
  .superRefine((code, context) => {
    try {
      normalizeTraceCode(code);
    } catch (error) {
      // normalizeTraceCode names the position of a bad symbol, never the code
      const detail = (error as Error).message.replace(/^trace code: /, '');
      context.addIssue({ code: 'custom', message: `is not a trace code: ${detail}` });
    }
  })
  .meta({
    description:
      "The package's trace code: 32 Crockford base32 symbols (dashes and spaces ignored). A secret: it is never echoed.",
    example: '7G3K-9QWX-M2PD-4HRT-8VNB-C5ZE-1JYA-6SFE',
  });

const date = z.iso.date().meta({ description: 'A calendar date, YYYY-MM-DD' });
const dateTime = z.iso
  .datetime({ offset: true })
  .meta({ description: 'A time with its offset (RFC 3339), e.g. 2026-12-01T09:30:00+08:00' });

/** GS1 check digit: from the right, weights 3, 1, 3, … over the digits before the last. */
function gs1CheckDigitOk(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 2, weight = 3; i >= 0; i--, weight = 4 - weight) sum += Number(digits[i]) * weight;
  return (10 - (sum % 10)) % 10 === Number(digits.at(-1));
}

const gtin = z
  .string()
  .regex(/^(\d{8}|\d{12,14})$/, { error: 'must be a GTIN of 8, 12, 13 or 14 digits' })
  .refine(gs1CheckDigitOk, { error: 'has a wrong GS1 check digit' })
  .meta({
    description: 'The product’s GTIN (8, 12, 13 or 14 digits, check digit verified)',
    example: '06938574920135',
  });

const nationalDrugCode = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ./-]*$/u, { error: 'must be letters, digits, spaces, ".", "/" or "-"' })
  .meta({
    description: 'The national drug code or approval number (e.g. 国药准字H20065783, NDC 0002-1433-80)',
    example: '国药准字H20065783',
  });

/** Codes must differ within one event: the same package twice in one step is an ERP's mistake. */
function distinctCodes(items: Array<{ code: string }>, context: z.core.$RefinementCtx<Array<{ code: string }>>) {
  const first = new Map<string, number>();
  items.forEach((item, index) => {
    let normalized: string;
    try {
      normalized = normalizeTraceCode(item.code);
    } catch {
      return; // reported on the item itself
    }
    const earlier = first.get(normalized);
    if (earlier === undefined) first.set(normalized, index);
    else
      context.addIssue({
        code: 'custom',
        path: [index, 'code'],
        message: `is the same trace code as items[${String(earlier)}].code`,
      });
  });
}

const itemsOf = <T extends z.ZodType<{ code: string }>>(item: T, max: number) =>
  z.array(item).min(1).max(max).superRefine(distinctCodes);

export const batchRequest = z
  .strictObject({
    product: text(200, 'The product’s name as on the pack'),
    gtin: gtin.optional(),
    nationalDrugCode: nationalDrugCode.optional(),
    lot: text(20, 'The lot (batch) number, as GS1 AI (10): at most 20 characters'),
    manufacturedOn: date,
    expiresOn: date,
    items: itemsOf(
      z
        .strictObject({
          code: traceCode,
          serial: text(20, 'The pack’s serial number, as GS1 AI (21)').optional(),
        })
        .meta({ id: 'BatchItem' }),
      MAX_EVENT_ITEMS,
    ).meta({ description: `Every package of the batch, at most ${MAX_EVENT_ITEMS.toLocaleString('en')}` }),
  })
  .superRefine((batch, context) => {
    if (batch.gtin === undefined && batch.nationalDrugCode === undefined)
      context.addIssue({ code: 'custom', path: ['gtin'], message: 'a gtin or a nationalDrugCode is required' });
    if (batch.expiresOn <= batch.manufacturedOn)
      context.addIssue({ code: 'custom', path: ['expiresOn'], message: 'must be after manufacturedOn' });
  })
  .meta({ id: 'BatchRequest', description: 'A production batch: its packages are produced' });

const codeItem = z.strictObject({ code: traceCode }).meta({ id: 'Item' });

export const shipmentRequest = z
  .strictObject({
    items: itemsOf(codeItem, MAX_EVENT_ITEMS).meta({ description: 'The packages shipped' }),
    from: text(200, 'Where the shipment leaves: a party’s name or GLN'),
    to: text(200, 'Where it goes: a party’s name or GLN'),
    carrier: text(200, 'The carrier or service as on the waybill'),
    shippedAt: dateTime,
    arrivedAt: dateTime.optional(),
  })
  .superRefine((shipment, context) => {
    if (shipment.arrivedAt !== undefined && Date.parse(shipment.arrivedAt) < Date.parse(shipment.shippedAt))
      context.addIssue({ code: 'custom', path: ['arrivedAt'], message: 'must not be before shippedAt' });
  })
  .meta({ id: 'ShipmentRequest', description: 'A shipment of packages from one party to another' });

export const dispenseRequest = z
  .strictObject({
    items: itemsOf(codeItem, MAX_DISPENSE_ITEMS).meta({ description: 'The packages handed over' }),
    dispensedAt: dateTime,
    pharmacyRef: text(64, 'The pharmacy’s own reference for the dispensing; no patient data'),
  })
  .meta({ id: 'DispenseRequest', description: 'A pharmacy hands packages to a patient' });

export type BatchRequest = z.infer<typeof batchRequest>;
export type ShipmentRequest = z.infer<typeof shipmentRequest>;
export type DispenseRequest = z.infer<typeof dispenseRequest>;

/**
 * Codes one request hands out: a packaging line's shift. Generating and filing 10,000 takes tens of
 * milliseconds, so one request never holds up the others.
 */
export const MAX_CODES_PER_REQUEST = 10_000;
/** Codes an organisation may hold unused: bounds what a runaway client can make the engine file. */
export const MAX_UNUSED_CODES = 1_000_000;

export const codesRequest = z
  .strictObject({
    count: z
      .number()
      .int()
      .min(1)
      .max(MAX_CODES_PER_REQUEST)
      .meta({ description: `How many codes, 1 to ${MAX_CODES_PER_REQUEST.toLocaleString('en')}` }),
  })
  .meta({ id: 'CodesRequest' });

export const codesResponse = z
  .object({
    codes: z.array(z.string()).meta({
      description:
        'Fresh trace codes in printed form (XXXXXXXX-XXXXXXXX-XXXXXXXX-XXXXXXXX), each 160 random bits from the ' +
        'engine’s generator. Shown this once: the engine keeps only their public ids. Print each on one package.',
    }),
  })
  .meta({ id: 'Codes' });

export const acceptedResponse = z
  .object({
    eventId: z.string().meta({ description: 'Opaque; GET /v1/trace/events/{eventId} gives its state' }),
    status: z.literal('queued'),
  })
  .meta({ id: 'Accepted' });

export const errorResponse = z.object({ error: z.string() }).meta({ id: 'Error' });

export const validationErrorResponse = z
  .object({
    error: z.string(),
    problems: z.array(
      z.object({
        path: z.string().meta({ description: 'JSON path of the value, e.g. $.items[3].code' }),
        message: z.string().meta({ description: 'What is expected there (the value is never echoed)' }),
      }),
    ),
    more: z.number().int().optional().meta({ description: 'Problems beyond the ones listed' }),
  })
  .meta({ id: 'ValidationError' });

export const eventStatusResponse = z
  .object({
    eventId: z.string(),
    status: z.enum(['queued', 'proving', 'committed', 'failed']),
    part: z.number().int().optional().meta({ description: 'While proving: the part under way, from 1' }),
    parts: z.number().int().optional().meta({ description: 'Proofs the event takes (1,024 items each)' }),
    transactions: z
      .array(
        z.object({
          part: z.number().int(),
          items: z.number().int(),
          transactionHash: z
            .string()
            .nullable()
            .meta({ description: 'null when a retried push found the part already on chain' }),
        }),
      )
      .optional(),
    reason: z.string().optional().meta({ description: 'Why it failed' }),
  })
  .meta({ id: 'EventStatus' });

export type EventStatus = z.infer<typeof eventStatusResponse>;

/** Who reports each kind of event, and the path it is posted to. */
export const EVENT_KINDS: Record<TraceEventKind, { role: Role; roleWord: string; path: string }> = {
  batch: { role: Role.Manufacturer, roleWord: 'manufacturers', path: '/batches' },
  shipment: { role: Role.Carrier, roleWord: 'carriers', path: '/shipments' },
  dispense: { role: Role.Pharmacy, roleWord: 'pharmacies', path: '/dispenses' },
};

/**
 * Each item's step data (docs/formats.md § ERP step data): the event's fields as JSON, in a fixed
 * order, with `event`, `item` (its position in the event, from 1), `by` (the signer's name) and
 * `at` first, as the demo's steps have them.
 */
export function stepItems(kind: TraceEventKind, body: unknown, by: string): TraceItem[] {
  const each = <I extends { code: string }>(items: I[], data: (item: I, position: number) => object): TraceItem[] =>
    items.map((item, index) => ({ code: item.code, data: JSON.stringify(data(item, index + 1)) }));
  switch (kind) {
    case 'batch': {
      const batch = body as BatchRequest;
      return each(batch.items, (item, position) => ({
        event: 'produced',
        batch: batch.lot,
        item: position,
        by,
        at: batch.manufacturedOn,
        product: batch.product,
        gtin: batch.gtin,
        nationalDrugCode: batch.nationalDrugCode,
        manufacturedOn: batch.manufacturedOn,
        expiresOn: batch.expiresOn,
        serial: item.serial,
      }));
    }
    case 'shipment': {
      const shipment = body as ShipmentRequest;
      return each(shipment.items, (_, position) => ({
        event: 'shipped',
        item: position,
        by,
        at: shipment.shippedAt,
        from: shipment.from,
        to: shipment.to,
        carrier: shipment.carrier,
        arrivedAt: shipment.arrivedAt,
      }));
    }
    case 'dispense': {
      const dispense = body as DispenseRequest;
      return each(dispense.items, (_, position) => ({
        event: 'dispensed',
        item: position,
        by,
        at: dispense.dispensedAt,
        pharmacyRef: dispense.pharmacyRef,
      }));
    }
  }
}

export const requestSchemas: Record<TraceEventKind, z.ZodType> = {
  batch: batchRequest,
  shipment: shipmentRequest,
  dispense: dispenseRequest,
};

/** At most this many problems are listed; the rest are counted. */
export const MAX_PROBLEMS = 1000;

export interface Problems {
  problems: Array<{ path: string; message: string }>;
  more?: number;
}

/** `$.items[3].code` */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${String(key)}]`;
    const name = String(key);
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${out}.${name}` : `${out}[${JSON.stringify(name)}]`;
  }, '$');
}

const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);
const FORMATS: Record<string, string> = {
  date: 'a date (YYYY-MM-DD)',
  datetime: 'a time with its offset (RFC 3339, e.g. 2026-12-01T09:30:00+08:00)',
};

/**
 * Our words for zod's issues, which describe what was expected from the schema alone: the error
 * map is handed the input, and must not use it.
 */
const describeIssue: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${article(issue.expected)}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `must have at least ${String(issue.minimum)} item(s)`
        : issue.origin === 'string' && issue.minimum === 1
          ? 'must not be empty'
          : `must be at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : ''}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `must have at most ${String(issue.maximum)} items`
        : `must be at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : ''}`;
    case 'invalid_format':
      return `must be ${FORMATS[issue.format] ?? `in ${issue.format} format`}`;
    case 'unrecognized_keys':
      return `has ${String(issue.keys.length)} field(s) this endpoint does not take (see /openapi.json)`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    default:
      return 'is not valid here';
  }
};

/** The body, or every problem (up to MAX_PROBLEMS) with its JSON path. */
export function validate<T>(schema: z.ZodType<T>, body: unknown): { ok: true; value: T } | ({ ok: false } & Problems) {
  const result = schema.safeParse(body, { error: describeIssue });
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message }));
  return {
    ok: false,
    problems: problems.slice(0, MAX_PROBLEMS),
    ...(problems.length > MAX_PROBLEMS ? { more: problems.length - MAX_PROBLEMS } : {}),
  };
}

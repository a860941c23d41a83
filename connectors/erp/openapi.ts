import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { TraceEventKind } from '../../workflows/trace-event.js';
import {
  acceptedResponse,
  codesRequest,
  codesResponse,
  errorResponse,
  eventStatusResponse,
  EVENT_KINDS,
  IDEMPOTENCY_KEY_PATTERN,
  MAX_BODY_BYTES,
  requestSchemas,
  validationErrorResponse,
} from './schemas.js';

/** The parts of an OpenAPI 3.1 document the reference page reads. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

interface Operation {
  summary?: string;
  description?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string; schema?: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

interface Schema {
  $ref?: string;
  type?: string | string[];
  description?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
}

const json = (schema: z.ZodType, description: string): ResponseConfig => ({
  description,
  content: { 'application/json': { schema } },
});

const errors = {
  401: json(errorResponse, 'No credential, or one that is not valid or was revoked'),
  503: json(errorResponse, 'The engine cannot take events now; send the same request again later'),
};

/** The API document, generated from the schemas the routes validate with. */
export function openApiDocument(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'organisation', {
    type: 'http',
    scheme: 'bearer',
    description: 'An organisation credential, `yk_<id>.<secret>`, from `yilian org issue`',
  });
  const headers = z.object({
    'Idempotency-Key': z.string().regex(IDEMPOTENCY_KEY_PATTERN).meta({
      description:
        'The ERP’s own id for this event (1–100 of A–Z a–z 0–9 . _ ~ -): the same key and body again is the same event',
    }),
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/trace/codes',
    summary: 'Get fresh trace codes',
    description:
      'For manufacturers’ systems, before packages are printed: a production batch takes only codes issued here to ' +
      'its organisation, each in one batch. A code’s public id is an unsalted hash of it, so a code with less than ' +
      'full entropy (a serial, a counter, a hash of either) could be found from the chain; the engine’s generator ' +
      'makes every code 160 random bits. The codes are in this answer only: keep them for printing.',
    security: [{ organisation: [] }],
    request: { body: { required: true, content: { 'application/json': { schema: codesRequest } } } },
    responses: {
      201: json(codesResponse, 'The codes, sent with Cache-Control: no-store'),
      400: json(errorResponse, 'The body is not JSON'),
      401: errors[401],
      403: json(errorResponse, 'The credential’s organisation is not a manufacturer'),
      415: json(errorResponse, 'The body is not application/json'),
      422: json(validationErrorResponse, 'The count is missing or out of range'),
      429: json(errorResponse, 'The organisation holds too many unused codes already'),
    },
  });
  for (const [kind, { path, roleWord }] of Object.entries(EVENT_KINDS) as Array<
    [TraceEventKind, (typeof EVENT_KINDS)[TraceEventKind]]
  >) {
    registry.registerPath({
      method: 'post',
      path: `/v1/trace${path}`,
      summary: `Report a ${kind}`,
      description:
        `Posted by ${roleWord}' systems. Answered once the event is durably queued; each package gets one trace step, ` +
        'signed by the organisation the credential belongs to, in proofs of at most 1,024 packages.',
      security: [{ organisation: [] }],
      request: {
        headers,
        body: { required: true, content: { 'application/json': { schema: requestSchemas[kind] } } },
      },
      responses: {
        202: json(
          acceptedResponse,
          'Durably queued (or the same request was already): the event will be recorded once',
        ),
        400: json(errorResponse, 'No or a malformed Idempotency-Key, or a body that is not JSON'),
        ...errors,
        403: json(errorResponse, `The credential’s organisation is not one of the ${roleWord}`),
        409: json(errorResponse, 'This Idempotency-Key was already used with a different request; the first stands'),
        413: json(errorResponse, `The body is larger than ${String(MAX_BODY_BYTES)} bytes`),
        415: json(errorResponse, 'The body is not application/json'),
        422: json(
          validationErrorResponse,
          kind === 'batch'
            ? 'The body does not fit the schema, or a code was not issued to this organisation or is in another batch: every problem with its JSON path'
            : 'The body does not fit the schema: every problem with its JSON path',
        ),
      },
    });
  }
  registry.registerPath({
    method: 'get',
    path: '/v1/trace/events/{eventId}',
    summary: 'An event’s state',
    description:
      'Queued, proving (part k of n), committed (the transactions) or failed (why). Only to its organisation.',
    security: [{ organisation: [] }],
    request: { params: z.object({ eventId: z.string().meta({ description: 'As the 202 gave it' }) }) },
    responses: {
      200: json(eventStatusResponse, 'The event’s state'),
      ...errors,
      404: json(errorResponse, 'No such event of this organisation'),
    },
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Yilian ERP API',
      version: '1.0.0',
      description:
        'Drug-trace events from manufacturers’, carriers’ and pharmacies’ systems: each package’s step is encrypted ' +
        'under its trace code, proven with a STARK and appended on the consortium chain.',
    },
  }) as OpenApiDocument;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const refName = (ref: string) => ref.replace('#/components/schemas/', '');

/** A schema's type in a few words: `string (date)`, `array of Item`, `"queued"`. */
function typeOf(schema: Schema | undefined): string {
  if (!schema) return '';
  if (schema.$ref) return refName(schema.$ref);
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return variants.map(typeOf).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'any');
  if (type === 'array') return `array of ${typeOf(schema.items)}`;
  return schema.format ? `${type} (${schema.format})` : type;
}

function constraintsOf(schema: Schema): string {
  const parts: string[] = [];
  if (schema.minLength !== undefined) parts.push(`≥ ${String(schema.minLength)} chars`);
  if (schema.maxLength !== undefined) parts.push(`≤ ${String(schema.maxLength)} chars`);
  if (schema.minItems !== undefined) parts.push(`≥ ${String(schema.minItems)} items`);
  if (schema.maxItems !== undefined) parts.push(`≤ ${String(schema.maxItems)} items`);
  if (schema.pattern !== undefined) parts.push(`pattern ${schema.pattern}`);
  return parts.join(', ');
}

const row = (cells: string[]) => `<tr>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`;
const table = (head: string[], rows: string[]) =>
  rows.length === 0
    ? ''
    : `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;

/** A schema as a table of its fields, or its type when it has none. */
function schemaTable(schema: Schema | undefined): string {
  if (!schema) return '';
  if (schema.$ref) return `<p>${link(refName(schema.$ref))}</p>`;
  if (!schema.properties) return `<p><code>${escapeHtml(typeOf(schema))}</code></p>`;
  const required = new Set(schema.required ?? []);
  return table(
    ['field', 'type', 'required', 'description', 'constraints'],
    Object.entries(schema.properties).map(([name, field]) =>
      row([
        `<code>${escapeHtml(name)}</code>`,
        typeCell(field),
        required.has(name) ? 'yes' : 'no',
        escapeHtml(field.description ?? ''),
        escapeHtml(constraintsOf(field)),
      ]),
    ),
  );
}

const link = (name: string) => `<a href="#schema-${escapeHtml(name)}"><code>${escapeHtml(name)}</code></a>`;

function typeCell(schema: Schema): string {
  const refs = [schema.$ref, schema.items?.$ref].filter((ref): ref is string => ref !== undefined);
  const [ref] = refs;
  const type = escapeHtml(typeOf(schema));
  return ref ? type.replace(escapeHtml(refName(ref)), link(refName(ref))) : `<code>${type}</code>`;
}

const anchorOf = (method: string, path: string) => `${method}-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;

/**
 * The reference page: every path and method with its parameters, request body and responses, and
 * every named schema, as plain server-rendered HTML (no script, nothing fetched from elsewhere).
 * Everything taken from the document is escaped.
 */
export function renderApiReference(document: OpenApiDocument): string {
  const operations = Object.entries(document.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
  const sections = operations.map(({ path, method, operation }) => {
    const parameters = table(
      ['name', 'in', 'type', 'required', 'description'],
      (operation.parameters ?? []).map((parameter) =>
        row([
          `<code>${escapeHtml(parameter.name)}</code>`,
          escapeHtml(parameter.in),
          `<code>${escapeHtml(typeOf(parameter.schema))}</code>`,
          parameter.required ? 'yes' : 'no',
          escapeHtml(parameter.description ?? parameter.schema?.description ?? ''),
        ]),
      ),
    );
    const body = Object.entries(operation.requestBody?.content ?? {})
      .map(([type, media]) => `<h4>Request body (${escapeHtml(type)})</h4>${schemaTable(media.schema)}`)
      .join('');
    const responses = Object.entries(operation.responses ?? {})
      .map(
        ([status, response]) =>
          `<h4>${escapeHtml(status)} ${escapeHtml(response.description ?? '')}</h4>` +
          Object.values(response.content ?? {})
            .map((media) => schemaTable(media.schema))
            .join(''),
      )
      .join('');
    return (
      `<section id="${escapeHtml(anchorOf(method, path))}"><h2><span class="method">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h2>` +
      `<p><strong>${escapeHtml(operation.summary ?? '')}</strong></p><p>${escapeHtml(operation.description ?? '')}</p>` +
      (parameters ? `<h3>Parameters</h3>${parameters}` : '') +
      body +
      `<h3>Responses</h3>${responses}</section>`
    );
  });
  const schemas = Object.entries(document.components?.schemas ?? {}).map(
    ([name, schema]) =>
      `<section id="schema-${escapeHtml(name)}"><h3><code>${escapeHtml(name)}</code></h3><p>${escapeHtml(schema.description ?? '')}</p>${schemaTable(schema)}</section>`,
  );
  const index = operations
    .map(
      ({ path, method }) =>
        `<li><a href="#${escapeHtml(anchorOf(method, path))}">${escapeHtml(method.toUpperCase())} ${escapeHtml(path)}</a></li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(document.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}.method{background:#eee;padding:0 .4rem}</style>
</head><body><h1>${escapeHtml(document.info.title)} ${escapeHtml(document.info.version)}</h1>
<p>${escapeHtml(document.info.description ?? '')}</p><p>OpenAPI ${escapeHtml(document.openapi)} document: <a href="/openapi.json">/openapi.json</a></p>
<ul>${index}</ul>${sections.join('')}<h2>Schemas</h2>${schemas.join('')}</body></html>
`;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { openApiDocument, renderApiReference, type OpenApiDocument } from './openapi.js';
import { apiDocumentRoutes } from './routes.js';
import { createHttpApp } from '../http/app.js';
import { serve } from '../http/test-helpers.js';

test('the OpenAPI document generated from the zod schemas is valid OpenAPI 3.1', async () => {
  const document = openApiDocument();
  const validator = new Validator();
  const result = await validator.validate(document as unknown as Parameters<Validator['validate']>[0]);
  assert.deepEqual(result, { valid: true });
  assert.equal(validator.version, '3.1');
  assert.deepEqual(Object.keys(document.paths ?? {}).sort(), [
    '/v1/trace/batches',
    '/v1/trace/codes',
    '/v1/trace/dispenses',
    '/v1/trace/events/{eventId}',
    '/v1/trace/shipments',
  ]);
  const schemas = document.components?.schemas ?? {};
  assert.deepEqual(schemas.BatchRequest?.required?.sort(), ['expiresOn', 'items', 'lot', 'manufacturedOn', 'product']);
});

test('GET /openapi.json and /docs/api serve the document and its reference page, without a script', async () => {
  const { openapi, docs } = apiDocumentRoutes();
  const { url, close } = await serve(() =>
    createHttpApp({ health: {}, routes: { '/openapi.json': openapi, '/docs': docs } }),
  );
  try {
    const json = await fetch(`${url}/openapi.json`);
    assert.equal(json.status, 200);
    assert.equal(((await json.json()) as OpenApiDocument).openapi, '3.1.0');
    const page = await fetch(`${url}/docs/api`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const html = await page.text();
    for (const path of Object.keys(openApiDocument().paths ?? {}))
      assert.ok(html.includes(`<code>${path}</code>`), path);
    for (const field of ['manufacturedOn', 'pharmacyRef', 'shippedAt', 'Idempotency-Key'])
      assert.ok(html.includes(field));
    assert.ok(!/<script|src=|https?:\/\//i.test(html), 'nothing fetched from elsewhere');
  } finally {
    await close();
  }
});

test('the reference page escapes what it takes from the document', () => {
  const html = renderApiReference({
    openapi: '3.1.0',
    info: { title: '<script>alert(1)</script>', version: '1' },
    paths: { '/x/{id}': { get: { summary: '"quoted" & <b>', parameters: [{ name: '<id>', in: 'path' }] } } },
    components: {
      schemas: { 'A<B': { type: 'object', properties: { "f'": { type: 'string', description: '<i>' } } } },
    },
  });
  assert.ok(!html.includes('<script>alert'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('&quot;quoted&quot; &amp; &lt;b&gt;'));
  assert.ok(
    html.includes('&lt;id&gt;') && html.includes('A&lt;B') && html.includes('f&#39;') && html.includes('&lt;i&gt;'),
  );
});

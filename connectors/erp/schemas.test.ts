import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateTraceCode } from '../../core/crypto/index.js';
import { batchRequest, dispenseRequest, jsonPath, shipmentRequest, stepItems, validate } from './schemas.js';

const code = generateTraceCode();

test('each kind of event gives every item its step data, in the pinned shape (docs/formats.md § ERP step data)', () => {
  const batch = validate(batchRequest, {
    product: 'Amoxicillin 500 mg capsules, 24',
    nationalDrugCode: '国药准字H20065783',
    lot: 'L1',
    manufacturedOn: '2026-11-02',
    expiresOn: '2028-11-01',
    items: [{ code, serial: 'SN1' }],
  });
  assert.ok(batch.ok);
  assert.deepEqual(stepItems('batch', batch.value, 'Maker'), [
    {
      code,
      data: '{"event":"produced","batch":"L1","item":1,"by":"Maker","at":"2026-11-02","product":"Amoxicillin 500 mg capsules, 24","nationalDrugCode":"国药准字H20065783","manufacturedOn":"2026-11-02","expiresOn":"2028-11-01","serial":"SN1"}',
    },
  ]);
  const shipment = validate(shipmentRequest, {
    items: [{ code }],
    from: 'A',
    to: 'B',
    carrier: 'C',
    shippedAt: '2026-11-05T08:00:00+08:00',
  });
  assert.ok(shipment.ok);
  assert.equal(
    stepItems('shipment', shipment.value, 'Carrier')[0]?.data,
    '{"event":"shipped","item":1,"by":"Carrier","at":"2026-11-05T08:00:00+08:00","from":"A","to":"B","carrier":"C"}',
  );
  const dispense = validate(dispenseRequest, {
    items: [{ code }],
    dispensedAt: '2026-11-09T10:15:00Z',
    pharmacyRef: 'F1',
  });
  assert.ok(dispense.ok);
  assert.equal(
    stepItems('dispense', dispense.value, 'Pharmacy')[0]?.data,
    '{"event":"dispensed","item":1,"by":"Pharmacy","at":"2026-11-09T10:15:00Z","pharmacyRef":"F1"}',
  );
});

test('cross-field rules and repeated codes are problems with their paths', () => {
  const result = validate(batchRequest, {
    product: 'P',
    lot: 'L',
    manufacturedOn: '2026-11-02',
    expiresOn: '2026-11-01',
    items: [{ code }, { code: code.toLowerCase().replace(/(.{4})/g, '$1-') }],
  });
  assert.ok(!result.ok);
  assert.deepEqual(result.problems, [
    { path: '$.items[1].code', message: 'is the same trace code as items[0].code' },
    { path: '$.gtin', message: 'a gtin or a nationalDrugCode is required' },
    { path: '$.expiresOn', message: 'must be after manufacturedOn' },
  ]);
});

test('100,000 bad codes are reported as 1,000 problems and a count, none quoting a code', () => {
  const bad = Array.from({ length: 100_000 }, () => ({ code: `${generateTraceCode().slice(0, 31)}I` }));
  const result = validate(shipmentRequest, {
    items: bad,
    from: 'A',
    to: 'B',
    carrier: 'C',
    shippedAt: '2026-11-05T08:00:00Z',
  });
  assert.ok(!result.ok);
  assert.equal(result.problems.length, 1000);
  assert.equal(result.more, 99_000);
  const text = JSON.stringify(result);
  assert.ok(bad.slice(0, 1000).every(({ code: c }) => !text.includes(c.slice(0, 31))));
  assert.equal(jsonPath(['items', 3, 'code']), '$.items[3].code');
  assert.equal(jsonPath(['a b']), '$["a b"]');
});

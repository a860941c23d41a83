import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Role } from '../roles.js';
import type { ChainEvent } from './chain-scan.js';
import { auditReportBundle } from './fhir.js';
import { parsePeriod, parseTime, PeriodError } from './period.js';
import { auditReportSchema, buildAuditReport } from './report.js';

const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const account = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const at = (block: number, tx: number) => ({
  block,
  time: new Date(Date.UTC(2026, 11, 1, 12, 0, block)),
  transaction: hash(tx),
  sender: account(1),
});
const [hospital, patient, maker] = [account(2), account(3), account(4)];
const directory = new Map([
  [account(1), { role: Role.CA, name: 'CA' }],
  [hospital, { role: Role.Hospital, name: 'Good Health Hospital' }],
  [patient, { role: Role.Patient, name: 'Alice' }],
  [maker, { role: Role.Manufacturer, name: 'Yangtze Pharma' }],
]);
const events: ChainEvent[] = [
  { ...at(1, 1), kind: 'identityRegistered', account: patient, role: Role.Patient, name: 'Alice' },
  { ...at(1, 2), kind: 'identityRegistered', account: hospital, role: Role.Hospital, name: 'Good Health Hospital' },
  { ...at(2, 3), sender: hospital, kind: 'recordCreated', recordId: hash(100) },
  { ...at(3, 4), sender: maker, kind: 'stepAppended', traceId: hash(200), index: 0 },
  { ...at(3, 4), sender: maker, kind: 'stepAppended', traceId: hash(201), index: 0 },
  { ...at(3, 5), sender: maker, kind: 'stepAppended', traceId: hash(200), index: 1 },
  { ...at(4, 6), kind: 'identityRevoked', account: patient },
];
const inputs = {
  period: { from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-02T00:00:00Z') },
  chain: { blocks: { first: 1, last: 4 }, events },
  directory,
  grants: [new Date('2026-12-01T13:00:00Z')],
  refusals: [
    { workflowType: '__proto__', category: 'constructor', time: new Date('2026-12-01T14:00:00Z') },
    { workflowType: 'grantAccess', category: 'BadRekey', time: new Date('2026-12-01T13:30:00Z') },
  ],
  intake: { letters: [{ workflowType: 'anchorRecord', time: new Date('2026-12-01T15:00:00Z') }], truncated: false },
  generatedAt: new Date('2026-12-02T00:00:01Z'),
};

test('the report names authors and organisations, counts and times the rest, and never names a patient', () => {
  const report = buildAuditReport(inputs);
  auditReportSchema.parse(report);
  assert.deepEqual(report.counts, {
    anchored: 1,
    granted: 1,
    traced: 3,
    tracedTransactions: 2,
    registered: 2,
    revoked: 1,
    refused: 3,
  });
  assert.deepEqual(report.anchored[0]?.author, { account: hospital, role: 'Hospital', name: 'Good Health Hospital' });
  assert.deepEqual(
    report.traced.map((push) => [push.transaction, push.sender.name, push.steps.length]),
    [
      [hash(4), 'Yangtze Pharma', 2],
      [hash(5), 'Yangtze Pharma', 1],
    ],
  );
  assert.deepEqual(
    report.identities.map(({ event, role, account, name }) => ({ event, role, account, name })),
    [
      { event: 'registered', role: 'Patient', account: undefined, name: undefined },
      { event: 'registered', role: 'Hospital', account: hospital, name: 'Good Health Hospital' },
      { event: 'revoked', role: 'Patient', account: undefined, name: undefined },
    ],
  );
  assert.deepEqual(report.granted, [{ time: '2026-12-01T13:00:00.000Z' }]);
  assert.deepEqual(
    report.refused.map((r) => `${r.workflowType}/${r.category}`),
    ['grantAccess/BadRekey', '__proto__/constructor', 'anchorRecord/IntakeDeadLetter'],
  );
  // counted as data, not as the prototype of anything
  assert.deepEqual(Object.keys(report.refusedByType), ['grantAccess', '__proto__', 'anchorRecord']);
  assert.equal(({} as Record<string, unknown>).constructor, Object);
  assert.deepEqual(report.intake, { reachable: true, truncated: false });
  const text = JSON.stringify([report, auditReportBundle(report)]);
  assert.ok(!text.includes(patient) && !text.includes('Alice'), 'the patient is in neither form');
});

test('the FHIR form has one AuditEvent per event and refusal and a Provenance per record, with no references', () => {
  const report = buildAuditReport(inputs);
  const bundle = auditReportBundle(report) as { entry: Array<{ fullUrl: string; resource: Record<string, unknown> }> };
  const types = bundle.entry.map((entry) => entry.resource.resourceType);
  assert.deepEqual(
    [types.filter((t) => t === 'AuditEvent').length, types.filter((t) => t === 'Provenance').length],
    [1 + 1 + 2 + 3 + 3, 1],
  );
  assert.equal(new Set(bundle.entry.map((entry) => entry.fullUrl)).size, bundle.entry.length);
  assert.ok(!JSON.stringify(bundle).includes('"reference"'));
  const refusal = bundle.entry.find((entry) => entry.resource.outcomeDesc === 'IntakeDeadLetter')?.resource;
  assert.deepEqual(refusal?.type, {
    system: 'http://dicom.nema.org/resources/ontology/DCM',
    code: '110110',
    display: 'Patient Record',
  });
});

test('times: ISO-8601 with a zone or a duration ago; periods in order and bounded', () => {
  const now = Date.parse('2026-12-02T12:00:00Z');
  assert.equal(parseTime('24h', '--since', now).toISOString(), '2026-12-01T12:00:00.000Z');
  assert.equal(parseTime('2026-12-01', '--since', now).toISOString(), '2026-12-01T00:00:00.000Z');
  assert.equal(parseTime('2026-12-01T08:00+08:00', '--since', now).toISOString(), '2026-12-01T00:00:00.000Z');
  for (const bad of ['2026-12-01T08:00', 'yesterday', '2026-13-01', '-1h', ''])
    assert.throws(() => parseTime(bad, '--since', now), PeriodError, bad);
  assert.throws(() => parsePeriod('2026-12-02', '2026-12-01'), /^PeriodError: from \(.*\) is after to/);
  assert.throws(() => parsePeriod('2024-01-01', '2026-01-01'), /at most 366 days/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { Hl7Message } from './message.js';
import { openRouting, routeHl7, routingSchema, type RoutingConfig, type Routed } from './routing.js';

const dir = new URL('../../test/fixtures/hl7/', import.meta.url);
const accounts = new Map([
  ['hospital', '0x00000000000000000000000000000000000000a1'],
  ['Dr. Hippocrates', '0x00000000000000000000000000000000000000d1'],
  ['Dr. Yardy', '0x00000000000000000000000000000000000000d2'],
]);
const route = (text: string, config: RoutingConfig = openRouting('hospital')): Routed =>
  routeHl7(Hl7Message.parse(text), Buffer.from(text, 'latin1'), config, accounts);
const workOf = (routed: Routed) => (routed.ok ? routed.work : undefined);
const refusalOf = (routed: Routed) => (routed.ok ? undefined : routed.refusal);
const msh = (type: string, facility = 'FAC', app = 'APP') => `MSH|^~\\&|${app}|${facility}|R|RF|2020||${type}|C1|P|2.5`;

test('the open routing anchors every record type of the samples, byte for byte, signed by the hospital', async () => {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.hl7') && !n.startsWith('ADT-A40'));
  assert.ok(names.length >= 9);
  for (const name of names) {
    const bytes = await readFile(new URL(name, dir));
    const routed = routeHl7(Hl7Message.parse(bytes.toString('utf8')), bytes, openRouting('hospital'), accounts);
    assert.equal(refusalOf(routed), undefined, name);
    const work = workOf(routed);
    if (work?.workflow !== 'anchorRecord') assert.fail(`${name} is not anchored`);
    assert.deepEqual(Buffer.from(work.input.record, 'base64'), bytes, `${name}: the exact bytes received`);
    assert.equal(work.input.encoding, 'base64');
    assert.equal(work.input.author, accounts.get('hospital'));
    assert.ok(work.input.patient.identifier && work.input.patient.authority, name);
  }
});

test('ADT^A40 merges MRG-1 into PID-3', async () => {
  const work = workOf(route(await readFile(new URL('ADT-A40-01.hl7', dir), 'utf8')));
  assert.deepEqual(work, {
    workflow: 'mergePatients',
    input: {
      source: { kind: 'hl7', sendingFacility: 'Ntierprise Clinic', controlId: '8919-40' },
      surviving: { identifier: '12345', authority: 'BCBS' },
      merged: { identifier: '56789', authority: 'BCBS' },
    },
  });
  assert.deepEqual(refusalOf(route(`${msh('ADT^A40')}\rPID|1||12345^^^BCBS`)), {
    status: 'error',
    hl7ErrorCode: 100,
    reason: 'ADT^A40 has no MRG segment naming the merged patient',
    location: 'MRG',
  });
});

test('the assigning authority falls back from CX.4 to CX.6 to the route default to the facility', () => {
  const patient = (pid: string, config?: RoutingConfig) => {
    const work = workOf(route(`${msh('ORU^R01')}\r${pid}`, config));
    return work?.workflow === 'anchorRecord' ? work.input.patient : undefined;
  };
  assert.deepEqual(patient('PID|1||555^^^AUTH&1.2&ISO^MR^FAC6'), { identifier: '555', authority: 'AUTH&1.2&ISO' });
  assert.deepEqual(patient('PID|1||555^^^^MR^FAC6'), { identifier: '555', authority: 'FAC6' });
  assert.deepEqual(patient('PID|1||555^^^^MR'), { identifier: '555', authority: 'FAC' });
  const withDefault = routingSchema.parse({
    facilities: [{ facility: 'FAC', hospital: 'hospital', authority: 'MRN' }],
  });
  assert.deepEqual(patient('PID|1||555', withDefault), { identifier: '555', authority: 'MRN' });
  assert.deepEqual(
    patient('PID|1||~777^^^A'),
    { identifier: '777', authority: 'A' },
    'the first identifier that exists',
  );
  assert.deepEqual(refusalOf(route(`${msh('ORU^R01')}\rPID|1||^^^AUTH`)), {
    status: 'error',
    hl7ErrorCode: 101,
    reason: 'PID-3 has no patient identifier (CX.1)',
    location: 'PID^1^3^1^1',
  });
  assert.equal(refusalOf(route(`${msh('ORU^R01')}\rOBX|1`))?.hl7ErrorCode, 100, 'no PID');
});

test('facilities, applications and message types that are not configured are refused, naming what', () => {
  const config = routingSchema.parse({
    facilities: [{ facility: 'GHH', applications: ['LAB'], hospital: 'hospital' }],
  });
  assert.equal(workOf(route(`${msh('ORU^R01', 'GHH^1.2^ISO', 'LAB')}\rPID|1||1`, config))?.workflow, 'anchorRecord');
  const unknown = refusalOf(route(`${msh('ORU^R01', 'OTHER', 'LAB')}\rPID|1||1`, config));
  assert.ok(unknown);
  assert.equal(unknown.status, 'error');
  assert.equal(unknown.hl7ErrorCode, 103);
  assert.match(unknown.reason, /sending facility OTHER \(application LAB\) is not configured/);
  assert.equal(refusalOf(route(`${msh('ORU^R01', 'GHH', 'ADT')}\rPID|1||1`, config))?.location, 'MSH^1^4');
  const type = refusalOf(route(`${msh('QRY^Q01')}\rPID|1||1`));
  assert.deepEqual([type?.status, type?.hl7ErrorCode, type?.location], ['reject', 200, 'MSH^1^9']);
  assert.match(type?.reason ?? '', /message type QRY\^Q01 is not taken/);
  assert.equal(refusalOf(route(`${msh('ADT^A02')}\rPID|1||1`))?.hl7ErrorCode, 201, 'a known type, another event');
  assert.equal(refusalOf(route(`MSH|^~\\&|APP|FAC|R|RF|2020||ORU^R01||P|2.5\rPID|1||1`))?.location, 'MSH^1^10');
});

test('a record is signed by its ordering or attending doctor when the engine holds their key, else the hospital', async () => {
  const config = (signer: 'ordering' | 'attending') =>
    routingSchema.parse({
      facilities: [
        { facility: '*', hospital: 'hospital', signer, doctors: { '1234': 'Dr. Hippocrates', '1542': 'Dr. Yardy' } },
      ],
    });
  const author = (text: string, c: RoutingConfig) => {
    const work = workOf(route(text, c));
    return work?.workflow === 'anchorRecord' ? work.input.author : undefined;
  };
  const mdm = await readFile(new URL('MDM-T02-01.hl7', dir), 'utf8');
  assert.equal(author(mdm, config('attending')), accounts.get('Dr. Hippocrates'), 'PV1-7 1234');
  const rde = `${msh('RDE^O11')}\rPID|1||1\rORC|NW|1||||||||||1542^Yardy^Mark`;
  assert.equal(author(rde, config('ordering')), accounts.get('Dr. Yardy'), 'ORC-12 1542');
  const oru = `${msh('ORU^R01')}\rPID|1||1\rOBR|1|||||||||||||||1234^Hippocrates`;
  assert.equal(author(oru, config('ordering')), accounts.get('Dr. Hippocrates'), 'no ORC: OBR-16 1234');
  assert.equal(
    author(rde, config('attending')),
    accounts.get('hospital'),
    'an attending doctor the engine has no key for',
  );
});

test('a routing configuration says what is wrong with it', () => {
  const issues = routingSchema.safeParse({
    facilities: [{ facility: 'X', hospital: 'h', signer: 'nurse' }],
    anchor: ['oru'],
  });
  assert.ok(issues.error);
  const paths = issues.error.issues.map((i) => i.path.join('.'));
  assert.deepEqual(paths.sort(), ['anchor.0', 'facilities.0.signer']);
});

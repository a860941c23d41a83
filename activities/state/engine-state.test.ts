import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { tempDir } from '../../ops/scratch/services.js';
import { EngineState, type EngineStateError } from './engine-state.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let state: EngineState;
const key = randomBytes(32);
const prekey = (index: number) => ({ index, publicKey: randomBytes(48), signature: randomBytes(65) });

before(async () => {
  dir = await tempDir('state');
  state = await EngineState.open(join(dir.path, 'engine.sqlite'), key);
});
after(async () => {
  await state.close();
  await dir.remove();
});

test('a record waits for an unenrolled patient and is named when they enrol; the map holds no identifier', async () => {
  const ref = state.patientRef('HOSPITAL-MRN', '000123456');
  assert.equal(await state.findPatientOrWait(ref, 'hl7:A:1'), undefined);
  assert.equal(await state.findPatientOrWait(ref, 'hl7:A:1'), undefined, 'waiting twice is one wait');
  assert.deepEqual(await state.enrol(ref, '0xaa'), ['hl7:A:1']);
  assert.equal(await state.findPatientOrWait(ref, 'hl7:A:1'), '0xaa');
  assert.deepEqual(await state.enrol(ref, '0xaa'), [], 'enrolling again is a no-op and the wait is gone');
  await assert.rejects(state.enrol(ref, '0xbb'), (e: EngineStateError) => e.code === 'ENROLMENT_CONFLICT');
  const file = await readFile(join(dir.path, 'engine.sqlite'));
  assert.equal(file.includes(Buffer.from('000123456')), false, 'the identifier is stored only as a keyed hash');
  assert.notEqual(state.patientRef('HOSPITAL-MRN', '000123456'), state.patientRef('OTHER-MRN', '000123456'));
});

test('findPatient looks a patient up, through merges, without noting a wait', async () => {
  const [merged, surviving] = [state.patientRef('MRN', 'find-old'), state.patientRef('MRN', 'find-new')];
  assert.equal(await state.findPatient(surviving), undefined);
  assert.deepEqual(await state.enrol(surviving, '0xf1'), [], 'nobody was noted as waiting');
  await state.mergePatients(merged, surviving);
  assert.equal(await state.findPatient(merged), '0xf1');
});

test('a merge (ADT^A40) re-points enrolment and waiting records from the merged identifier to the surviving one', async () => {
  const [old, surviving] = [state.patientRef('MRN', 'merge-old'), state.patientRef('MRN', 'merge-new')];
  assert.equal(await state.findPatientOrWait(old, 'hl7:M:1'), undefined);
  assert.deepEqual(await state.mergePatients(old, surviving), { waiting: [] }, 'nobody enrolled: nothing to wake');
  assert.deepEqual(await state.enrol(surviving, '0xdd'), ['hl7:M:1'], 'the wait moved to the surviving identifier');
  assert.equal(await state.findPatientOrWait(old, 'hl7:M:2'), '0xdd', 'a late message under the old identifier');
  assert.deepEqual(
    await state.mergePatients(old, surviving),
    { account: '0xdd', waiting: ['hl7:M:1'] },
    'again: a no-op',
  );

  const [enrolledOld, fresh] = [state.patientRef('MRN', 'enrolled-old'), state.patientRef('MRN', 'fresh')];
  await state.enrol(enrolledOld, '0xee');
  assert.equal(await state.findPatientOrWait(fresh, 'hl7:M:3'), undefined);
  assert.deepEqual(await state.mergePatients(enrolledOld, fresh), { account: '0xee', waiting: ['hl7:M:3'] });
  assert.equal(await state.findPatientOrWait(fresh, 'hl7:M:3'), '0xee', 'the enrolment moved with the merge');

  const [a, b] = [state.patientRef('MRN', 'conflict-a'), state.patientRef('MRN', 'conflict-b')];
  await state.enrol(a, '0x01');
  await state.enrol(b, '0x02');
  await assert.rejects(state.mergePatients(a, b), (e: EngineStateError) => e.code === 'MERGE_CONFLICT');
  assert.equal(await state.findPatientOrWait(a, 'hl7:M:4'), '0x01', 'a refused merge changes nothing');

  const c = state.patientRef('MRN', 'chain-c');
  await state.mergePatients(surviving, c);
  assert.equal(await state.findPatientOrWait(old, 'hl7:M:5'), '0xdd', 'merges chain: old → new → c');
});

test('a workflow claims one prekey however often it asks, and running out says what to do', async () => {
  await state.addPrekeys('0xcc', [prekey(0), prekey(1)]);
  const first = await state.claimPrekey('0xcc', 'wf-1');
  assert.deepEqual(await state.claimPrekey('0xcc', 'wf-1'), first, 'a retried claim returns the same prekey');
  const second = await state.claimPrekey('0xcc', 'wf-2');
  assert.notEqual(second.index, first.index);
  assert.equal(await state.unclaimedPrekeys('0xcc'), 0);
  await assert.rejects(
    state.claimPrekey('0xcc', 'wf-3'),
    (e: EngineStateError) => e.code === 'PREKEYS_EXHAUSTED' && /publish a new batch/.test(e.message),
  );
  await assert.rejects(state.addPrekeys('0xcc', [prekey(0)]), (e: EngineStateError) => e.code === 'PREKEY_CONFLICT');
});

test('a batch claims its messages’ prekeys in one go: a retry gets the same ones, an owner with none left gets none', async () => {
  await state.addPrekeys('0xc1', [prekey(0), prekey(1)]);
  await state.addPrekeys('0xc2', [prekey(0)]);
  const claims = [
    { owner: '0xc1', claimKey: 'hl7:B:1' },
    { owner: '0xc2', claimKey: 'hl7:B:2' },
    { owner: '0xc1', claimKey: 'hl7:B:3' },
    { owner: '0xc2', claimKey: 'hl7:B:4' },
  ];
  const first = await state.claimPrekeys(claims);
  assert.deepEqual(
    first.map((p) => p?.index),
    [0, 0, 1, undefined],
  );
  assert.deepEqual(await state.claimPrekeys(claims), first, 'a retried batch holds the same prekeys');
  await assert.rejects(
    state.claimPrekeys([{ owner: '0xc2', claimKey: 'hl7:B:1' }]),
    (e: EngineStateError) => e.code === 'PREKEY_CONFLICT',
  );
});

test('an inbox item is delivered once per delivery id, in order', async () => {
  await state.deliver('0xdd', 'd1', Uint8Array.of(1));
  await state.deliver('0xdd', 'd1', Uint8Array.of(9));
  await state.deliver('0xdd', 'd2', Uint8Array.of(2));
  const items = await state.inbox('0xdd');
  assert.deepEqual(
    items.map((i) => [i.deliveryId, [...i.sealed]]),
    [
      ['d1', [1]],
      ['d2', [2]],
    ],
  );
  assert.deepEqual(
    (await state.inbox('0xdd', items[0]?.seq)).map((i) => i.deliveryId),
    ['d2'],
  );
});

test('a claim seals a message once: a run of the same claim that seals again sends the record filed first', async () => {
  const claim = 'anchor-batch:0xaa:1/first-run#1';
  await state.claimMessages(['hl7:S:1'], claim);
  const sealed = (n: number) => ({
    messageKey: 'hl7:S:1',
    recordId: `0x${String(n).repeat(64)}`,
    cid: `cid-${n}`,
    wrappedKey: `0x0${n}`,
  });
  assert.deepEqual(await state.fileSealed(claim, [sealed(1)]), [sealed(1)]);
  assert.deepEqual(await state.fileSealed(claim, [sealed(2)]), [sealed(1)], 'the record sealed first is sent again');
  await assert.rejects(
    state.fileSealed('anchor-batch:0xaa:1/other-run#1', [sealed(3)]),
    (e: EngineStateError) => e.code === 'CLAIM_CONFLICT',
  );
  assert.equal((await state.anchoredMessage('hl7:S:1'))?.record, undefined, 'sealed is not on chain yet');

  // a message the batch left to wait is filed by its own run once that anchors it
  await state.claimMessages(['hl7:S:2'], claim);
  const own = { recordId: `0x${'e'.repeat(64)}`, cid: 'cid-own', transactionHash: `0x${'f'.repeat(64)}` };
  await state.fileAnchoredRecord(
    'hl7:S:2/own-run',
    { recipient: '0xee', deliveryId: 'hl7:S:2', sealed: Uint8Array.of(1) },
    { messageKey: 'hl7:S:2', ...own },
  );
  const filed = await state.anchoredMessage('hl7:S:2');
  assert.deepEqual(
    { ...filed, record: { ...filed?.record, anchoredAt: undefined } },
    { messageKey: 'hl7:S:2', claim, anchoredBy: 'hl7:S:2/own-run', record: { ...own, anchoredAt: undefined } },
  );
  assert.deepEqual(
    (await state.inbox('0xee')).map((item) => item.deliveryId),
    ['hl7:S:2'],
  );
  // a message anchored alone, never claimed by a batch: delivered, no row made
  await state.fileAnchoredRecord(
    'hl7:S:3/own-run',
    { recipient: '0xee', deliveryId: 'hl7:S:3', sealed: Uint8Array.of(1) },
    { messageKey: 'hl7:S:3', ...own },
  );
  assert.equal(await state.anchoredMessage('hl7:S:3'), undefined);
});

test('a message with a run of its own (anchored alone, or waiting alone) is not the batch’s to anchor, unless the batch claimed it first', async () => {
  await state.addPrekeys('0xa1', [prekey(0), prekey(1), prekey(2)]);
  await state.claimPrekey('0xa1', 'hl7:L:1');
  assert.equal(await state.findPatientOrWait(state.patientRef('MRN', 'not-enrolled'), 'hl7:L:2'), undefined);
  const claim = 'anchor-batch:0xaa:3/run-1#1';
  const claims = [{ owner: '0xa1', claimKey: 'hl7:L:3' }];
  const expected = {
    ours: ['hl7:L:3'],
    taken: [
      { messageKey: 'hl7:L:1', claim: 'hl7:L:1' },
      { messageKey: 'hl7:L:2', claim: 'hl7:L:2' },
    ],
  };
  assert.deepEqual(await state.claimMessages(['hl7:L:1', 'hl7:L:2', 'hl7:L:3'], claim), expected);
  // the batch's own prekeys, then a retry of its claim: the same answer, its message not taken for alone
  await state.claimPrekeys(claims);
  assert.deepEqual(await state.claimMessages(['hl7:L:1', 'hl7:L:2', 'hl7:L:3'], claim), expected);
});

test('a message that failed out of its batch shows why, and is claimed anew when sent again', async () => {
  const [first, second] = ['anchor-batch:0xaa:2/run-1#1', 'anchor-batch:0xaa:2/run-1#2'];
  await state.claimMessages(['hl7:P:1', 'hl7:P:2'], first);
  await state.failMessages(first, [{ messageKey: 'hl7:P:1', reason: 'BadRecordEncoding: not base64' }]);
  await state.failMessages(second, [{ messageKey: 'hl7:P:2', reason: 'not its claim' }]);
  assert.deepEqual(await state.anchoredMessage('hl7:P:1'), {
    messageKey: 'hl7:P:1',
    claim: first,
    failure: 'BadRecordEncoding: not base64',
  });
  assert.deepEqual(await state.anchoredMessage('hl7:P:2'), { messageKey: 'hl7:P:2', claim: first });
  assert.deepEqual(await state.claimMessages(['hl7:P:1', 'hl7:P:2'], second), {
    ours: ['hl7:P:1'],
    taken: [{ messageKey: 'hl7:P:2', claim: first }],
  });
  assert.deepEqual(await state.anchoredMessage('hl7:P:1'), { messageKey: 'hl7:P:1', claim: second });
});

test('a message is claimed by one batch only: a retried claim keeps it, another batch is told who holds it', async () => {
  const [first, second] = ['anchor-batch:0xaa:0/run-1#1', 'anchor-batch:0xaa:0/run-2#1'];
  assert.deepEqual(await state.claimMessages(['hl7:F:1', 'hl7:F:2', 'hl7:F:2'], first), {
    ours: ['hl7:F:1', 'hl7:F:2'],
    taken: [],
  });
  assert.deepEqual(
    await state.claimMessages(['hl7:F:1', 'hl7:F:2'], first),
    { ours: ['hl7:F:1', 'hl7:F:2'], taken: [] },
    'the same claim again (a retried local activity) holds the same messages',
  );
  assert.deepEqual(
    await state.claimMessages(['hl7:F:2', 'hl7:F:3'], second),
    { ours: ['hl7:F:3'], taken: [{ messageKey: 'hl7:F:2', claim: first }] },
    'a message signalled again to another run is not anchored twice',
  );
  const record = { recordId: `0x${'ab'.repeat(32)}`, cid: 'bafkreiabc', transactionHash: `0x${'cd'.repeat(32)}` };
  const [run1, run2] = ['anchor-batch:0xaa:0/run-1', 'anchor-batch:0xaa:0/run-2'];
  const file = (claim: string, run: string, transactionHash: string | null) =>
    state.fileAnchoredBatch(claim, run, [], [{ messageKey: 'hl7:F:2', ...record, transactionHash }]);
  await file(second, run2, record.transactionHash);
  assert.deepEqual(
    await state.anchoredMessage('hl7:F:2'),
    { messageKey: 'hl7:F:2', claim: first },
    'only its holder files its record',
  );
  await file(first, run1, record.transactionHash);
  await file(first, run1, null);
  const filed = await state.anchoredMessage('hl7:F:2');
  assert.deepEqual(
    { ...filed, record: { ...filed?.record, anchoredAt: undefined } },
    { messageKey: 'hl7:F:2', claim: first, anchoredBy: run1, record: { ...record, anchoredAt: undefined } },
    'filed once, with the run that anchored it: a retry that found the record already on chain does not erase its transaction',
  );
  assert.ok(Math.abs(Date.parse(filed?.record?.anchoredAt ?? '') - Date.now()) < 60_000, 'with the time it was filed');
  assert.equal(await state.anchoredMessage('hl7:F:9'), undefined);
  await assert.rejects(
    state.claimMessages(
      Array.from({ length: 257 }, (_, i) => `hl7:F:big-${i}`),
      first,
    ),
    (e: EngineStateError) => e.code === 'BATCH_TOO_LARGE',
  );
});

test('issued trace codes: a batch takes only its organisation’s, each once; a retry is the same claim, another body is told apart', async () => {
  const ids = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}${String(i).padStart(60, '0')}`);
  const [mine, theirs] = [ids('aa', 1200), ids('bb', 3)];
  await state.issueTraceCodes('0xm1', mine);
  await state.issueTraceCodes('0xm2', theirs);
  assert.equal(await state.unusedTraceCodes('0xm1'), 1200);
  const first = { organisation: '0xm1', eventId: 'erp:0xm1:LOT-1', digest: 'd1' };
  const none = { notIssued: [], usedByAnother: [], usedByOtherBody: [] };

  // more than one statement's worth of ids (chunks of 500), plus one never issued and one of another maker
  assert.deepEqual(await state.claimTraceCodes(first, [...mine.slice(0, 1100), 'cc', theirs[0] ?? '']), {
    ...none,
    notIssued: [1100, 1101],
  });
  assert.equal(await state.unusedTraceCodes('0xm1'), 1200, 'a refused claim takes nothing');
  assert.deepEqual(await state.claimTraceCodes(first, mine.slice(0, 1100)), none);
  assert.deepEqual(await state.claimTraceCodes(first, mine.slice(0, 1100)), none, 'the same request again');
  assert.equal(await state.unusedTraceCodes('0xm1'), 100);

  const other = { ...first, eventId: 'erp:0xm1:LOT-2' };
  assert.deepEqual(await state.claimTraceCodes(other, [mine[1150] ?? '', mine[5] ?? '']), {
    ...none,
    usedByAnother: [1],
  });
  const otherBody = { ...first, digest: 'd2' };
  assert.deepEqual(await state.claimTraceCodes(otherBody, [mine[7] ?? '']), { ...none, usedByOtherBody: [0] });

  // a claim whose event was not queued (the key held another body) frees its own codes only
  assert.deepEqual(await state.claimTraceCodes(otherBody, [mine[1199] ?? '']), none);
  await state.releaseTraceCodes(otherBody);
  assert.equal(await state.unusedTraceCodes('0xm1'), 100);
  assert.deepEqual(await state.claimTraceCodes(other, [mine[1199] ?? '']), none);
});

test('reopening runs no migration twice and keeps the data', async () => {
  const again = await EngineState.open(join(dir.path, 'engine.sqlite'), key);
  assert.equal((await again.inbox('0xdd')).length, 2);
  await again.close();
});

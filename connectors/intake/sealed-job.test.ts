import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { repoRoot } from '../../ops/config/index.js';
import { newKeyring } from '../../test/harness/intake.js';
import { openIntakeJob, sealIntakeJob, type IntakeJobBody, type JobLabels, type SealedJobData } from './sealed-job.js';

interface Vector {
  key: string;
  keyId: string;
  nonce: string;
  labels: JobLabels;
  plaintext: string;
  associatedData: string;
  data: SealedJobData;
}

const vectors = JSON.parse(readFileSync(`${repoRoot}docs/vectors/intake-job.json`, 'utf8')) as Vector[];
const keysOf = (v: Vector) => {
  const key = Buffer.from(v.key, 'hex');
  return { currentId: v.keyId, current: key, key: (id: string) => (id === v.keyId ? key : undefined) };
};

test('the pinned vectors: sealing reproduces the stored data, node:crypto opens it, and so does openIntakeJob', () => {
  assert.ok(vectors.length > 0);
  for (const v of vectors) {
    const body = JSON.parse(v.plaintext) as IntakeJobBody;
    assert.deepEqual(sealIntakeJob(keysOf(v), v.labels, body, Buffer.from(v.nonce, 'hex')), v.data);

    const sealed = Buffer.from(v.data.sealed, 'base64');
    assert.equal(sealed.subarray(0, 12).toString('hex'), v.nonce);
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(v.key, 'hex'), sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(v.associatedData, 'utf8'));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const plain = Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
    assert.equal(plain.toString('utf8'), v.plaintext);

    assert.deepEqual(openIntakeJob(keysOf(v), v.labels, v.data), body);
  }
});

test('a job opens only under its own id, workflow and channel, with a key of the keyring', () => {
  const [v] = vectors as [Vector];
  const keys = keysOf(v);
  assert.throws(() => openIntakeJob(keys, { ...v.labels, key: 'hl7:FAC:CTRL-2' }, v.data), /authentication failed/);
  assert.throws(() => openIntakeJob(keys, { ...v.labels, workflow: 'traceStep' }, v.data), /authentication failed/);
  assert.throws(() => openIntakeJob(keys, v.labels, { ...v.data, channel: 'fhir' }), /authentication failed/);
  assert.throws(
    () => openIntakeJob(newKeyring('k2'), v.labels, v.data),
    /sealed with codec key "k1", which this keyring does not hold/,
  );
  assert.throws(() => openIntakeJob(keys, v.labels, { sealed: 'x' }), /not a sealed intake job/);
});

test('a fresh nonce per seal: the same body never seals to the same bytes', () => {
  const keys = newKeyring();
  const [v] = vectors as [Vector];
  const body = JSON.parse(v.plaintext) as IntakeJobBody;
  assert.notEqual(sealIntakeJob(keys, v.labels, body).sealed, sealIntakeJob(keys, v.labels, body).sealed);
});

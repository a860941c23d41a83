import { randomBytes } from 'node:crypto';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { aesGcmOpen, aesGcmSeal, NONCE_LENGTH } from '../../core/crypto/aead.js';
import { isWorkflowName } from '../../workflows/starter.js';
import type { IntakeWork } from './work.js';

/**
 * The engine's payload-codec keys as the intake needs them: seal with the current one, open with
 * any. ops/codec's CodecKeyring has this shape; connectors/ takes it structurally because it
 * cannot import ops/.
 */
export interface IntakeKeys {
  readonly currentId: string;
  readonly current: Uint8Array;
  key(id: string): Uint8Array | undefined;
}

/** What a queued job holds once opened: everything the intake was given, the digest included. */
export interface IntakeJobBody {
  /** sha256 of the exact source bytes, hex: inside the seal, as a bare hash of a message fingerprints it. */
  digest: string;
  receivedAt: string;
  work: IntakeWork;
}

/** What Redis holds as a job's data (docs/formats.md § Intake queue jobs): labels in clear, the rest sealed. */
export interface SealedJobData {
  v: 1;
  channel: string;
  keyId: string;
  /** base64 of nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16) */
  sealed: string;
}

/** The clear labels a job's seal is bound to: a sealed body moved to another job, workflow or channel does not open. */
export interface JobLabels {
  key: string;
  workflow: string;
  channel: string;
}

export class IntakeJobError extends Error {
  override readonly name = 'IntakeJobError';
}

const LABEL = 'yilian/intake-job/v1';

function associatedData(keyId: string, labels: JobLabels): Uint8Array {
  return utf8ToBytes(JSON.stringify([LABEL, keyId, labels.key, labels.workflow, labels.channel]));
}

export function sealIntakeJob(
  keys: IntakeKeys,
  labels: JobLabels,
  body: IntakeJobBody,
  nonce: Uint8Array = randomBytes(NONCE_LENGTH),
): SealedJobData {
  const keyId = keys.currentId;
  const ciphertext = aesGcmSeal(keys.current, nonce, utf8ToBytes(JSON.stringify(body)), associatedData(keyId, labels));
  const sealed = new Uint8Array(nonce.length + ciphertext.length);
  sealed.set(nonce);
  sealed.set(ciphertext, nonce.length);
  return { v: 1, channel: labels.channel, keyId, sealed: Buffer.from(sealed).toString('base64') };
}

/**
 * Opens a job's data under the keyring. Every failure is an IntakeJobError naming what is wrong
 * with the job (never its content): the dispatcher dead-letters such a job.
 */
export function openIntakeJob(keys: IntakeKeys, labels: Omit<JobLabels, 'channel'>, data: unknown): IntakeJobBody {
  if (!isSealedJobData(data)) throw new IntakeJobError(`job ${labels.key}: not a sealed intake job (format v1)`);
  const key = keys.key(data.keyId);
  if (!key)
    throw new IntakeJobError(
      `job ${labels.key}: sealed with codec key "${data.keyId}", which this keyring does not hold`,
    );
  const sealed = Buffer.from(data.sealed, 'base64');
  let plain: Uint8Array;
  try {
    plain = aesGcmOpen(
      key,
      sealed.subarray(0, NONCE_LENGTH),
      sealed.subarray(NONCE_LENGTH),
      associatedData(data.keyId, { ...labels, channel: data.channel }),
      `job ${labels.key}`,
    );
  } catch (error) {
    throw new IntakeJobError((error as Error).message);
  }
  const body = JSON.parse(new TextDecoder().decode(plain)) as IntakeJobBody;
  const workflow: string = body.work.workflow;
  if (!isWorkflowName(workflow)) throw new IntakeJobError(`job ${labels.key}: unknown workflow "${workflow}"`);
  return body;
}

function isSealedJobData(data: unknown): data is SealedJobData {
  if (typeof data !== 'object' || data === null) return false;
  const fields = data as Record<string, unknown>;
  return (
    fields.v === 1 &&
    typeof fields.channel === 'string' &&
    typeof fields.keyId === 'string' &&
    typeof fields.sealed === 'string'
  );
}

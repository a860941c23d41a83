/**
 * The HL7 v2 door end to end on real parts: Debian's `mllp_send` (python3-hl7) → the MLLP listener
 * → routing → the durable intake queue on a real Redis (append-only, fsync always) → the
 * dispatcher → Temporal → the engine's workers → the dev chain and content store → the patient's
 * wallet. Every acknowledged message is anchored exactly once and reads back byte for byte.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Role } from '../core/roles.js';
import { authorize } from '../core/operators/authorization.js';
import type { PatientIdentifier } from '../activities/patients/index.js';
import { Hl7Message } from '../connectors/hl7/message.js';
import { openRouting, routeHl7, routingSchema, type RoutingConfig } from '../connectors/hl7/routing.js';
import { openIntakeQueue, type IntakeQueue } from '../connectors/intake/queue.js';
import { startDispatcher, type Dispatcher } from '../connectors/intake/dispatcher.js';
import type { MllpListener } from '../connectors/mllp/listener.js';
import { startScratchListener } from '../ops/scratch/intake.js';
import { FIXTURES, checkAck, fields, fixture, frame, mllpSend } from '../connectors/mllp/test-helpers.js';
import { CodecKeyring } from '../ops/codec/keyring.js';
import { startScratchEngine, SCRATCH_PASSWORD, SCRATCH_SCRYPT, type ScratchEngine } from '../ops/scratch/engine.js';
import { startScratchRedis } from '../ops/scratch/services.js';
import { fetchInbox } from '../wallet/inbox-client.js';
import { walletDir } from '../wallet/node/wallet-dir.js';
import { openRecord } from '../wallet/open-record.js';
import { Wallet } from '../wallet/wallet.js';
import { runsOn, waitFor } from './harness/intake.js';

const HOSPITAL = 'Intake Test Hospital';

describe('HL7 v2 intake over MLLP', () => {
  let stack: ScratchEngine;
  let redis: Awaited<ReturnType<typeof startScratchRedis>>;
  let queue: IntakeQueue;
  let dispatcher: Dispatcher;
  let dir: string;
  let hospital: string;
  const listeners: MllpListener[] = [];

  /** A listener on a free port over the shared queue, with this routing. */
  const listen = async (routing: RoutingConfig) => {
    const listener = await startScratchListener({ queue, hospital: { name: HOSPITAL, address: hospital }, routing });
    listeners.push(listener);
    return listener.address.port;
  };

  before(async () => {
    [stack, redis] = await Promise.all([startScratchEngine(), startScratchRedis()]);
    await stack.startWorkers();
    dir = await mkdtemp(join(tmpdir(), 'yilian-intake-'));
    const keys = CodecKeyring.parse(stack.codecKeys);
    queue = await openIntakeQueue({ redisUrl: redis.url, keys, taskQueue: stack.taskQueue });
    dispatcher = startDispatcher({ redisUrl: redis.url, keys, client: stack.client, taskQueue: stack.taskQueue });
    hospital = (
      await stack.workflows.execute.registerIdentity(
        authorize(stack.operator, 'registerIdentity', { name: HOSPITAL, role: Role.Hospital }),
      )
    ).address;
  });
  after(async () => {
    for (const listener of listeners) await listener.close();
    await dispatcher.close();
    await queue.close();
    await redis.stop();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('mllp_send delivers every sample, one by one and on one connection, with CR, LF and CRLF; each is anchored once and its patient reads it', async () => {
    const port = await listen(openRouting(HOSPITAL));
    // the samples share control ids (six say MSG00001), as feeds from different systems do; a
    // real feed numbers its own messages, so each variant gets ids of its own
    const sent: Array<{ name: string; text: string }> = [];
    for (const [label, separator] of [
      ['cr', '\r'],
      ['lf', '\n'],
      ['crlf', '\r\n'],
    ] as const) {
      const messages = FIXTURES.map((name) => ({
        name: `${name} (${label})`,
        text: withControlId(fixture(name, separator), `${name}-${label}`),
      }));
      if (label === 'cr') {
        for (const [index, message] of messages.entries()) {
          const file = join(dir, `${label}-${index}.mllp`);
          await writeFile(file, frame(message.text));
          const [ack, ...more] = await mllpSend(port, file, false);
          assert.equal(more.length, 0);
          checkAck(ack ?? '', message.text, message.name);
        }
      } else {
        const file = join(dir, `${label}.mllp`);
        await writeFile(file, Buffer.concat(messages.map((m) => frame(m.text))));
        const acks = await mllpSend(port, file, false);
        assert.equal(acks.length, messages.length, `${label}: one ACK per message`);
        messages.forEach((m, i) => {
          checkAck(acks[i] ?? '', m.text, m.name);
        });
      }
      // mllp_send strips a frame's trailing CR: what arrived, and was anchored, is without it
      sent.push(...messages.map((m) => ({ name: m.name, text: m.text.replace(/\r+$/, '') })));
    }

    // sent again, all of it on one connection: acknowledged again, started never again
    const again = join(dir, 'again.mllp');
    await writeFile(again, Buffer.concat(sent.map((m) => frame(m.text))));
    const acks = await mllpSend(port, again, false);
    sent.forEach((m, i) => {
      checkAck(acks[i] ?? '', m.text, `${m.name}, re-sent`);
    });

    const routed = sent.map((m) => {
      const result = routeHl7(
        Hl7Message.parse(m.text),
        Buffer.from(m.text),
        openRouting(HOSPITAL),
        new Map([[HOSPITAL, hospital]]),
      );
      assert.ok(result.ok, m.name);
      return { ...m, work: result.work };
    });
    const ids = new Set(routed.map((m) => stack.workflows.workflowId[m.work.workflow](m.work.input as never)));
    assert.equal(ids.size, FIXTURES.length * 3);
    const runs = await waitFor('every message started', async () => {
      const found = await runsOn(stack.client, stack.taskQueue);
      return [...ids].every((id) => found.has(id)) ? found : undefined;
    });
    for (const id of ids) assert.equal(runs.get(id), 1, `${id}: one run`);

    // the patients enrol; every waiting record is anchored, and each patient reads theirs
    const records = routed.flatMap((m) => (m.work.workflow === 'anchorRecord' ? [{ ...m, input: m.work.input }] : []));
    const patients = new Map<string, { patient: PatientIdentifier; texts: string[] }>();
    for (const r of records) {
      const key = `${r.input.patient.authority}|${r.input.patient.identifier}`;
      const entry = patients.get(key) ?? { patient: r.input.patient, texts: [] };
      entry.texts.push(r.text);
      patients.set(key, entry);
    }
    assert.ok(patients.size >= 4, 'the samples name several patients');
    for (const [index, [key, { patient, texts }]] of [...patients].entries()) {
      const wallet = await Wallet.create(walletDir(join(dir, `wallet-${index}`)), SCRATCH_PASSWORD, SCRATCH_SCRYPT);
      const prekeyBundle = await wallet.addPrekeys(texts.length + 2);
      await stack.workflows.execute.registerIdentity(
        authorize(stack.operator, 'registerIdentity', {
          name: `patient ${patient.identifier}`,
          role: Role.Patient,
          identity: wallet.identity,
          prekeyBundle,
        }),
      );
      await stack.workflows.execute.enrolPatient(
        authorize(stack.operator, 'enrolPatient', { patient, account: wallet.identity.address }),
      );
      const inbox = await waitFor(`${texts.length} records in ${key}'s inbox`, async () => {
        const items = (await fetchInbox(stack.apiUrl, wallet)).filter((item) => item.kind === 'record');
        return items.length >= texts.length ? items : undefined;
      });
      assert.equal(inbox.length, texts.length, `${key}: each record once`);
      const read: string[] = [];
      for (const item of inbox) {
        const { location, key: recordKey } = await wallet.recordKey(item);
        const opened = await openRecord(
          { chain: stack.chain, contracts: stack.engine.contracts, store: stack.engine.store },
          location,
          recordKey,
        );
        assert.equal(opened.author.address.toLowerCase(), hospital.toLowerCase(), 'signed by the hospital identity');
        read.push(Buffer.from(opened.bytes).toString('utf8'));
      }
      assert.deepEqual(read.sort(), [...texts].sort(), `${key}: the exact messages sent`);
    }
  });

  test('what routing or the queue cannot take is refused, naming why, and never started', async () => {
    const port = await listen(routingSchema.parse({ facilities: [{ facility: 'GHHSFacility', hospital: HOSPITAL }] }));
    const base = withControlId(fixture('ADT-A01-01'), 'refusals-1');
    const cases = [
      { name: 'unknown facility', text: withControlId(fixture('MDM-T02-01'), 'refusals-2'), code: 'error', err: '103' },
      { name: 'no PID', text: base.replace(/PID\|[^\r]*\r/, ''), code: 'error', err: '100' },
      {
        name: 'unsupported type',
        text: base.replace('ADT^A01^ADT_A01', 'QRY^A19^QRY_A19'),
        code: 'reject',
        err: '200',
      },
      { name: 'accepted', text: withControlId(fixture('ADT-A04-01'), 'refusals-3'), code: 'accept', err: '' },
      {
        name: 'same control id, other bytes',
        text: withControlId(fixture('ADT-A08-01'), 'refusals-3'),
        code: 'error',
        err: '205',
      },
    ] as const;
    const file = join(dir, 'refusals.mllp');
    await writeFile(file, Buffer.concat(cases.map((c) => frame(c.text))));
    const acks = await mllpSend(port, file, false);
    cases.forEach((c, i) => {
      checkAck(acks[i] ?? '', c.text, c.name, c.code);
      if (c.code !== 'accept') assert.match(fields(acks[i] ?? '')[2]?.[3] ?? '', new RegExp(`^${c.err}\\^`), c.name);
    });
    const runs = await waitFor('the accepted one started', async () => {
      const found = await runsOn(stack.client, stack.taskQueue);
      return found.has('hl7:GHHSFacility^2.16.840.1.122848.1.30^ISO:refusals-3') ? found : undefined;
    });
    for (const id of ['refusals-1', 'refusals-2'])
      assert.equal(
        [...runs.keys()].some((run) => run.endsWith(`:${id}`)),
        false,
        `${id} never started`,
      );
  });
});

/** The message with MSH-10 replaced. */
function withControlId(text: string, controlId: string): string {
  return text.replace(/^(MSH(?:\|[^|\r\n]*){8}\|)[^|\r\n]*/, `$1${controlId}`);
}

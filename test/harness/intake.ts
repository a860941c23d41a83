import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { CodecKeyring } from '../../ops/codec/keyring.js';
import { EncryptionCodec } from '../../ops/codec/encryption-codec.js';
import { freePort } from '../../ops/services/ports.js';
import { startTemporalDevServer } from '../../ops/services/temporal.js';
import type { ManagedProcess } from '../../ops/services/managed-process.js';
import { tempDir, toolsDir } from '../../ops/scratch/services.js';
import { toolPath } from '../../ops/tools.js';
import { messageOf } from '../../ops/error-message.js';
import { workflowIdOfWork, type IntakeEntry } from '../../connectors/intake/queue.js';
import type { IntakeWork } from '../../connectors/intake/work.js';
import type { BatchMessage } from '../../workflows/anchor-batch.js';
import { sourceWorkflowId } from '../../workflows/ids.js';
import { decodePayloads } from '../../workflows/starter.js';

/** What the privacy checks look for: a patient's name and identifier inside a queued message. */
export const PATIENT_NAME = 'HUCKLEBERRY^FINN';
export const PATIENT_ID = 'MRN-7731-SECRET';

export const newKeyring = (id = 'k1'): CodecKeyring =>
  CodecKeyring.parse(`${id}:${randomBytes(32).toString('base64')}`);

/**
 * An ORU for a patient who has not enrolled: its anchorRecord starts and waits, which is all a
 * dispatcher owes. Batch executions are named by author, so tests sharing a Temporal give each
 * feed an author of its own.
 */
export function hl7Work(
  controlId: string,
  note = 'Bacteria identified in Stool',
  author = `0x${'11'.repeat(20)}`,
): IntakeWork {
  const record =
    `MSH|^~\\&|LAB|FAC|YILIAN|HOSP|20261201120000||ORU^R01|${controlId}|P|2.5\r` +
    `PID|1||${PATIENT_ID}^^^MRN||${PATIENT_NAME}\rOBX|1|TX|NOTE||${note}\r`;
  return {
    workflow: 'anchorRecord',
    input: {
      source: { kind: 'hl7', sendingFacility: 'FAC', controlId },
      record,
      patient: { authority: 'MRN', identifier: PATIENT_ID },
      author,
    },
  };
}

/** The entry a connector would queue for this work: keyed by its workflow id, digest of its bytes. */
export function entryOf(work: IntakeWork, channel = 'mllp'): IntakeEntry {
  const bytes = work.workflow === 'anchorRecord' ? work.input.record : JSON.stringify(work.input);
  return {
    key: workflowIdOfWork(work),
    digest: createHash('sha256').update(bytes).digest(),
    work,
    channel,
    receivedAt: new Date().toISOString(),
  };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** How often the first start of a restartable Temporal tries fresh ports after one was taken. */
const PORT_RETRIES = 2;

/**
 * A Temporal dev server that can be stopped and started again on the same ports and SQLite file,
 * to take Temporal away from a dispatcher and bring it back.
 */
export async function restartableTemporal(dynamicConfig?: Record<string, number>): Promise<{
  address: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: only what the server committed survives. */
  kill(): Promise<void>;
  remove(): Promise<void>;
}> {
  const dir = await tempDir('temporal');
  let [port, uiPort] = [await freePort(), await freePort()];
  let server: ManagedProcess | undefined;
  const start = async () => {
    server ??= await startTemporalDevServer({
      executable: toolPath(toolsDir, 'temporal'),
      host: '127.0.0.1',
      port,
      uiPort,
      namespace: 'default',
      dataDir: dir.path,
      logFile: join(dir.path, 'temporal.log'),
      ...(dynamicConfig ? { dynamicConfig } : {}),
    });
  };
  // free ports are released before the server binds them, and its dev server picks ports of its
  // own: one may be taken meanwhile, and then the first start tries others (later starts must keep them)
  for (let attempt = 0; ; attempt++) {
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= PORT_RETRIES || !/address already in use/i.test(messageOf(error))) throw error;
      [port, uiPort] = [await freePort(), await freePort()];
    }
  }
  return {
    address: `127.0.0.1:${port}`,
    start,
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async kill() {
      if (!server) return;
      process.kill(server.pid, 'SIGKILL');
      await server.exited;
      server = undefined;
    },
    async remove() {
      await server?.stop();
      await dir.remove();
    },
  };
}

/** A client as the engine has it: the payload codec, and a lazy connection that survives Temporal's absence. */
export function codecClient(address: string, keys: CodecKeyring): Client {
  return new Client({
    connection: Connection.lazy({ address }),
    dataConverter: { payloadCodecs: [new EncryptionCodec(keys)] },
  });
}

/**
 * The messages every batch execution on a task queue was sent (its signals, decoded with the
 * engine's codec), by message key: how many times each was handed to Temporal, and the size of
 * each signal.
 */
export async function messagesSignalled(
  client: Client,
  taskQueue: string,
): Promise<{ byKey: Map<string, number>; byExecution: Map<string, string[]>; signalSizes: number[] }> {
  const byKey = new Map<string, number>();
  const byExecution = new Map<string, string[]>();
  const signalSizes: number[] = [];
  const { payloadConverter } = client.options.loadedDataConverter;
  const query = `TaskQueue = '${taskQueue}' AND WorkflowType = 'anchorBatch'`;
  for await (const run of client.workflow.list({ query })) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    for (const event of history.events ?? []) {
      const payloads = event.workflowExecutionSignaledEventAttributes?.input?.payloads;
      if (!payloads) continue;
      const [first] = await decodePayloads(client, payloads);
      if (!first) continue;
      const messages = payloadConverter.fromPayload<BatchMessage[]>(first);
      signalSizes.push(messages.length);
      const keys = byExecution.get(run.workflowId) ?? [];
      for (const message of messages) {
        const key = sourceWorkflowId(message.source);
        byKey.set(key, (byKey.get(key) ?? 0) + 1);
        keys.push(key);
      }
      byExecution.set(run.workflowId, keys);
    }
  }
  return { byKey, byExecution, signalSizes };
}

/** Every run on a task queue, by workflow id: how many times each id was started. */
export async function runsOn(client: Client, taskQueue: string): Promise<Map<string, number>> {
  const runs = new Map<string, number>();
  for await (const run of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` }))
    runs.set(run.workflowId, (runs.get(run.workflowId) ?? 0) + 1);
  return runs;
}

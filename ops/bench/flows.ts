/**
 * `npm run bench:flows`: the engine end to end on the real stack (Temporal dev server, dev chain,
 * engine, both workers, payload codec on as in production).
 *  1. Records: anchorRecord workflows for enrolled patients, records/s and p50/p99 latency (start
 *     to result) with 1, 8 and 32 submissions kept in flight (closed loop).
 *  2. Next to it, Temporal's own ceiling on this machine: a workflow calling one no-op activity on a
 *     worker of its own queue, same connection, same data converter, same concurrency levels.
 *  3. Records in batches (anchorBatch, issue 17): messages signalled in groups to a few batch
 *     executions at once, records/s and latency until each record is filed, actions per record.
 *  4. A drug batch: one traceStep with a full batch (`MAX_BATCH_ITEMS`, the most one proof carries), start
 *     to result, against the 10 s goal set for a production batch of 1,000.
 * Where the time goes comes from the workflow histories (server timestamps per activity), and so do
 * Temporal's billable actions per record (ops/bench/temporal-actions.ts).
 * Reports only: a missed goal is printed, not an exit code.
 * With YILIAN_TEMPORAL_MODE=external (and YILIAN_TEMPORAL_ADDRESS, YILIAN_TEMPORAL_NAMESPACE, as
 * `./ops/cluster` prints them) it runs against that Temporal instead of a dev server, with the
 * engine's workers in a process of their own (`ops/workers/main.ts`), as production runs them.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism, cpus, totalmem } from 'node:os';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { generateTraceCode, initPre } from '../../core/crypto/index.js';
import { MAX_BATCH_ITEMS } from '../../native/index.js';
import { hl7Envelope } from '../../connectors/hl7/message-source.js';
import type { RecordReference } from '../../workflows/anchor-record.js';
import { anchorBatchWorkflowId, sourceWorkflowId } from '../../workflows/ids.js';
import { sendToAnchorBatch } from '../../workflows/starter.js';
import { startScratchEngine } from '../scratch/engine.js';
import { startWorkerProcess, workerEnv, type WorkerProcess } from '../scratch/worker-process.js';
import { Role } from '../../core/roles.js';
import { CodecKeyring } from '../codec/keyring.js';
import { EncryptionCodec } from '../codec/encryption-codec.js';
import { noopWorkflow, type NoopActivities } from './noop-workflow.js';
import { enrolBenchPatients, syntheticOru } from './bench-patients.js';
import { filedAt } from './filed-at.js';
import { authorize } from '../../core/operators/authorization.js';
import {
  actionsOfWorkflows,
  addActions,
  describeActions,
  noActions,
  totalActions,
  type ActionCount,
} from './temporal-actions.js';

const LEVELS = [1, 8, 32] as const;
/** Per level: stop submitting after `seconds` or `max` workflows, whichever comes first; in-flight ones finish. */
const NOOP_BUDGET = {
  1: { seconds: 5, max: 1_000 },
  8: { seconds: 8, max: 5_000 },
  32: { seconds: 8, max: 10_000 },
} as const;
const RECORD_BUDGET = {
  1: { seconds: 8, max: 60 },
  8: { seconds: 10, max: 300 },
  32: { seconds: 10, max: 600 },
} as const;
const WARMUP_RECORDS = 4;
/** Every record consumes one prekey: enough for every cap above, spread over a few patients. */
const PATIENTS = 4;
/** Batched anchoring (anchorBatch): messages signalled in groups, as the dispatcher is to group them, over shards. */
const BATCHED = { messages: 480, group: 16, shards: 2 } as const;
const PREKEYS_PER_PATIENT =
  Math.ceil(
    (WARMUP_RECORDS + BATCHED.messages + Object.values(RECORD_BUDGET).reduce((sum, b) => sum + b.max, 0)) / PATIENTS,
  ) + 8;
const BATCH_ITEMS = MAX_BATCH_ITEMS;
const BATCH_RUNS = 2;
/** Histories read per level for the breakdown (reading is outside the timed window). */
const HISTORY_SAMPLE = 40;

interface Loop {
  concurrency: number;
  count: number;
  failed: number;
  seconds: number;
  /** Sorted, milliseconds. */
  latencies: number[];
  workflowIds: string[];
  firstError?: string;
}

/** Keeps `concurrency` submissions in flight until the budget is spent, then lets the last ones finish. */
async function closedLoop(
  concurrency: number,
  budget: { seconds: number; max: number },
  submit: (index: number) => Promise<{ workflowId: string; done: Promise<unknown> }>,
): Promise<Loop> {
  const latencies: number[] = [];
  const workflowIds: string[] = [];
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + budget.seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < budget.max && performance.now() < deadline) {
        const index = next++;
        const t0 = performance.now();
        try {
          const { workflowId, done } = await submit(index);
          await done;
          latencies.push(performance.now() - t0);
          workflowIds.push(workflowId);
        } catch (error) {
          failed++;
          firstError ??= rootMessage(error);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    concurrency,
    count: latencies.length,
    failed,
    seconds,
    latencies: latencies.sort((a, b) => a - b),
    workflowIds,
    ...(firstError ? { firstError } : {}),
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const rate = (loop: Loop) => loop.count / loop.seconds;

function rootMessage(error: unknown): string {
  let deepest = error;
  while (deepest instanceof Error && deepest.cause instanceof Error) deepest = deepest.cause;
  return deepest instanceof Error ? deepest.message : String(deepest);
}

// ——— where the time goes, from server timestamps in the histories ———

interface Timing {
  /** Workflow started → completed on the server, ms. */
  total: number;
  /** Per activity type, in order of first schedule: queue wait (scheduled → started) and run (started → completed). */
  activities: Map<string, { queued: number; ran: number }>;
}

function ms(ts: temporal.api.history.v1.IHistoryEvent['eventTime']): number {
  if (!ts) return NaN;
  const seconds =
    ts.seconds === null || ts.seconds === undefined
      ? 0
      : typeof ts.seconds === 'number'
        ? ts.seconds
        : Number(ts.seconds.toString());
  return seconds * 1000 + (ts.nanos ?? 0) / 1e6;
}

async function timing(client: Client, workflowId: string): Promise<Timing> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = new Map<string, { type: string; at: number; startedAt?: number }>();
  const activities = new Map<string, { queued: number; ran: number }>();
  for (const event of events) {
    const at = ms(event.eventTime);
    if (event.activityTaskScheduledEventAttributes) {
      scheduled.set(String(event.eventId), {
        type: event.activityTaskScheduledEventAttributes.activityType?.name ?? '?',
        at,
      });
    } else if (event.activityTaskStartedEventAttributes) {
      const s = scheduled.get(String(event.activityTaskStartedEventAttributes.scheduledEventId));
      if (s) s.startedAt = at;
    } else if (event.activityTaskCompletedEventAttributes) {
      const s = scheduled.get(String(event.activityTaskCompletedEventAttributes.scheduledEventId));
      if (!s) continue;
      // the started event is written to history with the completion, but it carries the time the worker picked the task up
      const startedAt = s.startedAt ?? s.at;
      const sum = activities.get(s.type) ?? { queued: 0, ran: 0 };
      activities.set(s.type, { queued: sum.queued + (startedAt - s.at), ran: sum.ran + (at - startedAt) });
    }
  }
  const first = events[0];
  const last = events[events.length - 1];
  return { total: first && last ? ms(last.eventTime) - ms(first.eventTime) : NaN, activities };
}

interface Breakdown {
  samples: number;
  total: number;
  activities: Array<{ type: string; queued: number; ran: number }>;
  /** Workflow tasks, scheduling and everything between activities. */
  between: number;
}

async function breakdown(client: Client, workflowIds: string[]): Promise<Breakdown> {
  const step = Math.max(1, Math.floor(workflowIds.length / HISTORY_SAMPLE));
  const sample = workflowIds.filter((_, i) => i % step === 0).slice(0, HISTORY_SAMPLE);
  const timings = await Promise.all(sample.map((id) => timing(client, id)));
  const types = [...new Set(timings.flatMap((t) => [...t.activities.keys()]))];
  const activities = types.map((type) => ({
    type,
    queued: mean(timings.map((t) => t.activities.get(type)?.queued ?? 0)),
    ran: mean(timings.map((t) => t.activities.get(type)?.ran ?? 0)),
  }));
  const total = mean(timings.map((t) => t.total));
  return {
    samples: sample.length,
    total,
    activities,
    between: total - activities.reduce((sum, a) => sum + a.queued + a.ran, 0),
  };
}

// ——— the run ———

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '—');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—');
const say = (line = '') => console.log(line);
const runId = randomUUID().slice(0, 8);

await initPre();
say(
  `machine: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; Node ${process.version}`,
);
const external =
  process.env.YILIAN_TEMPORAL_MODE === 'external'
    ? {
        address: process.env.YILIAN_TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
        namespace: process.env.YILIAN_TEMPORAL_NAMESPACE ?? 'default',
      }
    : undefined;
say(
  external
    ? `stack: the Temporal at ${external.address} (namespace ${external.namespace}) and the dev chain in their own processes; both workers in one more; engine and this client in this one; payload codec on`
    : 'stack: Temporal dev server (in memory) and dev chain in their own processes; engine, both workers and this client in this one; payload codec on',
);
const setupStarted = performance.now();
const stack = await startScratchEngine(external ? { temporal: external } : {});
let noop: { worker: Worker; run: Promise<void> } | undefined;
let workerProcess: WorkerProcess | undefined;
try {
  if (external) workerProcess = await startWorkerProcess(workerEnv(stack));
  else await stack.startWorkers();
  const { client, taskQueue, workflows } = stack;
  const namespace = stack.temporal.namespace ?? 'default';

  // ——— people: a doctor and a manufacturer with engine-held keys, patients with their own wallets ———
  const local = (name: string, role: Role) =>
    workflows.execute.registerIdentity(
      authorize(stack.operator, 'registerIdentity', { name: `${name} (${runId})`, role }),
    );
  const [doctor, manufacturer] = await Promise.all([
    local('Dr. Bench', Role.Doctor),
    local('Bench Manufacturer', Role.Manufacturer),
  ]);
  const patients = await enrolBenchPatients(stack, PATIENTS, PREKEYS_PER_PATIENT, runId);
  say(
    `setup: engine up, doctor and manufacturer registered, ${PATIENTS} patients with ${PREKEYS_PER_PATIENT} prekeys each enrolled (${f1((performance.now() - setupStarted) / 1000)} s)`,
  );

  // ——— ceiling: one no-op activity per workflow, its own worker and queue ———
  const dataConverter = { payloadCodecs: [new EncryptionCodec(CodecKeyring.parse(stack.codecKeys))] };
  const noopQueue = `${taskQueue}-bench-noop`;
  const noopActivities: NoopActivities = { async noop() {} };
  const worker = await Worker.create({
    connection: stack.temporal.nativeConnection,
    namespace,
    taskQueue: noopQueue,
    workflowsPath: new URL('./noop-workflow.ts', import.meta.url).pathname,
    activities: noopActivities,
    dataConverter,
    // as the orchestration worker (ops/workers/orchestration.ts)
    maxConcurrentActivityTaskExecutions: 8 * availableParallelism(),
  });
  noop = { worker, run: worker.run() };
  const startNoop = async (i: number, tag: string) => {
    const workflowId = `bench-noop-${runId}-${tag}-${i}`;
    // Temporal's own ceiling: a workflow of the bench's, not one of the engine's, so no starter of ours
    const handle = await client.workflow.start(noopWorkflow, { workflowId, taskQueue: noopQueue });
    return { workflowId, done: handle.result() };
  };
  await closedLoop(4, { seconds: 30, max: 20 }, (i) => startNoop(i, 'warmup'));

  // ——— records, each level right after the ceiling at the same level (same background load) ———
  let submitted = 0;
  const startRecord = async (i: number, tag: string) => {
    const n = submitted++;
    const hl7 = syntheticOru(`BENCH-${runId}-${tag}-${i}`, patients[n % patients.length] ?? '', n);
    const { source, patient } = hl7Envelope(hl7);
    const handle = await workflows.start.anchorRecord({ source, record: hl7, patient, author: doctor.address });
    return {
      workflowId: handle.workflowId,
      done: handle.result().then((reference: RecordReference) => {
        if (!reference.transactionHash) throw new Error(`record ${reference.recordId} was not written by this run`);
      }),
    };
  };
  const warmup = await closedLoop(WARMUP_RECORDS, { seconds: 120, max: WARMUP_RECORDS }, (i) =>
    startRecord(i, 'warmup'),
  );
  if (warmup.count !== WARMUP_RECORDS) throw new Error(`warm-up records failed: ${warmup.firstError}`);
  /** Per concurrency level: the no-op ceiling and the records, run back to back, with where their time went. */
  const levels: Array<{
    level: number;
    ceiling: Loop;
    records: Loop;
    noopBreakdown: Breakdown;
    recordBreakdown: Breakdown;
    /** Temporal's billable actions over every record run of the level. */
    recordActions: ActionCount;
  }> = [];
  for (const level of LEVELS) {
    const c = await closedLoop(level, NOOP_BUDGET[level], (i) => startNoop(i, `c${level}`));
    say(
      `ceiling c=${level}: ${c.count} no-op workflows in ${f1(c.seconds)} s${c.failed ? `, ${c.failed} FAILED (${c.firstError})` : ''}`,
    );
    const r = await closedLoop(level, RECORD_BUDGET[level], (i) => startRecord(i, `c${level}`));
    say(
      `records c=${level}: ${r.count} anchored in ${f1(r.seconds)} s${r.failed ? `, ${r.failed} FAILED (${r.firstError})` : ''}`,
    );
    levels.push({
      level,
      ceiling: c,
      records: r,
      noopBreakdown: await breakdown(client, c.workflowIds),
      recordBreakdown: await breakdown(client, r.workflowIds),
      recordActions: await actionsOfWorkflows(client, r.workflowIds),
    });
  }
  noop.worker.shutdown();
  await noop.run;
  noop = undefined;

  // ——— records in batches: groups signalled to anchorBatch executions, until every record is filed ———
  const batchedMessages = Array.from({ length: BATCHED.messages }, (_, i) => {
    const hl7 = syntheticOru(`BATCHED-${runId}-${i}`, patients[i % patients.length] ?? '', i);
    const { source, patient } = hl7Envelope(hl7);
    return { source, record: hl7, patient };
  });
  const sentAt = new Map<string, number>();
  const batchedStarted = Date.now();
  for (let g = 0; g * BATCHED.group < BATCHED.messages; g++) {
    const messages = batchedMessages.slice(g * BATCHED.group, (g + 1) * BATCHED.group);
    await sendToAnchorBatch(client, taskQueue, { author: doctor.address, shard: g % BATCHED.shards, messages });
    for (const message of messages) sentAt.set(sourceWorkflowId(message.source), Date.now());
  }
  const filed = await filedAt(stack.engine.state, [...sentAt.keys()]);
  const batchedLatencies = [...sentAt].map(([key, at]) => (filed.get(key) ?? NaN) - at);
  const batchedSeconds = (Math.max(...filed.values()) - batchedStarted) / 1000;
  batchedLatencies.sort((a, b) => a - b);
  const batchedActions = await actionsOfWorkflows(
    client,
    Array.from({ length: BATCHED.shards }, (_, shard) => anchorBatchWorkflowId(doctor.address, shard)),
  );
  say(`batched: ${BATCHED.messages} records anchored in ${f1(batchedSeconds)} s`);

  // ——— drug batch ———
  const batchRuns: Array<{ seconds: number; proofs: number; breakdown: Breakdown }> = [];
  const startBatch = async (items: number, tag: string) => {
    const codes = Array.from({ length: items }, () => generateTraceCode());
    const at = new Date().toISOString();
    const t0 = performance.now();
    const handle = await workflows.start.traceStep({
      source: { kind: 'erp', org: `Bench Manufacturer ${runId}`, eventId: `LOT-${tag}-produced` },
      participant: manufacturer.address,
      items: codes.map((code, i) => ({
        code,
        data: JSON.stringify({ event: 'produced', batch: `LOT-${tag}`, item: i + 1, at }),
      })),
    });
    const result = await handle.result();
    return { workflowId: handle.workflowId, seconds: (performance.now() - t0) / 1000, proofs: result.proofs };
  };
  await startBatch(16, `${runId}-warmup`);
  for (let r = 1; r <= BATCH_RUNS; r++) {
    const { workflowId, seconds, proofs } = await startBatch(BATCH_ITEMS, `${runId}-${r}`);
    batchRuns.push({ seconds, proofs, breakdown: await breakdown(client, [workflowId]) });
    say(`drug batch ${r}: ${BATCH_ITEMS} items in ${f1(seconds)} s`);
  }

  // ——— report ———
  say();
  say(
    `records: anchorRecord end to end (start → result), HL7 ORU ${syntheticOru('x', 'x', 0).length} bytes; ceiling: 1 no-op activity per workflow, same server, connection and codec`,
  );
  const columns: Array<[string, number]> = [
    ['concurrency', 12],
    ['records', 9],
    ['records/s', 11],
    ['p50 ms', 9],
    ['p99 ms', 9],
    ['no-op wfs', 11],
    ['no-op wf/s', 12],
    ['no-op p50', 11],
    ['no-op p99', 11],
    ['% of ceiling', 14],
    ['actions/rec', 13],
  ];
  const row = (cells: string[]) =>
    say(
      columns
        .map(([, width], j) => (j === 0 ? (cells[j] ?? '').padEnd(width) : (cells[j] ?? '').padStart(width)))
        .join(''),
    );
  row(columns.map(([name]) => name));
  for (const { level, records: r, ceiling: c, recordActions } of levels) {
    row([
      String(level),
      String(r.count),
      f1(rate(r)),
      f0(percentile(r.latencies, 50)),
      f0(percentile(r.latencies, 99)),
      String(c.count),
      f1(rate(c)),
      f0(percentile(c.latencies, 50)),
      f0(percentile(c.latencies, 99)),
      `${f1((100 * rate(r)) / rate(c))} %`,
      (totalActions(recordActions) / r.count).toFixed(2),
    ]);
  }
  const shares = levels.map(({ records: r, ceiling: c }) => rate(r) / rate(c));
  const best = Math.max(...shares);
  const at32 = shares.at(-1) ?? 0;
  const records = levels.map((l) => l.records);
  const ceiling = levels.map((l) => l.ceiling);
  say(
    `goal: records/s >= 50 % of the no-op ceiling — ${at32 >= 0.5 ? 'met' : 'MISSED'} at 32 in flight (${f1(100 * at32)} %; best level ${f1(100 * best)} %)`,
  );
  const allRecords = levels.reduce((sum, l) => sum + l.records.count, 0);
  say(
    `Temporal actions per record (Temporal Cloud's billing, from every record run's history; queries, none here, are billed too): ${describeActions(
      levels.reduce((sum, l) => addActions(sum, l.recordActions), noActions()),
      allRecords,
    )}`,
  );
  const failures = records.reduce((sum, r) => sum + r.failed, 0) + ceiling.reduce((sum, c) => sum + c.failed, 0);
  if (failures)
    say(
      `failures: ${failures} workflows failed (first: ${records.find((r) => r.firstError)?.firstError ?? ceiling.find((c) => c.firstError)?.firstError})`,
    );

  const printBreakdown = (title: string, b: Breakdown) => {
    say(`  ${title} (${b.samples} histories, server time ${f0(b.total)} ms)`);
    for (const a of b.activities)
      say(
        `    ${a.type.padEnd(22)} queued ${f0(a.queued).padStart(6)} ms   ran ${f0(a.ran).padStart(6)} ms   ${f0((100 * (a.queued + a.ran)) / b.total).padStart(3)} %`,
      );
    say(
      `    ${'workflow tasks, other'.padEnd(22)} ${f0(b.between).padStart(13)} ms ${''.padStart(15)}${f0((100 * b.between) / b.total).padStart(3)} %`,
    );
  };
  say(
    `batched (anchorBatch, issue 17): ${BATCHED.messages} records signalled in groups of ${BATCHED.group} to ${BATCHED.shards} executions at once: ` +
      `${f1(BATCHED.messages / batchedSeconds)} records/s, p50 ${f0(percentile(batchedLatencies, 50))} ms, p99 ${f0(percentile(batchedLatencies, 99))} ms ` +
      `(signal → record filed), Temporal actions per record ${describeActions(batchedActions, BATCHED.messages)}`,
  );
  say();
  say('where a record spends its time (mean per workflow; queued = scheduled → started, ran = started → completed):');
  for (const l of levels)
    printBreakdown(`${l.level} in flight, client p50 ${f0(percentile(l.records.latencies, 50))} ms`, l.recordBreakdown);
  say('the no-op workflow at the same levels:');
  for (const l of levels)
    printBreakdown(`${l.level} in flight, client p50 ${f0(percentile(l.ceiling.latencies, 50))} ms`, l.noopBreakdown);

  say();
  say(
    `drug batch: one traceStep, ${BATCH_ITEMS} fresh trace codes (seal, one STARK, one pushBatch transaction), start → result`,
  );
  for (const [i, b] of batchRuns.entries())
    printBreakdown(`run ${i + 1}: ${f1(b.seconds)} s, ${b.proofs} proof${b.proofs > 1 ? 's' : ''}`, b.breakdown);
  const slowest = Math.max(...batchRuns.map((b) => b.seconds));
  say(
    `goal: ${BATCH_ITEMS} items anchored in <= 10 s — ${slowest <= 10 ? 'met' : 'MISSED'} (slowest of ${batchRuns.length} runs ${f1(slowest)} s)`,
  );
} finally {
  if (noop) {
    noop.worker.shutdown();
    await noop.run.catch(() => undefined);
  }
  await workerProcess?.kill();
  await stack.stop();
}

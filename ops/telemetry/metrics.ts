import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/*
 * Every series the engine exports, in one registry, served as `GET /metrics` (Prometheus text).
 * Names are `yilian_*` with their unit in the name. Label values come only from the fixed sets
 * below (LABEL_VALUES) or, for activities, workflow types and contract functions, from the names
 * the engine registers; `bounded()` turns anything else into `other`, so no id, trace code, free
 * text or PHI can become a label (docs/design.md § Observability).
 */

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'yilian_' });

export const CONNECTORS = ['mllp', 'erp', 'fhir'] as const;
export type Connector = (typeof CONNECTORS)[number];

/** HL7 table 0357 by code: why the HL7 door refused a message (its AE/AR). */
const HL7_REASONS: Readonly<Record<number, string>> = {
  100: 'hl7_segment_sequence_error',
  101: 'hl7_required_field_missing',
  102: 'hl7_data_type_error',
  103: 'hl7_table_value_not_found',
  104: 'hl7_value_too_long',
  200: 'hl7_unsupported_message_type',
  201: 'hl7_unsupported_event_code',
  202: 'hl7_unsupported_processing_id',
  203: 'hl7_unsupported_version_id',
  204: 'hl7_unknown_key_identifier',
  205: 'hl7_duplicate_key',
  206: 'hl7_application_record_locked',
  207: 'hl7_application_internal_error',
};
/** MLLP framing problems, before any handler (connectors/mllp/listener.ts ProtocolProblem). */
const MLLP_PROBLEMS = ['garbage', 'truncated', 'oversize', 'no-msh', 'bad-msh', 'missing-field', 'charset'] as const;
/** The answers of the ERP door other than 202 (README § Connect an ERP). */
const HTTP_REFUSALS = [400, 401, 403, 404, 409, 413, 415, 422, 500, 503] as const;
const FHIR_REASONS = ['fhir_version_conflict', 'fhir_no_patient'] as const;

export const LABEL_VALUES = {
  connector: CONNECTORS,
  reason: [
    ...Object.values(HL7_REASONS),
    ...MLLP_PROBLEMS.map((problem) => `mllp_${problem.replace('-', '_')}`),
    ...HTTP_REFUSALS.map((status) => `http_${status}`),
    ...FHIR_REASONS,
  ],
  state: ['waiting', 'active', 'delayed'],
  outcome: ['success', 'failure', 'completed', 'failed', 'cancelled', 'continued_as_new'],
  worker: ['orchestration', 'native'],
  operation: ['put', 'get', 'stream', 'has', 'raw_block', 'prove', 'encrypt', 'verify_rekey', 'reencrypt'],
  backend: ['embedded', 'kubo'],
  contract: ['Directory', 'RecordRegistry', 'DrugTrace', 'deploy'],
  code: ['UNAVAILABLE', 'TIMEOUT', 'REVERTED', 'PRECOMPILE', 'REJECTED', 'EXECUTION', 'RPC', 'WRONG_CHAIN'],
  method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
  status: ['1xx', '2xx', '3xx', '4xx', '5xx'],
} as const satisfies Record<string, readonly string[]>;

/** The value if it is one of `allowed`, else `other`: a label never carries what it was not declared to. */
export function bounded(allowed: Iterable<string>, value: string): string {
  for (const known of allowed) if (known === value) return value;
  return 'other';
}

/** Seconds since `start` (a `performance.now()`). */
export const secondsSince = (start: number): number => (performance.now() - start) / 1000;

// ——— intake ———

export const intakeReceived = new Counter({
  name: 'yilian_intake_received_total',
  help: 'Messages and events that reached a door of the engine (HL7 frames over MLLP, ERP POSTs, FHIR versions pulled).',
  labelNames: ['connector'],
  registers: [registry],
});
export const intakeAcknowledged = new Counter({
  name: 'yilian_intake_acknowledged_total',
  help: 'Messages and events acknowledged (AA/CA, 202, or queued from a FHIR pull) once durably in the intake queue, duplicates included.',
  labelNames: ['connector'],
  registers: [registry],
});
export const intakeRejected = new Counter({
  name: 'yilian_intake_rejected_total',
  help: 'Messages and events refused (AE/AR, an HTTP error, a FHIR version that cannot be anchored), by reason code.',
  labelNames: ['connector', 'reason'],
  registers: [registry],
});
export const intakeAckSeconds = new Histogram({
  name: 'yilian_intake_ack_duration_seconds',
  help: 'From a message or event read in full to its answer (the durable enqueue included).',
  labelNames: ['connector'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

// every door's series exist from the start, so a rate over them is 0 rather than absent
for (const connector of CONNECTORS) {
  intakeReceived.inc({ connector }, 0);
  intakeAcknowledged.inc({ connector }, 0);
}

/** The MLLP door's refusal reason for an HL7 table 0357 code or a framing problem. */
export const hl7Reason = (code: number): string => HL7_REASONS[code] ?? 'other';
export const mllpProblemReason = (problem: string): string =>
  bounded(LABEL_VALUES.reason, `mllp_${problem.replace('-', '_')}`);
export const httpReason = (status: number): string => bounded(LABEL_VALUES.reason, `http_${status}`);

/** Reads the intake queue's job counts (connectors/intake/admin.ts stats); set by watchIntakeQueue. */
let readIntakeQueue: (() => Promise<Record<'waiting' | 'active' | 'delayed' | 'dead', number>>) | undefined;

/** Makes each scrape read the intake queue's depth and dead letters from Redis. */
export function watchIntakeQueue(read: NonNullable<typeof readIntakeQueue>): void {
  readIntakeQueue = read;
}

export const intakeQueueReadErrors = new Counter({
  name: 'yilian_intake_queue_read_errors_total',
  help: 'Scrapes whose read of the intake queue from Redis failed (the depth and dead-letter series are then absent).',
  registers: [registry],
});
/** One read per scrape for both gauges: the first gauge collected reads, the second takes its result. */
let lastRead: Promise<Awaited<ReturnType<NonNullable<typeof readIntakeQueue>>> | undefined> | undefined;
const readOnce = (first: boolean) => {
  if (first || lastRead === undefined)
    lastRead = readIntakeQueue?.().catch(() => {
      intakeQueueReadErrors.inc();
      return undefined;
    });
  return lastRead;
};
export const intakeQueueJobs = new Gauge({
  name: 'yilian_intake_queue_jobs',
  help: 'Intake jobs waiting, being dispatched (active) or waiting for a retry (delayed), read from Redis at scrape time.',
  labelNames: ['state'],
  registers: [registry],
  async collect() {
    this.reset();
    const counts = await readOnce(true);
    if (counts) for (const state of LABEL_VALUES.state) this.set({ state }, counts[state]);
  },
});
export const intakeDeadLetters = new Gauge({
  name: 'yilian_intake_dead_letters',
  help: 'Intake jobs in the dead-letter set (`yilian queue list dead`), read from Redis at scrape time.',
  registers: [registry],
  async collect() {
    this.reset();
    const counts = await readOnce(false);
    if (counts) this.set(counts.dead);
  },
});

// ——— workflows and activities ———

export const workflowsStarted = new Counter({
  name: 'yilian_workflows_started_total',
  help: 'Workflow runs started on this worker (counted once: not again when a run is replayed).',
  labelNames: ['workflow_type'],
  registers: [registry],
});
export const workflowsClosed = new Counter({
  name: 'yilian_workflows_closed_total',
  help: 'Workflow runs that closed on this worker, by outcome (completed, failed, cancelled, continued_as_new).',
  labelNames: ['workflow_type', 'outcome'],
  registers: [registry],
});
export const activitySeconds = new Histogram({
  name: 'yilian_activity_duration_seconds',
  help: 'Activity executions (each attempt, local activities included) by activity, worker and outcome.',
  labelNames: ['activity', 'worker', 'outcome'],
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [registry],
});

// ——— cryptography ———

export const starkSeconds = new Histogram({
  name: 'yilian_stark_duration_seconds',
  help: 'STARK work done by this engine (operation="prove": one batch proof; verifying is the chain precompile’s, inside the chain submit latency).',
  labelNames: ['operation', 'outcome'],
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64],
  registers: [registry],
});
export const preSeconds = new Histogram({
  name: 'yilian_pre_duration_seconds',
  help: 'AFGH proxy re-encryption: encrypt (wrap a record key), verify_rekey (a grant’s key check), reencrypt (the chain’s read-only call).',
  labelNames: ['operation', 'outcome'],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  registers: [registry],
});

// ——— chain and content store ———

export const chainSubmitSeconds = new Histogram({
  name: 'yilian_chain_submit_duration_seconds',
  help: 'Chain transactions from signing to receipt (the node’s execution and the precompiles’ proof checks included), by contract, function and outcome.',
  labelNames: ['contract', 'function', 'outcome'],
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [registry],
});
export const chainSubmitErrors = new Counter({
  name: 'yilian_chain_submit_errors_total',
  help: 'Chain transactions that failed, by contract, function and ledger error code (REVERTED counts idempotent retries that found their work done).',
  labelNames: ['contract', 'function', 'code'],
  registers: [registry],
});
export const storeSeconds = new Histogram({
  name: 'yilian_store_operation_duration_seconds',
  help: 'Content-store operations by operation (put, get, stream, has, raw_block: an audit’s unverified read of one block), backend and outcome.',
  labelNames: ['operation', 'backend', 'outcome'],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});
// ——— the HTTP API ———

export const httpSeconds = new Histogram({
  name: 'yilian_http_request_duration_seconds',
  help: 'Requests to the API by the route they were mounted under, method and status class.',
  labelNames: ['route', 'method', 'status'],
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** Times `work` into `histogram` with `labels` plus its outcome (success or failure). */
export async function timed<T>(
  histogram: Histogram,
  labels: Record<string, string>,
  work: () => Promise<T>,
): Promise<T> {
  const start = performance.now();
  try {
    const result = await work();
    histogram.observe({ ...labels, outcome: 'success' }, secondsSince(start));
    return result;
  } catch (error) {
    histogram.observe({ ...labels, outcome: 'failure' }, secondsSince(start));
    throw error;
  }
}

import express, { type Router } from 'express';
import {
  CONNECTORS,
  intakeAcknowledged,
  intakeDeadLetters,
  intakeQueueJobs,
  intakeReceived,
  intakeRejected,
  type LABEL_VALUES,
} from './metrics.js';

/** The Operator page's numbers (web/src/api.ts reads this shape): counts only, never an id or PHI. */
export interface OpsSummary {
  intake: Record<(typeof CONNECTORS)[number], { received: number; acknowledged: number; rejected: number }>;
  /** Intake jobs by state, and dead letters; null when Redis could not be read for this answer. */
  queue: Record<(typeof LABEL_VALUES.state)[number] | 'dead', number> | null;
  /** The Temporal Web UI when the engine runs its own Temporal dev server, else null. */
  temporalUi: string | null;
}

type Values = ReadonlyArray<{ value: number; labels: Partial<Record<string, string | number>> }>;
const sum = (values: Values, labels: Record<string, string>) =>
  values
    .filter((value) => Object.entries(labels).every(([name, wanted]) => value.labels[name] === wanted))
    .reduce((total, value) => total + value.value, 0);

/**
 * The same registry values GET /metrics serves, summed per connector: the browser gets a small JSON
 * answer instead of parsing Prometheus text, and nothing beyond what /metrics already shows.
 */
export async function opsSummary(temporalUi: string | null): Promise<OpsSummary> {
  const [received, acknowledged, rejected] = await Promise.all([
    intakeReceived.get(),
    intakeAcknowledged.get(),
    intakeRejected.get(),
  ]);
  // the queue gauges read Redis once per pair, jobs first (ops/telemetry/metrics.ts readOnce)
  const jobs = (await intakeQueueJobs.get()).values;
  const dead = (await intakeDeadLetters.get()).values;
  const intake = Object.fromEntries(
    CONNECTORS.map((connector) => [
      connector,
      {
        received: sum(received.values, { connector }),
        acknowledged: sum(acknowledged.values, { connector }),
        rejected: sum(rejected.values, { connector }),
      },
    ]),
  ) as OpsSummary['intake'];
  const queue =
    jobs.length === 0 || dead.length === 0
      ? null
      : {
          waiting: sum(jobs, { state: 'waiting' }),
          active: sum(jobs, { state: 'active' }),
          delayed: sum(jobs, { state: 'delayed' }),
          dead: sum(dead, {}),
        };
  return { intake, queue, temporalUi };
}

/** `GET /v1/ops/summary`: unauthenticated like /healthz and /metrics, and no more revealing than them. */
export function opsSummaryRoutes(temporalUi: string | null): Router {
  const router = express.Router();
  router.get('/summary', async (_request, response) => {
    response.set('cache-control', 'no-store').json(await opsSummary(temporalUi));
  });
  return router;
}

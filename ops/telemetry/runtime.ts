import { Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import { freePort } from '../services/ports.js';
import { temporalLogger, type LogLevel } from './log.js';
import { registry } from './metrics.js';

/** Where the Temporal runtime of this process serves its own metrics (Prometheus text), once installed. */
let temporalMetricsUrl: string | undefined;

/** The Rust core's filter for a level: its INFO is a line per poller, so info shows its WARN and above. */
const coreLevels: Readonly<Record<LogLevel, 'TRACE' | 'DEBUG' | 'WARN' | 'ERROR'>> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'WARN',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

/**
 * Installs this process's Temporal runtime (before any worker or native connection): its logs,
 * the SDK's and its Rust core's, go to `log`; its worker metrics (task slots, poll and
 * schedule-to-start latencies, sticky cache…) are served on a free loopback port, which nobody
 * scrapes directly: `metricsText()` appends them to the engine's own.
 */
export async function installTemporalRuntime(options: {
  log: Logger;
  level: LogLevel;
  shutdownSignals?: NodeJS.Signals[];
}): Promise<void> {
  const bindAddress = `127.0.0.1:${await freePort()}`;
  Runtime.install({
    // the SDK's INFO is a line per worker state change and the workflow bundle's build report
    logger: temporalLogger(options.log.child({}, { level: options.level === 'info' ? 'warn' : options.level })),
    ...(options.shutdownSignals ? { shutdownSignals: options.shutdownSignals } : {}),
    telemetryOptions: {
      // forwarded to the logger above instead of printed apart in the core's own format
      logging: { filter: { core: coreLevels[options.level], other: 'ERROR' }, forward: {} },
      metrics: {
        prometheus: { bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true },
      },
    },
  });
  temporalMetricsUrl = `http://${bindAddress}/metrics`;
}

/** The Temporal runtime's metrics text; empty when this process installed none. */
async function temporalMetrics(): Promise<string> {
  if (temporalMetricsUrl === undefined) return '';
  const response = await fetch(temporalMetricsUrl, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) throw new Error(`the Temporal runtime's metrics answered HTTP ${response.status}`);
  return response.text();
}

/**
 * The engine's series, then the Temporal runtime's: one Prometheus text exposition. A runtime that
 * does not answer leaves a comment naming why, so the engine's own series are still scraped.
 */
export async function metricsText(): Promise<string> {
  const [own, temporal] = await Promise.all([
    registry.metrics(),
    temporalMetrics().catch(
      (error: unknown) =>
        `# the Temporal runtime's metrics are missing: ${error instanceof Error ? error.message : String(error)}\n`,
    ),
  ]);
  return temporal === '' ? own : `${own}${own.endsWith('\n') ? '' : '\n'}${temporal}`;
}

export const metricsContentType = registry.contentType;

import { Redis } from 'ioredis';
import type { IntakeQueue } from '../intake/queue.js';
import type { IdentityAccounts } from '../hl7/routing.js';
import { authorizationFor } from './authorization.js';
import { pullServer, type PullReport } from './puller.js';
import type { FhirServer } from './servers.js';
import { redisPullState } from './state.js';

export interface FhirPuller {
  /** Stops after the pulls under way (their watermark moves only if they finished). */
  close(): Promise<void>;
}

/** A failed pull is tried again after this long at first, doubling to the server's poll interval times 10. */
const FIRST_RETRY_MS = 1000;

/**
 * Polls each configured FHIR server into the intake queue, one loop per server: pull, wait the
 * server's interval, pull again. A failing server (down, refusing the token) backs off without
 * holding the others; its watermark stays where it was, so nothing is skipped.
 */
export function startFhirPuller(options: {
  servers: readonly FhirServer[];
  queue: IntakeQueue;
  redisUrl: string;
  taskQueue: string;
  accounts: IdentityAccounts;
  log: (line: string) => void;
  onPull?: (server: string, report: PullReport) => void;
}): FhirPuller {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => {});
  const state = redisPullState(redis, options.taskQueue);
  let stopping = false;
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });
  const loops = options.servers.map(async (server) => {
    const author = options.accounts.get(server.hospital);
    if (author === undefined)
      throw new Error(`FHIR server ${server.name}: engine identity ${server.hospital} was not resolved`);
    const authorization = authorizationFor(server);
    let retryMs = FIRST_RETRY_MS;
    while (!stopping) {
      try {
        const report = await pullServer({ server, queue: options.queue, state, author, authorization });
        options.onPull?.(server.name, report);
        if (report.queued + report.conflicts + report.unanchorable > 0)
          options.log(
            `${server.name}: ${report.queued} queued, ${report.duplicates} already queued, ${report.deleted} deleted, ` +
              `${report.unanchorable} without a patient, ${report.conflicts} changed under a known version; up to ${report.watermark ?? '—'}`,
          );
        retryMs = FIRST_RETRY_MS;
        await sleep(server.pollSeconds * 1000);
      } catch (error) {
        options.log(
          `${server.name}: pull failed (${error instanceof Error ? error.message : String(error)}); again in ${retryMs / 1000} s`,
        );
        await sleep(retryMs);
        retryMs = Math.min(retryMs * 2, server.pollSeconds * 10_000);
      }
    }
  });
  return {
    async close() {
      stopping = true;
      for (const wake of [...sleepers]) wake();
      await Promise.allSettled(loops);
      redis.disconnect();
    },
  };
}

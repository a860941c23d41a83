import { redactUrlsIn } from '../../core/redact-url.js';
/** A probe throws (or times out) when its component cannot serve. */
export type HealthProbe = () => Promise<void>;

export interface ComponentHealth {
  status: 'ok' | 'down';
  error?: string;
  latencyMs: number;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  components: Record<string, ComponentHealth>;
}

const PROBE_TIMEOUT_MS = 3000;

/** Runs every probe in parallel, each bounded by a timeout so one hung component cannot hang the answer. */
export async function checkHealth(probes: Record<string, HealthProbe>): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]): Promise<[string, ComponentHealth]> => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          probe(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
          }),
        ]);
        return [name, { status: 'ok', latencyMs: Math.round(performance.now() - started) }];
      } catch (error) {
        return [
          name,
          // the report is unauthenticated: a URL a component quotes must not show its credentials
          {
            status: 'down',
            error: redactUrlsIn((error as Error).message),
            latencyMs: Math.round(performance.now() - started),
          },
        ];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const components = Object.fromEntries(entries);
  const status = entries.every(([, health]) => health.status === 'ok') ? 'ok' : 'degraded';
  return { status, components };
}

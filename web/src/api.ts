/** The engine's answers the pages read: the shapes of connectors/http/health.ts and ops/telemetry/summary.ts. */

export interface HealthReport {
  status: 'ok' | 'degraded';
  components: Record<string, { status: 'ok' | 'down'; error?: string; latencyMs: number }>;
}

export type ConnectorName = 'mllp' | 'erp' | 'fhir';

export interface OpsSummary {
  intake: Record<ConnectorName, { received: number; acknowledged: number; rejected: number }>;
  queue: { waiting: number; active: number; delayed: number; dead: number } | null;
  temporalUi: string | null;
}

/** GET a JSON answer of the engine; /healthz answers 503 with its report when a component is down. */
export async function getJson<T>(path: string, okStatuses: readonly number[] = [200]): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!okStatuses.includes(response.status)) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Prometheus's own text-format parser (Debian's python3-prometheus-client, which ops/bootstrap
 * installs) reads the exposition; it throws on anything a Prometheus server would refuse.
 */
const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
samples = [
    {"name": s.name, "labels": s.labels, "value": s.value}
    for family in text_string_to_metric_families(sys.stdin.read())
    for s in family.samples
]
json.dump(samples, sys.stdout)
`;

export async function parseExposition(text: string): Promise<Sample[]> {
  const run = promisify(execFile)('/usr/bin/python3', ['-c', PARSE], { maxBuffer: 64 * 1024 * 1024 });
  run.child.stdin?.end(text);
  const { stdout } = await run;
  return JSON.parse(stdout) as Sample[];
}

/**
 * Every series name a scrape can be queried by: each sample's name, and what the `# TYPE` lines
 * declare (a counter or histogram that has no sample yet is still exported).
 */
export function exportedNames(text: string, samples: readonly Sample[]): Set<string> {
  const names = new Set(samples.map((sample) => sample.name));
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (name === undefined) continue;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

/** The series names in a Grafana dashboard's PromQL expressions (the engine's and the Temporal SDK's). */
export function dashboardSeries(dashboard: unknown): Set<string> {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null)
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'expr' || key === 'query') && typeof value === 'string')
          for (const [name] of value.matchAll(/\b(?:yilian|temporal)_[a-z0-9_]+/g)) names.add(name);
        else walk(value);
      }
  };
  walk(dashboard);
  return names;
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/**
 * A real OTLP/HTTP receiver on a free loopback port, standing in for an OpenTelemetry Collector
 * (which cannot run here): it takes the exporter's JSON POSTs to /v1/traces, answers as a
 * collector does, and keeps the spans.
 */
export async function startOtlpReceiver(): Promise<{
  endpoint: string;
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}> {
  const { createServer } = await import('node:http');
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (
        request.method !== 'POST' ||
        request.url !== '/v1/traces' ||
        !request.headers['content-type']?.includes('json')
      ) {
        response.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: ReceivedSpan[] }> }>;
      };
      for (const resource of body.resourceSpans ?? [])
        for (const scope of resource.scopeSpans ?? []) spans.push(...(scope.spans ?? []));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

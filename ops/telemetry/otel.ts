import { createRequire } from 'node:module';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';

/**
 * OpenTelemetry traces through Temporal's interceptors, only when YILIAN_OTLP_ENDPOINT is set:
 * client spans for each start, workflow spans (made in the sandbox, exported by the worker through
 * a sink) and activity spans, linked into one trace by the headers Temporal carries. Off, nothing
 * of OpenTelemetry is loaded, in the worker or in the workflow bundle.
 */
export interface Tracing {
  /** Workflow interceptor modules to add to the bundle (after workflows/interceptors.ts). */
  workflowModules: string[];
  activity: ActivityInterceptorsFactory[];
  sinks: InjectedSinks<OpenTelemetrySinks>;
  client: WorkflowClientInterceptor[];
  /** Sends the spans still buffered. */
  shutdown(): Promise<void>;
}

let started: Promise<Tracing> | undefined;

/**
 * This process's tracing, started on first use: spans go by OTLP/HTTP (JSON) to
 * `<endpoint>/v1/traces`, as an OpenTelemetry Collector takes them, batched.
 */
export function tracing(endpoint: string, serviceName: string): Promise<Tracing> {
  started ??= startTracing(endpoint, serviceName);
  return started;
}

async function startTracing(endpoint: string, serviceName: string): Promise<Tracing> {
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { Resource }, { OTLPTraceExporter }, interceptors] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@temporalio/interceptors-opentelemetry'),
    ]);
  const resource = new Resource({ 'service.name': serviceName });
  const processor = new BatchSpanProcessor(
    new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }),
    { scheduledDelayMillis: 1000 },
  );
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // the interceptors take their tracers from the global provider
  provider.register();
  return {
    workflowModules: [
      createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
    ],
    activity: [
      (context) => ({
        inbound: new interceptors.OpenTelemetryActivityInboundInterceptor(context),
        outbound: new interceptors.OpenTelemetryActivityOutboundInterceptor(context),
      }),
    ],
    sinks: { exporter: interceptors.makeWorkflowExporter(processor, resource) },
    client: [new interceptors.OpenTelemetryWorkflowClientInterceptor()],
    shutdown: () => provider.shutdown(),
  };
}

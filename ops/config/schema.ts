import { z } from 'zod';

const port = z.number().int().min(1).max(65535);
const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'expected host:port, for example 127.0.0.1:7233');
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
/** An origin as a browser sends it in `Origin`: scheme, host and port, no path. */
const origin = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
    } catch {
      return false;
    }
  },
  { error: 'expected origins like https://yilian.hospital-b.example (scheme, host, port; no path or trailing slash)' },
);
/** A comma-separated list (an environment variable) or a JSON array (the config file). */
const commaList = (value: unknown) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '')
    : value;
const redisUrl = z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' });

/**
 * `embedded` means `./ops/up` starts and owns the service on loopback; `external` means it is
 * already running elsewhere (a Temporal cluster, a managed Redis) and Yilian only connects.
 */
const mode = z.enum(['embedded', 'external']);

export const configSchema = z.strictObject({
  home: z.string().min(1),
  toolsDir: z.string().min(1),
  temporal: z.strictObject({
    mode,
    address: hostPort,
    namespace: z.string().min(1),
    uiPort: port,
    /** Temporal Cloud / cluster API key; a secret. */
    apiKey: z.string().min(1).optional(),
    tls: z.boolean(),
  }),
  redis: z.strictObject({
    mode,
    url: redisUrl,
    /**
     * Accept an external Redis whose settings could lose an acknowledged message (no AOF, AOF
     * not fsync'd on every write, an evicting memory policy, or settings it will not show).
     */
    allowUnsafe: z.boolean(),
  }),
  intake: z.strictObject({
    /** Days a dispatched job is kept, so a re-sent message is still answered as a duplicate. */
    keepDays: z.number().int().min(1).max(3650),
    /** Hours the dispatcher keeps retrying a start while Temporal is away, before dead-lettering. */
    retryHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 365),
    /** Workflow starts one dispatcher runs at once. */
    concurrency: z.number().int().min(1).max(1000),
    /** `batched`: records are anchored by batch executions; `per-message`: one anchorRecord run each. */
    anchoring: z.enum(['batched', 'per-message']),
    /** Messages one dispatcher sends to a batch execution in one signal at most. */
    batchMessages: z.number().int().min(1).max(256),
    /** How long a group's first message waits for more. */
    batchWindowMs: z.number().int().min(0).max(10_000),
    /** Batch executions per author, anchoring side by side. */
    batchShards: z.number().int().min(1).max(64),
  }),
  storage: z.strictObject({
    backend: z.enum(['embedded', 'kubo']),
    kuboApiUrl: httpUrl,
  }),
  chain: z.strictObject({
    mode,
    /** FISCO BCOS 3.x JSON-RPC (the node's `[rpc]` port with `enable_ssl=false`). */
    rpcUrl: httpUrl,
    chainId: z.string().min(1),
    groupId: z.string().min(1),
    /**
     * The consortium's deployment record (the CA engine's `chain/contracts.json`, public): this
     * engine joins those contracts, and never deploys any nor makes or holds a CA key. Unset, the
     * engine is the CA's: it deploys the contracts from its own CA key on first start.
     */
    contracts: z.string().min(1).optional(),
  }),
  keystore: z.strictObject({
    /** Unlocks the organisation's keystore files; a secret. Generated for the embedded stack when unset. */
    password: z.string().min(8, 'must be at least 8 characters').optional(),
    /** Unlocks a person's wallet keystore for the `yilian wallet|record` commands; a secret. */
    walletPassword: z.string().min(8, 'must be at least 8 characters').optional(),
  }),
  codec: z.strictObject({
    /** `id:base64key,...`, first = current; secret. Generated for an embedded Temporal when unset. */
    keys: z.string().min(1).optional(),
    /** Bearer token of the codec endpoint; secret. Generated for the embedded stack when unset. */
    token: z.string().min(16, 'must be at least 16 characters').optional(),
  }),
  operators: z.strictObject({
    /**
     * Who may authorize registering, revoking and enrolment on this engine: `ca:0x…,hospital:0x…`
     * (an account may be listed under both). Defaults to the embedded stack's own operator.
     */
    list: z
      .string()
      .regex(
        /^\s*(ca|hospital):0x[0-9a-fA-F]{40}(\s*,\s*(ca|hospital):0x[0-9a-fA-F]{40})*\s*$/,
        'expected role:0xaddress[,role:0xaddress...] with role ca or hospital',
      )
      .optional(),
    /** The operator's own keystore folder, for the CLI's operator commands (default `<data dir>/operator`). */
    dir: z.string().min(1).optional(),
    /** Unlocks it; a secret. Generated for the embedded stack when unset. */
    password: z.string().min(8, 'must be at least 8 characters').optional(),
  }),
  api: z.strictObject({
    host: z.string().min(1),
    port,
    /** The API's URL as wallets and operators reach it (behind a proxy, its public URL); inbox requests are signed for it. */
    publicUrl: httpUrl.optional(),
    /**
     * The consortium's other engines, as their web wallet pages' origins: those pages may call
     * this engine's wallet routes (CORS on /inbox, /v1/chain, /v1/blocks, /v1/prekeys,
     * /v1/enrolments, /v1/grants), and this engine's own wallet page may call them (its CSP's
     * connect-src). Empty: same origin only.
     */
    walletOrigins: z.preprocess(commaList, z.array(origin).max(64)),
  }),
  mllp: z.strictObject({
    /** Whether `./ops/up` runs the HL7 v2 MLLP listener. */
    enabled: z.boolean(),
    host: z.string().min(1),
    port,
    /** PEM certificate and key files: the listener speaks MLLP over TLS when both are set. */
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    /** PEM CA file: when set, senders must present a client certificate it issued (mutual TLS). */
    tlsCa: z.string().min(1).optional(),
    /** A larger message is answered AR naming the limit, and the connection goes on. */
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024),
    /** A connection without traffic for this long is closed. */
    idleTimeoutSeconds: z.number().int().min(1),
    /** The charset of messages whose MSH-18 is empty (iconv-lite name, e.g. utf-8, windows-1252, gb18030). */
    charset: z.string().min(1),
    /** A routing configuration file (docs/hl7-routing.md); without one every facility is accepted and signed by `hospital`. */
    routes: z.string().min(1).optional(),
    /** The engine identity (local name) that signs records under the open routing; created on first start. */
    hospital: z.string().min(1),
  }),
  fhir: z.strictObject({
    /** A FHIR servers file (docs/fhir-pull.md): each server is pulled into the intake queue. */
    servers: z.string().min(1).optional(),
  }),
  workers: z.strictObject({
    taskQueue: z.string().min(1),
    /** Where `./ops/up` runs the native queue's worker: in its own process, or in a child process beside it. */
    native: z.enum(['in-process', 'process']),
  }),
  telemetry: z.strictObject({
    /** The least severe log event written (pino levels); `silent` writes none. */
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    /** An OTLP/HTTP endpoint (an OpenTelemetry Collector's, e.g. http://otel-collector:4318): traces go to its /v1/traces. Off when unset. */
    otlpEndpoint: httpUrl.optional(),
    /** Where a worker or dispatcher host (ops/workers/main.ts) serves GET /metrics, on the API host; `./ops/up` serves it on the API. Off when unset. */
    metricsPort: port.optional(),
  }),
});

export type Config = z.infer<typeof configSchema>;

/** Where the engine's HTTP API is reached (inboxes, the codec endpoint, /healthz): its public URL, else where it listens. */
export const apiUrlOf = (config: Config): string =>
  config.api.publicUrl?.replace(/\/+$/, '') ?? `http://${config.api.host}:${config.api.port}`;

/** Paths (dot-separated) whose values must never be printed. */
export const secretPaths: ReadonlySet<string> = new Set([
  'temporal.apiKey',
  'keystore.password',
  'keystore.walletPassword',
  'codec.keys',
  'codec.token',
  'operators.password',
]);

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema, secretPaths, type Config } from './schema.js';
import { defaultToolsDir } from '../tools.js';
import { redactUrl } from '../../core/redact-url.js';
import { DEFAULT_GROUPING } from '../../connectors/intake/anchor-groups.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

type EnvKind = 'string' | 'int' | 'bool';

/** Every environment variable Yilian reads, and the configuration path it sets. */
export const envVariables: ReadonlyArray<{ name: string; path: string; kind: EnvKind }> = [
  { name: 'YILIAN_HOME', path: 'home', kind: 'string' },
  { name: 'YILIAN_TOOLS_DIR', path: 'toolsDir', kind: 'string' },
  { name: 'YILIAN_TEMPORAL_MODE', path: 'temporal.mode', kind: 'string' },
  { name: 'YILIAN_TEMPORAL_ADDRESS', path: 'temporal.address', kind: 'string' },
  { name: 'YILIAN_TEMPORAL_NAMESPACE', path: 'temporal.namespace', kind: 'string' },
  { name: 'YILIAN_TEMPORAL_UI_PORT', path: 'temporal.uiPort', kind: 'int' },
  { name: 'YILIAN_TEMPORAL_API_KEY', path: 'temporal.apiKey', kind: 'string' },
  { name: 'YILIAN_TEMPORAL_TLS', path: 'temporal.tls', kind: 'bool' },
  { name: 'YILIAN_REDIS_MODE', path: 'redis.mode', kind: 'string' },
  { name: 'YILIAN_REDIS_URL', path: 'redis.url', kind: 'string' },
  { name: 'YILIAN_REDIS_ALLOW_UNSAFE', path: 'redis.allowUnsafe', kind: 'bool' },
  { name: 'YILIAN_INTAKE_KEEP_DAYS', path: 'intake.keepDays', kind: 'int' },
  { name: 'YILIAN_INTAKE_RETRY_HOURS', path: 'intake.retryHours', kind: 'int' },
  { name: 'YILIAN_INTAKE_CONCURRENCY', path: 'intake.concurrency', kind: 'int' },
  { name: 'YILIAN_INTAKE_ANCHORING', path: 'intake.anchoring', kind: 'string' },
  { name: 'YILIAN_INTAKE_BATCH_MESSAGES', path: 'intake.batchMessages', kind: 'int' },
  { name: 'YILIAN_INTAKE_BATCH_WINDOW_MS', path: 'intake.batchWindowMs', kind: 'int' },
  { name: 'YILIAN_INTAKE_BATCH_SHARDS', path: 'intake.batchShards', kind: 'int' },
  { name: 'YILIAN_STORAGE_BACKEND', path: 'storage.backend', kind: 'string' },
  { name: 'YILIAN_KUBO_API_URL', path: 'storage.kuboApiUrl', kind: 'string' },
  { name: 'YILIAN_CHAIN_MODE', path: 'chain.mode', kind: 'string' },
  { name: 'YILIAN_CHAIN_RPC_URL', path: 'chain.rpcUrl', kind: 'string' },
  { name: 'YILIAN_CHAIN_ID', path: 'chain.chainId', kind: 'string' },
  { name: 'YILIAN_CHAIN_GROUP', path: 'chain.groupId', kind: 'string' },
  { name: 'YILIAN_CHAIN_CONTRACTS', path: 'chain.contracts', kind: 'string' },
  { name: 'YILIAN_KEYSTORE_PASSWORD', path: 'keystore.password', kind: 'string' },
  { name: 'YILIAN_WALLET_PASSWORD', path: 'keystore.walletPassword', kind: 'string' },
  { name: 'YILIAN_CODEC_KEYS', path: 'codec.keys', kind: 'string' },
  { name: 'YILIAN_CODEC_TOKEN', path: 'codec.token', kind: 'string' },
  { name: 'YILIAN_OPERATORS', path: 'operators.list', kind: 'string' },
  { name: 'YILIAN_OPERATOR_DIR', path: 'operators.dir', kind: 'string' },
  { name: 'YILIAN_OPERATOR_PASSWORD', path: 'operators.password', kind: 'string' },
  { name: 'YILIAN_API_HOST', path: 'api.host', kind: 'string' },
  { name: 'YILIAN_API_PORT', path: 'api.port', kind: 'int' },
  { name: 'YILIAN_API_PUBLIC_URL', path: 'api.publicUrl', kind: 'string' },
  { name: 'YILIAN_API_WALLET_ORIGINS', path: 'api.walletOrigins', kind: 'string' },
  { name: 'YILIAN_MLLP_ENABLED', path: 'mllp.enabled', kind: 'bool' },
  { name: 'YILIAN_MLLP_HOST', path: 'mllp.host', kind: 'string' },
  { name: 'YILIAN_MLLP_PORT', path: 'mllp.port', kind: 'int' },
  { name: 'YILIAN_MLLP_TLS_CERT', path: 'mllp.tlsCert', kind: 'string' },
  { name: 'YILIAN_MLLP_TLS_KEY', path: 'mllp.tlsKey', kind: 'string' },
  { name: 'YILIAN_MLLP_TLS_CA', path: 'mllp.tlsCa', kind: 'string' },
  { name: 'YILIAN_MLLP_MAX_MESSAGE_BYTES', path: 'mllp.maxMessageBytes', kind: 'int' },
  { name: 'YILIAN_MLLP_IDLE_TIMEOUT_SECONDS', path: 'mllp.idleTimeoutSeconds', kind: 'int' },
  { name: 'YILIAN_MLLP_CHARSET', path: 'mllp.charset', kind: 'string' },
  { name: 'YILIAN_HL7_ROUTES', path: 'mllp.routes', kind: 'string' },
  { name: 'YILIAN_HOSPITAL_IDENTITY', path: 'mllp.hospital', kind: 'string' },
  { name: 'YILIAN_FHIR_SERVERS', path: 'fhir.servers', kind: 'string' },
  { name: 'YILIAN_TASK_QUEUE', path: 'workers.taskQueue', kind: 'string' },
  { name: 'YILIAN_NATIVE_WORKER', path: 'workers.native', kind: 'string' },
  { name: 'YILIAN_LOG_LEVEL', path: 'telemetry.logLevel', kind: 'string' },
  { name: 'YILIAN_OTLP_ENDPOINT', path: 'telemetry.otlpEndpoint', kind: 'string' },
  { name: 'YILIAN_METRICS_PORT', path: 'telemetry.metricsPort', kind: 'int' },
];

const defaults = {
  home: './.yilian',
  /** Per user, outside the clone, shared by every clone: `${XDG_CACHE_HOME:-$HOME/.cache}/yilian/tools`, as in ops/bootstrap. */
  toolsDir: defaultToolsDir(),
  temporal: { mode: 'embedded', address: '127.0.0.1:7233', namespace: 'default', uiPort: 8233, tls: false },
  redis: { mode: 'embedded', url: 'redis://127.0.0.1:6379', allowUnsafe: false },
  intake: {
    keepDays: 7,
    retryHours: 24,
    concurrency: 16,
    anchoring: 'batched',
    batchMessages: DEFAULT_GROUPING.maxMessages,
    batchWindowMs: DEFAULT_GROUPING.windowMs,
    batchShards: DEFAULT_GROUPING.shards,
  },
  storage: { backend: 'embedded', kuboApiUrl: 'http://127.0.0.1:5001' },
  chain: { mode: 'embedded', rpcUrl: 'http://127.0.0.1:20200', chainId: 'chain0', groupId: 'group0' },
  keystore: {},
  codec: {},
  operators: {},
  api: { host: '127.0.0.1', port: 8080, walletOrigins: [] },
  mllp: {
    enabled: true,
    host: '127.0.0.1',
    port: 2575,
    maxMessageBytes: 4 * 1024 * 1024,
    // senders keep one connection open for days and may be quiet overnight; a dead peer is what this catches
    idleTimeoutSeconds: 3600,
    charset: 'utf-8',
    hospital: 'Hospital',
  },
  fhir: {},
  workers: { taskQueue: 'yilian', native: 'in-process' },
  telemetry: { logLevel: 'info' },
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid Yilian configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Tree = { [key: string]: unknown };

function setPath(tree: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  const leaf = keys.pop() ?? path;
  let node = tree;
  for (const key of keys) {
    const next = node[key];
    node = typeof next === 'object' && next !== null ? (next as Tree) : (node[key] = {});
  }
  node[leaf] = value;
}

function mergeInto(target: Tree, source: Tree): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isTree(value) && isTree(existing)) mergeInto(existing, value);
    else target[key] = value;
  }
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function leafPaths(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    isTree(value) ? leafPaths(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

/** The typed value of a variable, or an error message. */
function parseEnvValue(kind: EnvKind, raw: string): { value: unknown } | { error: string } {
  if (kind === 'int') return /^\d+$/.test(raw) ? { value: Number(raw) } : { error: 'expected a whole number' };
  if (kind === 'bool') {
    if (raw === 'true' || raw === '1') return { value: true };
    if (raw === 'false' || raw === '0') return { value: false };
    return { error: 'expected true or false' };
  }
  return { value: raw };
}

/**
 * Builds the configuration from defaults, then an optional JSON file (`YILIAN_CONFIG`, or
 * `config.json` in the data dir), then environment variables; reports every bad value at once,
 * each named by where it came from.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const sourceOf = new Map<string, string>();
  const tree: Tree = structuredClone(defaults);

  const fromEnv: Tree = {};
  for (const { name, path, kind } of envVariables) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const parsed = parseEnvValue(kind, raw);
    const where = `${name}=${JSON.stringify(secretPaths.has(path) ? '***' : redactUrl(raw))}`;
    if ('error' in parsed) {
      problems.push(`${where}: ${parsed.error}`);
      continue;
    }
    setPath(fromEnv, path, parsed.value);
    sourceOf.set(path, where);
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith('YILIAN_') && name !== 'YILIAN_CONFIG' && !envVariables.some((v) => v.name === name)) {
      problems.push(`${name}: unknown setting (known: ${envVariables.map((v) => v.name).join(', ')}, YILIAN_CONFIG)`);
    }
  }

  const home = resolve(cwd, typeof fromEnv.home === 'string' ? fromEnv.home : defaults.home);
  const configFile = env.YILIAN_CONFIG ? resolve(cwd, env.YILIAN_CONFIG) : resolve(home, 'config.json');
  if (env.YILIAN_CONFIG && !existsSync(configFile)) {
    problems.push(`YILIAN_CONFIG=${env.YILIAN_CONFIG}: file not found`);
  } else if (existsSync(configFile)) {
    try {
      const fromFile: unknown = JSON.parse(readFileSync(configFile, 'utf8'));
      if (!isTree(fromFile)) throw new Error('expected a JSON object');
      for (const path of leafPaths(fromFile)) if (!sourceOf.has(path)) sourceOf.set(path, `${configFile}: ${path}`);
      mergeInto(tree, fromFile);
    } catch (error) {
      problems.push(`${configFile}: ${(error as Error).message}`);
    }
  }
  mergeInto(tree, fromEnv);

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join('.');
      // a list's item is named by the setting that gave the list
      const given = issue.path.map((_, i) => issue.path.slice(0, issue.path.length - i).join('.'));
      const where = given.map((prefix) => sourceOf.get(prefix)).find(Boolean) ?? (path || 'configuration');
      problems.push(`${where}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const config = parsed.data;
  return { ...config, home: resolve(cwd, config.home), toolsDir: resolve(cwd, config.toolsDir) };
}

import { pino, type DestinationStream, type Logger } from 'pino';
import type { Logger as TemporalLogger, LogLevel as TemporalLevel, LogMetadata } from '@temporalio/common';
import type { Config } from '../config/index.js';

export type { Logger } from 'pino';

/** YILIAN_LOG_LEVEL: pino's levels. */
export type LogLevel = Config['telemetry']['logLevel'];

/**
 * Fields whose values never reach a log, wherever they sit in an event (a request's headers, a
 * job's data), matched without regard to case: secrets, and message bodies, which are PHI (HL7,
 * FHIR) or carry trace codes (ERP). Ids, addresses, CIDs, counts and codes of what went wrong are
 * what a log event is for.
 */
const SECRET_FIELDS = [
  'password',
  'passphrase',
  'token',
  'authorization',
  'cookie',
  'apiKey',
  'secret',
  'secretKey',
  'privateKey',
  'codecKeys',
  'keys',
  'dek',
  'rk',
  'traceCode',
  'traceCodes',
  // an activity's task token completes it for whoever holds it (the SDK puts it on activity log events)
  'taskToken',
];
const BODY_FIELDS = [
  'body',
  'payload',
  'payloads',
  'record',
  'hl7',
  'fhir',
  'resource',
  'text',
  'bytes',
  'items',
  'input',
];
const REDACTED = new Set([...SECRET_FIELDS, ...BODY_FIELDS].map((field) => field.toLowerCase()));
export const CENSOR = '[redacted]';

/** Deeper than this an event is cut: no log event of the engine nests so far, and a cycle must end. */
const MAX_DEPTH = 8;

const isPlain = (value: object) => {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/**
 * The event with every redacted field's value replaced. This is pino's `formatters.log`, not its
 * `redact` option: redact's wildcard paths cost about 100 µs an event here (measured, 81 paths
 * down to two levels), a walk over the keys about 3 µs at any depth. Errors are left to pino's
 * serializer (their message is the engine's own words, never a body).
 */
export function redactEvent(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => redactEvent(item, depth + 1));
  if (!isPlain(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key,
      REDACTED.has(key.toLowerCase()) ? CENSOR : redactEvent(field, depth + 1),
    ]),
  );
}

/**
 * The engine's logger: one JSON object per line (pino), `component` naming the part of the engine,
 * and `workflowId` / `jobId` where an event concerns one. `destination` defaults to stdout.
 */
export function createLogger(options: {
  level: LogLevel;
  component?: string;
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level,
      base: { pid: process.pid, ...(options.component ? { component: options.component } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (event) => redactEvent(event) as Record<string, unknown>,
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** What a console line shows beyond component and message: the correlation ids and the error. */
const SHOWN = ['workflowId', 'jobId', 'activityType'] as const;

/**
 * One log event as the console line `./ops/up` has always printed (`<component padded> <message>`),
 * with its correlation ids: what an operator reads on a terminal; the JSON is for machines.
 */
export function consoleLine(line: string): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  const extras = SHOWN.filter((key) => event[key] !== undefined).map((key) => ` ${key}=${text(event[key])}`);
  const error = event.err as { message?: unknown } | undefined;
  const cause = error?.message === undefined ? '' : ` (${text(error.message)})`;
  // the supervisor's own lines (`ready`, `stopping`) have no component, as they always had none
  const component = typeof event.component === 'string' ? `${event.component.padEnd(9)} ` : '';
  return `${component}${text(event.msg ?? '')}${cause}${extras.join('')}\n`;
}

/** A destination that prints each JSON event as its console line. */
export function consoleDestination(
  write: (text: string) => void = (text) => process.stdout.write(text),
): DestinationStream {
  return { write: (line: string) => write(consoleLine(line)) };
}

/** JSON lines, or the console lines on a terminal. */
export const stdoutDestination = (): DestinationStream =>
  process.stdout.isTTY ? consoleDestination() : pino.destination({ dest: 1, sync: true });

const temporalLevels: Readonly<Record<TemporalLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'>> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal SDK's logger (its own lines, workflow and activity `log` calls) writing to pino:
 * its metadata (workflowId, runId, workflowType, activityType, taskQueue…) become fields, so a
 * workflow's lines are found by its id.
 */
export function temporalLogger(log: Logger): TemporalLogger {
  const at =
    (level: TemporalLevel) =>
    (message: string, meta?: LogMetadata): void => {
      const { error, ...fields } = (meta ?? {}) as LogMetadata & { error?: unknown };
      log[temporalLevels[level]]({ ...fields, ...(error === undefined ? {} : { err: error }) }, message);
    };
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}

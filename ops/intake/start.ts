import { readFile } from 'node:fs/promises';
import type { EngineState } from '../../activities/state/index.js';
import type { WorkflowStarter } from '../../workflows/starter.js';
import { hl7IntakeHandler } from '../../connectors/hl7/intake-handler.js';
import { startMllpListener, type MllpEvent } from '../../connectors/mllp/listener.js';
import type { IntakeQueue } from '../../connectors/intake/queue.js';
import type { Config } from '../config/index.js';
import { intakeQueueFromConfig, startDispatcherFromConfig } from '../workers/dispatcher.js';
import { loadRouting, routingAccounts } from './routing.js';
import { openIntakeAdmin } from '../../connectors/intake/admin.js';
import { codecKeyringFromConfig } from '../codec/from-config.js';
import type { Logger } from '../telemetry/log.js';
import type { Tracing } from '../telemetry/otel.js';
import { watchIntakeQueue } from '../telemetry/metrics.js';
import { countedHl7Handler, countMllpEvent } from '../telemetry/intake.js';

type Stopper = [name: string, stop: () => Promise<void>];

/**
 * The intake queue every door of `./ops/up` writes to before it acknowledges (the MLLP listener,
 * the ERP API), a dispatcher that starts the queued workflows, and the queue's depth read at each
 * scrape of /metrics. Returns the queue and the stoppers in start order (stopped in reverse: the
 * dispatcher, then the queue).
 */
export async function startIntakeQueue(
  config: Config,
  log: Logger,
  tracing?: Tracing,
): Promise<{ queue: IntakeQueue; stoppers: Stopper[] }> {
  const stoppers: Stopper[] = [];
  const intakeLog = log.child({ component: 'intake' });
  const queue = await intakeQueueFromConfig(config, (error) => intakeLog.warn({ err: error }, 'queue connection'));
  stoppers.push(['intake', () => queue.close()]);
  const admin = await openIntakeAdmin({
    redisUrl: config.redis.url,
    keys: await codecKeyringFromConfig(config),
    taskQueue: config.workers.taskQueue,
  });
  watchIntakeQueue(() => admin.stats());
  stoppers.push(['intake-stats', () => admin.close()]);
  const dispatcher = await startDispatcherFromConfig(config, log.child({ component: 'dispatch' }), tracing);
  stoppers.push(['dispatch', () => dispatcher.close()]);
  return { queue, stoppers };
}

/**
 * The HL7 v2 door of `./ops/up`: the routing (checked before anything listens) and the MLLP
 * listener writing to the intake queue. Returns its stopper (the listener answers what it holds).
 */
export async function startMllpIntake(
  config: Config,
  state: EngineState,
  workflows: WorkflowStarter,
  queue: IntakeQueue,
  log: Logger,
): Promise<Stopper[]> {
  const mllpLog = log.child({ component: 'mllp' });
  const stoppers: Stopper[] = [];
  const { routing, source } = await loadRouting(config);
  const accounts = await routingAccounts(config, routing, state, workflows);
  const { mllp } = config;
  const tls =
    mllp.tlsCert && mllp.tlsKey
      ? {
          cert: await readFile(mllp.tlsCert),
          key: await readFile(mllp.tlsKey),
          ...(mllp.tlsCa ? { ca: await readFile(mllp.tlsCa), requestCert: true } : {}),
        }
      : undefined;
  if (Boolean(mllp.tlsCert) !== Boolean(mllp.tlsKey))
    throw new Error('YILIAN_MLLP_TLS_CERT and YILIAN_MLLP_TLS_KEY go together: set both for MLLP over TLS, or neither');
  const listener = await startMllpListener({
    host: mllp.host,
    port: mllp.port,
    ...(tls ? { tls } : {}),
    maxMessageBytes: mllp.maxMessageBytes,
    idleTimeoutMs: mllp.idleTimeoutSeconds * 1000,
    defaultCharset: mllp.charset,
    handler: countedHl7Handler(hl7IntakeHandler({ routing, accounts, queue })),
    log: (event) => {
      countMllpEvent(event);
      logMllpEvent(mllpLog, event);
    },
  });
  stoppers.push(['mllp', () => listener.close()]);
  mllpLog.info(
    `ok mllp${tls ? '+tls' : ''}://${listener.address.host}:${listener.address.port}, routing ${source}, ` +
      `max ${mllp.maxMessageBytes} bytes, default charset ${mllp.charset}; acknowledges after the durable enqueue`,
  );
  return stoppers;
}

/**
 * The listener's events as log events: problems at warn (error for a failed intake), connections at
 * debug. Never message contents: the listener's events carry none.
 */
export function logMllpEvent(log: Logger, event: MllpEvent): void {
  const { type, ...fields } = event;
  switch (type) {
    case 'protocol-error':
      log.warn({ event: type, ...fields }, `${event.remoteAddress}: ${event.problem}, answered ${event.status}`);
      return;
    case 'handler-error':
      log.error({ event: type, ...fields }, `${event.remoteAddress}: the intake failed (${event.error}), answered AR`);
      return;
    case 'tls-error':
      log.warn({ event: type, ...fields }, `${event.remoteAddress}: TLS ${event.code}`);
      return;
    case 'socket-error':
      log.debug({ event: type, ...fields }, `${event.remoteAddress}: socket ${event.code}`);
      return;
    default:
      log.debug({ event: type, ...fields }, type);
  }
}

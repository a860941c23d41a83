import { readFile } from 'node:fs/promises';
import type { EngineState } from '../../activities/state/index.js';
import type { WorkflowStarter } from '../../workflows/starter.js';
import { hl7IntakeHandler } from '../../connectors/hl7/intake-handler.js';
import { startMllpListener, type MllpEvent } from '../../connectors/mllp/listener.js';
import type { IntakeQueue } from '../../connectors/intake/queue.js';
import type { Config } from '../config/index.js';
import { intakeQueueFromConfig, startDispatcherFromConfig } from '../workers/dispatcher.js';
import { messageOf } from '../error-message.js';
import { loadRouting, routingAccounts } from './routing.js';

type Stopper = [name: string, stop: () => Promise<void>];

/**
 * The intake queue every door of `./ops/up` writes to before it acknowledges (the MLLP listener,
 * the ERP API), and a dispatcher that starts the queued workflows. Returns the queue and the
 * stoppers in start order (stopped in reverse: the dispatcher, then the queue).
 */
export async function startIntakeQueue(
  config: Config,
  say: (component: string, message: string) => void,
): Promise<{ queue: IntakeQueue; stoppers: Stopper[] }> {
  const stoppers: Stopper[] = [];
  const queue = await intakeQueueFromConfig(config, (error) => say('intake', `queue: ${messageOf(error)}`));
  stoppers.push(['intake', () => queue.close()]);
  const dispatcher = await startDispatcherFromConfig(config, (line) => say('dispatch', line));
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
  say: (component: string, message: string) => void,
): Promise<Stopper[]> {
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
    handler: hl7IntakeHandler({ routing, accounts, queue }),
    log: (event) => {
      const line = describe(event);
      if (line) say('mllp', line);
    },
  });
  stoppers.push(['mllp', () => listener.close()]);
  say(
    'mllp',
    `ok mllp${tls ? '+tls' : ''}://${listener.address.host}:${listener.address.port}, routing ${source}, ` +
      `max ${mllp.maxMessageBytes} bytes, default charset ${mllp.charset}; acknowledges after the durable enqueue`,
  );
  return stoppers;
}

/** Problems worth an operator's line; never message contents (the listener's events carry none). */
function describe(event: MllpEvent): string | undefined {
  switch (event.type) {
    case 'protocol-error':
      return `${event.remoteAddress}: ${event.problem}, answered ${event.status}`;
    case 'handler-error':
      return `${event.remoteAddress}: the intake failed (${event.error}), answered AR`;
    case 'tls-error':
      return `${event.remoteAddress}: TLS ${event.code}`;
    default:
      return undefined;
  }
}

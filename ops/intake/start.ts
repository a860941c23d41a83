import { readFile } from 'node:fs/promises';
import type { EngineState } from '../../activities/state/index.js';
import type { WorkflowStarter } from '../../workflows/starter.js';
import { hl7IntakeHandler } from '../../connectors/hl7/intake-handler.js';
import { startMllpListener, type MllpEvent, type MllpListener } from '../../connectors/mllp/listener.js';
import type { IdentityAccounts, RoutingConfig } from '../../connectors/hl7/routing.js';
import type { IntakeQueue } from '../../connectors/intake/queue.js';
import type { Config } from '../config/index.js';
import { intakeQueueFromConfig, startDispatcherFromConfig } from '../workers/dispatcher.js';
import { messageOf } from '../error-message.js';
import { loadRouting, routingAccounts } from './routing.js';
import { startFhirIntake } from './fhir.js';

type Stopper = [name: string, stop: () => Promise<void>];

/**
 * The doors of `./ops/up`: the intake queue every connector writes to before it acknowledges, a
 * dispatcher that starts the queued workflows, the MLLP listener (unless disabled) and the FHIR
 * puller (when servers are configured). Configuration is checked before anything listens or
 * pulls. Returns the stoppers in start order (stopped in reverse: the doors first, answering what
 * they hold, the queue last).
 */
export async function startIntake(
  config: Config,
  state: EngineState,
  workflows: WorkflowStarter,
  say: (component: string, message: string) => void,
): Promise<Stopper[]> {
  const stoppers: Stopper[] = [];
  if (!config.mllp.enabled && config.fhir.servers === undefined) return stoppers;
  const hl7 = config.mllp.enabled ? await loadRouting(config) : undefined;
  const accounts = hl7 ? await routingAccounts(config, hl7.routing, state, workflows) : undefined;
  const queue = await intakeQueueFromConfig(config, (error) => say('intake', `queue: ${messageOf(error)}`));
  stoppers.push(['intake', () => queue.close()]);
  const dispatcher = await startDispatcherFromConfig(config, (line) => say('dispatch', line));
  stoppers.push(['dispatch', () => dispatcher.close()]);
  if (hl7 && accounts) {
    const listener = await startHl7Listener(config, hl7.routing, accounts, queue, say);
    stoppers.push(['mllp', () => listener.close()]);
    say(
      'mllp',
      `ok mllp${config.mllp.tlsCert ? '+tls' : ''}://${listener.address.host}:${listener.address.port}, routing ${hl7.source}, ` +
        `max ${config.mllp.maxMessageBytes} bytes, default charset ${config.mllp.charset}; acknowledges after the durable enqueue`,
    );
  }
  const puller = await startFhirIntake(config, state, queue, say);
  if (puller) stoppers.push(['fhir', () => puller.close()]);
  return stoppers;
}

async function startHl7Listener(
  config: Config,
  routing: RoutingConfig,
  accounts: IdentityAccounts,
  queue: IntakeQueue,
  say: (component: string, message: string) => void,
): Promise<MllpListener> {
  const { mllp } = config;
  if (Boolean(mllp.tlsCert) !== Boolean(mllp.tlsKey))
    throw new Error('YILIAN_MLLP_TLS_CERT and YILIAN_MLLP_TLS_KEY go together: set both for MLLP over TLS, or neither');
  const tls =
    mllp.tlsCert && mllp.tlsKey
      ? {
          cert: await readFile(mllp.tlsCert),
          key: await readFile(mllp.tlsKey),
          ...(mllp.tlsCa ? { ca: await readFile(mllp.tlsCa), requestCert: true } : {}),
        }
      : undefined;
  return startMllpListener({
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

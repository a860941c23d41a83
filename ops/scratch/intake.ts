import { hl7IntakeHandler } from '../../connectors/hl7/intake-handler.js';
import { openRouting, type RoutingConfig } from '../../connectors/hl7/routing.js';
import type { IntakeQueue } from '../../connectors/intake/queue.js';
import { startMllpListener, type MllpListener } from '../../connectors/mllp/listener.js';
import { logMllpEvent } from '../intake/start.js';
import { countedHl7Handler, countMllpEvent } from '../telemetry/intake.js';
import type { Logger } from '../telemetry/log.js';

/**
 * The HL7 door as `./ops/up` runs it, on a free loopback port, for tests and benchmarks: an MLLP
 * listener routing into `queue`, records signed by `hospital` (under the open routing unless
 * another is given, whose identities must all be `hospital.name`), counted and logged to `log`
 * (its component `mllp`) as there.
 */
export function startScratchListener(options: {
  queue: IntakeQueue;
  hospital: { name: string; address: string };
  routing?: RoutingConfig;
  log?: Logger;
}): Promise<MllpListener> {
  const { queue, hospital } = options;
  const log = options.log?.child({ component: 'mllp' });
  return startMllpListener({
    host: '127.0.0.1',
    port: 0,
    maxMessageBytes: 1 << 20,
    idleTimeoutMs: 60_000,
    defaultCharset: 'utf-8',
    handler: countedHl7Handler(
      hl7IntakeHandler({
        routing: options.routing ?? openRouting(hospital.name),
        accounts: new Map([[hospital.name, hospital.address]]),
        queue,
      }),
    ),
    log: (event) => {
      countMllpEvent(event);
      if (log) logMllpEvent(log, event);
    },
  });
}

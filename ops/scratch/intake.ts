import { hl7IntakeHandler } from '../../connectors/hl7/intake-handler.js';
import { openRouting, type RoutingConfig } from '../../connectors/hl7/routing.js';
import type { IntakeQueue } from '../../connectors/intake/queue.js';
import { startMllpListener, type MllpListener } from '../../connectors/mllp/listener.js';

/**
 * The HL7 door as `./ops/up` runs it, on a free loopback port, for tests and benchmarks: an MLLP
 * listener routing into `queue`, records signed by `hospital` (under the open routing unless
 * another is given, whose identities must all be `hospital.name`).
 */
export function startScratchListener(options: {
  queue: IntakeQueue;
  hospital: { name: string; address: string };
  routing?: RoutingConfig;
}): Promise<MllpListener> {
  const { queue, hospital } = options;
  return startMllpListener({
    host: '127.0.0.1',
    port: 0,
    maxMessageBytes: 1 << 20,
    idleTimeoutMs: 60_000,
    defaultCharset: 'utf-8',
    handler: hl7IntakeHandler({
      routing: options.routing ?? openRouting(hospital.name),
      accounts: new Map([[hospital.name, hospital.address]]),
      queue,
    }),
  });
}

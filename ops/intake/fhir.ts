import { fhirServersSchema, type FhirServer } from '../../connectors/fhir/servers.js';
import { startFhirPuller, type FhirPuller } from '../../connectors/fhir/runner.js';
import type { IntakeQueue } from '../../connectors/intake/queue.js';
import type { EngineState } from '../../activities/state/index.js';
import type { Config } from '../config/index.js';
import { readJsonSetting } from '../config/json-file.js';
import { engineIdentities } from './routing.js';
import type { Logger } from '../telemetry/log.js';
import { countFhirPull } from '../telemetry/intake.js';

/** The FHIR servers file named by YILIAN_FHIR_SERVERS, every problem named by its path. */
export function loadFhirServers(file: string): Promise<FhirServer[]> {
  return readJsonSetting('YILIAN_FHIR_SERVERS', file, fhirServersSchema);
}

/**
 * The FHIR door of `./ops/up`: a puller per configured server into the same intake queue as HL7,
 * signed by the engine identities the servers name (which must exist: start-up stops naming them).
 */
export async function startFhirIntake(
  config: Config,
  state: EngineState,
  queue: IntakeQueue,
  log: Logger,
): Promise<FhirPuller | undefined> {
  const fhirLog = log.child({ component: 'fhir' });
  const file = config.fhir.servers;
  if (file === undefined) return undefined;
  const servers = await loadFhirServers(file);
  const { accounts, missing } = await engineIdentities(
    state,
    servers.map((s) => s.hospital),
  );
  if (missing.length > 0)
    throw new Error(
      `YILIAN_FHIR_SERVERS names engine identities this engine does not hold: ${missing.join(', ')}; ` +
        'create each with `yilian identity "<name>" --role hospital`',
    );
  const puller = startFhirPuller({
    servers,
    queue,
    redisUrl: config.redis.url,
    taskQueue: config.workers.taskQueue,
    accounts,
    log: (line) => fhirLog.info(line),
    onPull: (_server, report) => countFhirPull(report),
  });
  fhirLog.info(`ok pulling ${servers.map((s) => `${s.name} (${s.baseUrl}, every ${s.pollSeconds} s)`).join(', ')}`);
  return puller;
}

import { join } from 'node:path';
import { startHapiFhir, waitForFhir } from '../services/hapi-fhir.js';
import { freePort } from '../services/ports.js';
import { toolPath } from '../tools.js';
import { tempDir, toolsDir, type ScratchService } from './services.js';

/**
 * Set by ./ops/test for every test process: the FHIR base of the one HAPI server it starts for the
 * whole run (start-up takes too long for one per test file); HAPI_FHIR_PID and HAPI_FHIR_LOG let
 * a test fail at once, with the reason, if that server died. Not YILIAN_*: the configuration
 * refuses variables it does not know.
 */
export const sharedFhirVariables = { url: 'HAPI_FHIR_URL', pid: 'HAPI_FHIR_PID', log: 'HAPI_FHIR_LOG' } as const;

export interface ScratchFhirServer extends ScratchService {
  /** The FHIR base, `http://127.0.0.1:<port>/fhir`. */
  url: string;
  /** Shared with other test files: use resources of your own (identifier systems, tags). */
  shared: boolean;
}

/**
 * A real HAPI FHIR JPA server (R4) for tests: ./ops/test's shared one once it answers, or, when a
 * test file runs alone, one of its own on a free port with its database in a temporary folder,
 * which `stop()` ends and removes (for the shared server `stop()` does nothing).
 */
export async function scratchFhirServer(): Promise<ScratchFhirServer> {
  const url = process.env[sharedFhirVariables.url];
  if (url) {
    const pid = Number(process.env[sharedFhirVariables.pid]);
    const logFile = process.env[sharedFhirVariables.log];
    await waitForFhir(url, {
      timeoutMs: 900_000,
      ...(pid > 0 ? { alive: () => isAlive(pid) } : {}),
      ...(logFile ? { logFile } : {}),
    });
    return { url, shared: true, stop: () => Promise.resolve() };
  }
  const dir = await tempDir('hapi-fhir');
  try {
    const server = await startHapiFhir({
      executable: toolPath(toolsDir, 'hapi-fhir'),
      port: await freePort(),
      dataDir: join(dir.path, 'data'),
      logFile: join(dir.path, 'hapi-fhir.log'),
    });
    return {
      url: server.url,
      shared: false,
      async stop() {
        await server.process.stop();
        await dir.remove();
      },
    };
  } catch (error) {
    await dir.remove();
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

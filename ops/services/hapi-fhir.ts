import { mkdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { startManagedProcess, type ManagedProcess } from './managed-process.js';

export interface HapiFhirOptions {
  /** The launcher `ops/fhir-server/build.sh` makes (`toolPath(toolsDir, 'hapi-fhir')`). */
  executable: string;
  port: number;
  /** The H2 database lives here, so a restart on the same folder keeps every resource. */
  dataDir: string;
  logFile: string;
  /** Start-up takes 10–20 s on two idle cores, minutes on busy ones. */
  readyTimeoutMs?: number;
}

export interface HapiFhirService {
  /** The FHIR base, `http://127.0.0.1:<port>/fhir`. */
  url: string;
  process: ManagedProcess;
}

/**
 * HAPI FHIR's JPA server (R4, H2) on loopback, built from ops/fhir-server: a FHIR server nobody
 * here wrote, for the FHIR puller's tests. Ready once `/metadata` answers 200; it binds its port
 * at once and answers 503 until then, so a port already taken fails in a second.
 */
export async function startHapiFhir(options: HapiFhirOptions): Promise<HapiFhirService> {
  await mkdir(options.dataDir, { recursive: true });
  const url = `http://127.0.0.1:${options.port}/fhir`;
  const server = await startManagedProcess({
    name: 'hapi-fhir',
    command: options.executable,
    args: ['--host', '127.0.0.1', '--port', String(options.port), '--data', options.dataDir],
    logFile: options.logFile,
    readyTimeoutMs: options.readyTimeoutMs ?? 600_000,
    ready: () => fhirReady(url),
  });
  return { url, process: server };
}

/** True once the server at `url` (a FHIR base) answers `GET /metadata` with 200. */
export async function fhirReady(url: string): Promise<boolean> {
  const response = await fetch(`${url}/metadata`, { signal: AbortSignal.timeout(10_000) });
  await response.body?.cancel();
  return response.status === 200;
}

/**
 * Waits for a FHIR server started by someone else (./ops/test's shared one): until `/metadata`
 * answers 200, failing as soon as `alive()` says its process is gone, with the end of its log.
 */
export async function waitForFhir(
  url: string,
  options: { timeoutMs: number; alive?: () => boolean; logFile?: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await fhirReady(url).catch(() => false)) return;
    const gone = options.alive && !options.alive();
    if (gone || Date.now() > deadline) {
      const log = options.logFile ? await readFile(options.logFile, 'utf8').catch(() => '') : '';
      const tail = log ? `; last lines of ${options.logFile}:\n${log.split('\n').slice(-20).join('\n')}` : '';
      throw new Error(
        `the FHIR server at ${url} ${gone ? 'exited before it was ready' : `did not answer within ${options.timeoutMs} ms`}${tail}`,
      );
    }
    await sleep(250);
  }
}

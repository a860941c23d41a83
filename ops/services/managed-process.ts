import { messageOf } from '../error-message.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code when the process ends, for whatever reason. */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Polled until it resolves true; the process counts as started only then. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** How long it may take to stop after SIGTERM before it is killed; default 10 s. */
  stopTimeoutMs?: number;
}

/**
 * Starts a service as a child process with its output in a log file, waits until it answers,
 * and stops it with SIGTERM (SIGKILL after a grace period). If it dies before it is ready, the
 * error carries the tail of its log, which is where the reason is.
 */
export async function startManagedProcess(spec: ProcessSpec): Promise<ManagedProcess> {
  await mkdir(dirname(spec.logFile), { recursive: true });
  const log = createWriteStream(spec.logFile, { flags: 'a' });
  await new Promise((resolve) => log.once('open', resolve));
  const child: ChildProcess = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: ['ignore', log, log],
    // its own process group: a Ctrl-C at the terminal reaches only the supervisor, which then
    // stops services in dependency order instead of all of them dying at once
    detached: true,
  });
  running.add(child);
  killOnExit();
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      running.delete(child);
      log.end();
      resolve(code);
    });
  });
  // set from the exit callbacks while the loop below polls readiness
  const status = { exited: false };
  void exited.then(
    () => (status.exited = true),
    () => (status.exited = true),
  );

  /** SIGTERM, then SIGKILL once the grace period is over. */
  const stop = async () => {
    if (status.exited) return;
    child.kill('SIGTERM');
    // cancelled once it has exited: a pending timer would keep the caller's process alive
    const grace = new AbortController();
    const killed = await Promise.race([
      exited.then(() => true),
      sleep(spec.stopTimeoutMs ?? 10_000, false, { signal: grace.signal }).catch(() => true),
    ]);
    grace.abort();
    if (!killed) {
      child.kill('SIGKILL');
      await exited;
    }
  };

  const deadline = Date.now() + (spec.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (status.exited) {
      const code = await exited.catch(messageOf);
      throw new Error(
        `${spec.name} exited (${code}) before it was ready; last lines of ${spec.logFile}:\n${await tail(spec.logFile)}`,
      );
    }
    if (await spec.ready().catch(() => false)) break;
    if (Date.now() > deadline) {
      // stopped, not killed outright: a supervisor (ops/stack/up.ts) then stops what it started so
      // far, where a SIGKILL would leave its Temporal and Redis running in their own process groups
      await stop();
      throw new Error(
        `${spec.name} did not become ready within ${spec.readyTimeoutMs ?? 60_000} ms; last lines of ${spec.logFile}:\n${await tail(spec.logFile)}`,
      );
    }
    await sleep(100);
  }

  return {
    name: spec.name,
    pid: child.pid ?? -1,
    exited,
    stop,
  };
}

/** Children still running, killed when this process exits however it exits: one listener for them all. */
const running = new Set<ChildProcess>();
let listening = false;
function killOnExit(): void {
  if (listening) return;
  listening = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/**
 * The log's last lines, after the few earlier lines that give a reason: a Go panic's reason (say,
 * a port already in use) is above a stack trace longer than any tail.
 */
async function tail(path: string, lines = 20): Promise<string> {
  const all = (await readFile(path, 'utf8').catch(() => '')).split('\n');
  const last = all.slice(-lines);
  const reasons = all
    .slice(-200, -lines)
    .filter((line) => /\b(panic|fatal|error)\b|already in use/i.test(line))
    .slice(0, 5);
  return [...reasons, ...(reasons.length > 0 ? ['…'] : []), ...last].join('\n');
}

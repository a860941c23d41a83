import { spawn } from 'node:child_process';
import { repoRoot } from '../../ops/config/index.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the process, start-up included. */
  ms: number;
}

/** The environment without the developer's own YILIAN_* settings, which would reach past a test's. */
export function withoutYilian(environment: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(environment).filter(([name]) => !name.startsWith('YILIAN_')));
}

/**
 * `yilian …` as a real process from the repository root, configured by `env` alone; `stdin`, when
 * given, is written to its standard input (closed at once otherwise). Never rejects: the exit
 * code is part of what a test checks.
 */
export function runYilian(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; stdin?: string },
): Promise<CliRun> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['ops/bin/yilian.mjs', ...args], {
      cwd: repoRoot,
      env: { ...withoutYilian(process.env), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(options.stdin);
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

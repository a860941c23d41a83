import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../config/index.js';
import { codecKeyringFromConfig } from '../codec/from-config.js';
import {
  INTAKE_STATES,
  openIntakeAdmin,
  type IntakeAdmin,
  type IntakeJobInfo,
  type IntakeState,
} from '../../connectors/intake/admin.js';

async function withAdmin<T>(config: Config, work: (admin: IntakeAdmin) => Promise<T>): Promise<T> {
  const admin = await openIntakeAdmin({
    redisUrl: config.redis.url,
    keys: await codecKeyringFromConfig(config),
    taskQueue: config.workers.taskQueue,
  });
  try {
    return await work(admin);
  } finally {
    await admin.close();
  }
}

const parseState = (value: string): IntakeState => {
  if (!(INTAKE_STATES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${INTAKE_STATES.join(', ')}`);
  return value as IntakeState;
};

const parseLimit = (value: string): number => {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > 10_000) throw new InvalidArgumentError('expected 1 to 10000');
  return limit;
};

/** One line per job: the columns an operator scans, the error last as it is the longest. */
const line = (job: IntakeJobInfo) =>
  [
    job.key,
    job.state,
    `attempts ${job.attempts}/${job.maxAttempts}`,
    `queued ${job.queuedAt}`,
    ...(job.retryAt ? [`retry ${job.retryAt}`] : []),
    ...(job.finishedAt ? [`finished ${job.finishedAt}`] : []),
    ...(job.lastError ? [`error: ${job.lastError}`] : []),
  ].join('  ');

export function queueCommands(program: Command, config: () => Config): void {
  const queue = program
    .command('queue')
    .description(
      'the intake queue: what connectors have acknowledged and the dispatcher has yet to start, and its dead letters',
    );

  queue
    .command('stats')
    .description('jobs per state (dead = dead-lettered: failed for good, waiting for a redrive)')
    .action(() =>
      withAdmin(config(), async (admin) => {
        const stats = await admin.stats();
        for (const state of INTAKE_STATES) console.log(`${state.padEnd(9)} ${stats[state]}`);
      }),
    );

  queue
    .command('list')
    .description('jobs in one state, oldest first: workflow id, attempts, times and the last error')
    .option('--state <state>', `one of ${INTAKE_STATES.join(', ')}`, parseState, 'dead')
    .option('--limit <n>', 'at most this many', parseLimit, 100)
    .action((options: { state: IntakeState; limit: number }) =>
      withAdmin(config(), async (admin) => {
        for (const job of await admin.list(options.state, options.limit)) console.log(line(job));
      }),
    );

  queue
    .command('show')
    .argument('<id>', 'the job id: the workflow id it starts, e.g. hl7:FACILITY:CONTROLID')
    .option('--body', 'also print the decrypted body: the message itself, which is PHI')
    .description("a job's metadata; its body only with --body")
    .action((id: string, options: { body?: boolean }) =>
      withAdmin(config(), async (admin) => {
        const job = await admin.show(id);
        if (!job) throw new Error(`no intake job ${id} (never queued, or finished longer ago than the retention)`);
        console.log(JSON.stringify(job, null, 2));
        if (options.body) console.log(JSON.stringify(await admin.body(id), null, 2));
      }),
    );

  queue
    .command('redrive')
    .argument('[id]', 'a dead-lettered job')
    .option('--all', 'every dead-lettered job')
    .description('put dead-lettered jobs back in the queue, with their attempts counted afresh')
    .action((id: string | undefined, options: { all?: boolean }) =>
      withAdmin(config(), async (admin) => {
        if (Boolean(options.all) === (id !== undefined)) throw new Error('give either a job id or --all');
        if (id !== undefined) {
          await admin.redrive(id);
          console.log(`redriven ${id}`);
        } else console.log(`redriven ${await admin.redriveAll()} jobs`);
      }),
    );
}

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { DefaultLogger, Runtime, Worker, type ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromJSON, type History } from '../ops/audit/replay.js';
import { workflowInterceptorModules, workflowsPath } from '../ops/workers/orchestration.js';
import * as engineWorkflows from '../workflows/index.js';

/**
 * Every reference history in test/histories (captured by `npm run histories:capture`) must replay
 * on the current workflow code: a change that makes a workflow issue different commands for the
 * same history would break every run in flight when it is deployed.
 */
const dir = new URL('./histories/', import.meta.url);
const files = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
const load = async (file: string): Promise<History> =>
  historyFromJSON(JSON.parse(await readFile(new URL(file, dir), 'utf8')));

// the nondeterminism the negative tests provoke is logged by the SDK core at WARN; keep it quiet
Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
});

/** Replays histories in one replay worker; the workflow id is the file's name (no workflow here branches on its id). */
async function replayAll(histories: Array<{ workflowId: string; history: History }>): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const result of Worker.runReplayHistories(
    {
      workflowsPath,
      interceptors: { workflowModules: workflowInterceptorModules },
      replayName: 'yilian-reference-histories',
    },
    histories,
  ))
    results.push(result);
  return results;
}

describe('reference workflow histories', () => {
  test('there is one for every workflow type the engine runs', async () => {
    const types = new Set<string>();
    for (const file of files)
      types.add((await load(file)).events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?');
    // every workflow the engine's workers run, so a new one cannot land without its history
    assert.deepEqual([...types].sort(), Object.keys(engineWorkflows).sort());
  });

  test('each replays on the current workflow code without a determinism error', async () => {
    const histories = await Promise.all(
      files.map(async (file) => ({ workflowId: file.replace(/\.json$/, ''), history: await load(file) })),
    );
    const results = await replayAll(histories);
    assert.equal(results.length, files.length);
    for (const result of results)
      assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
  });

  describe('the check can fail', () => {
    let grant: History;
    before(async () => {
      grant = await load('grantAccess.json');
    });

    test('a grantAccess history replayed as traceStep is a determinism violation', async () => {
      const perturbed = structuredClone(grant);
      const started = perturbed.events?.[0]?.workflowExecutionStartedEventAttributes;
      assert.ok(started?.workflowType);
      started.workflowType.name = 'traceStep';
      const [result] = await replayAll([{ workflowId: 'grantAccess-as-traceStep', history: perturbed }]);
      assert.ok(
        result?.error instanceof DeterminismViolationError,
        `expected a DeterminismViolationError, got ${result?.error}`,
      );
      assert.match(result.error.message, /nondetermin/i);
    });

    test('a history whose first activity is not the one the code schedules is a determinism violation', async () => {
      const perturbed = structuredClone(grant);
      const scheduled = perturbed.events?.find(
        (event) => event.activityTaskScheduledEventAttributes,
      )?.activityTaskScheduledEventAttributes;
      assert.equal(scheduled?.activityType?.name, 'validateGrantee');
      scheduled.activityType.name = 'reencryptForGrantee';
      const [result] = await replayAll([{ workflowId: 'grantAccess-reordered', history: perturbed }]);
      assert.ok(
        result?.error instanceof DeterminismViolationError,
        `expected a DeterminismViolationError, got ${result?.error}`,
      );
    });
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, repoRoot, type Config } from '../config/index.js';
import { NondeterminismError, replayHistory, replayWorkflow } from '../audit/replay.js';
import { Role } from '../../core/roles.js';
import { startScratchEngine, type ScratchEngine } from '../scratch/engine.js';
import { tempDir } from '../scratch/services.js';
import { withoutYilian } from '../../test/harness/cli-process.js';
import { authorize } from '../../core/operators/authorization.js';

const run = promisify(execFile);

describe('yilian audit replay on a live, codec-encrypted workflow', () => {
  let stack: ScratchEngine;
  let home: Awaited<ReturnType<typeof tempDir>>;
  let env: Record<string, string>;
  let config: Config;
  let workflowId: string;
  let runId: string;

  before(async () => {
    [stack, home] = await Promise.all([startScratchEngine(), tempDir('audit')]);
    await stack.startWorkers();
    const name = `Dr. Bob (${randomUUID().slice(0, 8)})`;
    const handle = await stack.workflows.start.registerIdentity(
      authorize(stack.operator, 'registerIdentity', { name, role: Role.Doctor }),
    );
    workflowId = handle.workflowId;
    await handle.result();
    runId = (await handle.describe()).runId;
    // the engine is done; replay needs no worker
    await stack.stopWorkers();
    env = {
      YILIAN_HOME: home.path,
      YILIAN_TEMPORAL_MODE: 'external',
      YILIAN_TEMPORAL_ADDRESS: stack.temporal.address,
      YILIAN_TEMPORAL_NAMESPACE: stack.temporal.namespace ?? 'default',
      YILIAN_CODEC_KEYS: stack.codecKeys,
      YILIAN_CODEC_TOKEN: randomBytes(24).toString('base64url'),
    };
    config = loadConfig(env);
  });
  after(async () => {
    await stack.stop();
    await home.remove();
  });

  test('a completed registerIdentity replays on the current code', async () => {
    const replayed = await replayWorkflow({ config, workflowId });
    assert.deepEqual(
      { ...replayed, events: replayed.events > 0 },
      { workflowId, runId, workflowType: 'registerIdentity', events: true },
    );
    assert.deepEqual(await replayWorkflow({ config, workflowId, runId }), replayed);
  });

  test('its history is encrypted: replayed without the codec it does not reproduce', async () => {
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    assert.equal(Buffer.from(input?.metadata?.encoding ?? []).toString(), 'binary/encrypted');
    await assert.rejects(replayHistory(history, { workflowId }));
  });

  test('code that no longer has the workflow fails with the workflow named', async () => {
    const workflowsPath = join(repoRoot, 'workflows/trace-step.ts');
    await assert.rejects(replayWorkflow({ config, workflowId, workflowsPath }), (error: Error) => {
      assert.ok(error instanceof NondeterminismError, String(error));
      assert.equal(error.workflowId, workflowId);
      assert.ok(
        error.message.startsWith(
          `workflow ${workflowId} (registerIdentity, run ${runId}) does not replay on the current workflow code: `,
        ),
        error.message,
      );
      return true;
    });
  });

  test('an unknown workflow id fails with a clear message', async () => {
    await assert.rejects(
      replayWorkflow({ config, workflowId: 'identity:local:nobody' }),
      /^Error: no workflow identity:local:nobody in namespace default at 127\.0\.0\.1:\d+$/,
    );
  });

  test('the command prints the replay, and exits non-zero for an unknown workflow', async () => {
    const yilian = (...args: string[]) =>
      run(process.execPath, [join(repoRoot, 'ops/bin/yilian.mjs'), 'audit', 'replay', ...args], {
        env: { ...withoutYilian(process.env), ...env },
      });
    const [replayed, unknown] = await Promise.all([
      yilian(workflowId, '--run-id', runId),
      yilian('identity:local:nobody').then(
        () => undefined,
        (error: unknown) => error as { code: number; stderr: string },
      ),
    ]);
    assert.match(
      replayed.stdout,
      new RegExp(
        `^replayed ${escape(workflowId)} \\(registerIdentity, run ${runId}\\): \\d+ events, deterministic\\n$`,
      ),
    );
    assert.ok(unknown, 'an unknown workflow id exits non-zero');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^yilian: no workflow identity:local:nobody in namespace default at /);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '../audit/replay.js';
import { startScratchTemporal } from '../scratch/services.js';
import { createRequire } from 'node:module';
import type * as protoModule from '@temporalio/proto';
import {
  actionsProbe,
  bumpUpdate,
  pokeSignal,
  PROBE_SEARCH_ATTRIBUTE,
  type ProbeActivities,
} from './actions-probe-workflow.js';
import { billableActions, describeActions, noActions, totalActions, workflowActions } from './temporal-actions.js';

// @temporalio/proto is CommonJS whose exports Node cannot name for an ES import
const { temporal } = createRequire(import.meta.url)('@temporalio/proto') as typeof protoModule;

// histories a dev server wrote (test/histories, captured by test/histories/capture.ts)
const captured = async (name: string) =>
  historyFromJSON(JSON.parse(await readFile(new URL(`../../test/histories/${name}.json`, import.meta.url), 'utf8')));

test('a record that waited for its patient: start, three workflow tasks of local activities, a timer, a signal, two activities', async () => {
  const count = billableActions(await captured('anchorRecord-waited-for-enrolment'));
  assert.deepEqual(count, {
    ...noActions(),
    'workflow start': 1,
    activity: 2,
    'local activities': 3,
    timer: 1,
    signal: 1,
  });
  assert.equal(totalActions(count), 8);
  assert.equal(
    describeActions(count, 1),
    '8.00 (workflow start 1.00, activity 2.00, local activities 3.00, timer 1.00, signal 1.00)',
  );
});

test('a parent starting two children pays two actions for each; a signal sent is billed to its receiver', async () => {
  assert.deepEqual(billableActions(await captured('traceEvent')), {
    ...noActions(),
    'workflow start': 1,
    'child workflow': 4,
  });
  // enrolPatient signals the waiting records: its own history bills the start and the activity only
  assert.deepEqual(billableActions(await captured('enrolPatient')), {
    ...noActions(),
    'workflow start': 1,
    activity: 1,
  });
});

test('live on a dev server: retries, local activities, a timer, an upsert, signal-with-start, a signal, an update, continue-as-new', async () => {
  const env = await startScratchTemporal();
  try {
    const taskQueue = 'actions-probe';
    const namespace = env.namespace ?? 'default';
    await env.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: { [PROBE_SEARCH_ATTRIBUTE]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
    });
    const activities: ProbeActivities = {
      flaky: () =>
        Context.current().info.attempt === 1 ? Promise.reject(new Error('first attempt fails')) : Promise.resolve(),
      async quick() {},
    };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace,
      taskQueue,
      workflowsPath: new URL('./actions-probe-workflow.ts', import.meta.url).pathname,
      activities,
    });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.signalWithStart(actionsProbe, {
        workflowId: 'actions-probe',
        taskQueue,
        args: [2],
        signal: pokeSignal,
      });
      assert.equal(await handle.executeUpdate(bumpUpdate, { args: [1] }), 2);
      // the second run (after continue-as-new) gets its signal and update on their own
      const second = env.client.workflow.getHandle('actions-probe');
      for (;;) {
        const { runId } = await second.describe();
        if (runId !== handle.signaledRunId) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await second.signal(pokeSignal);
      await second.executeUpdate(bumpUpdate, { args: [2] });
      await second.result();
    });
    const perRun = {
      'workflow start': 1,
      activity: 1,
      'activity retry': 1,
      // one workflow task's two local activities, the second attempt of one included: the core SDK
      // retried it within the task, which reports no further attempts to bill (meteringMetadata)
      'local activities': 1,
      timer: 1,
      update: 1,
      'search attributes': 1,
    };
    // the first run's signal came with its start (one action for both); the second run's on its own
    assert.deepEqual(await workflowActions(env.client, 'actions-probe'), {
      ...noActions(),
      ...Object.fromEntries(Object.entries(perRun).map(([kind, n]) => [kind, 2 * n])),
      signal: 1,
    });
  } finally {
    await env.teardown();
  }
});

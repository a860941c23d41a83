import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { historyFromJSON } from '../audit/replay.js';
import { billableActions, describeActions, noActions, totalActions } from './temporal-actions.js';

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

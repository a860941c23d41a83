/**
 * A test-only workflow that does one of each thing Temporal Cloud bills (ops/bench/temporal-actions.ts):
 * an activity that fails once, local activities (one of them failing once) in one workflow task,
 * a timer, a search-attribute upsert, a signal, an update and continue-as-new. Never registered
 * by the engine's workers.
 */
import {
  condition,
  continueAsNew,
  defineSignal,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export interface ProbeActivities {
  /** Fails on its first attempt. */
  flaky(): Promise<void>;
  quick(): Promise<void>;
}

export const pokeSignal = defineSignal('poke');
export const bumpUpdate = defineUpdate<number, [number]>('bump');
/** Registered on the namespace by the test before the probe runs. */
export const PROBE_SEARCH_ATTRIBUTE = 'YilianActionsProbe';
const probeKey = defineSearchAttributeKey(PROBE_SEARCH_ATTRIBUTE, SearchAttributeType.KEYWORD);

const retry = { initialInterval: '10 ms', backoffCoefficient: 1 };
const { flaky } = proxyActivities<ProbeActivities>({ startToCloseTimeout: '1 minute', retry });
const local = proxyLocalActivities<ProbeActivities>({ startToCloseTimeout: '1 minute', retry });

/** `runs` runs chained by continue-as-new; each waits for one poke and one bump before it ends. */
export async function actionsProbe(runs: number): Promise<void> {
  let poked = false;
  let bumped = false;
  setHandler(pokeSignal, () => void (poked = true));
  setHandler(bumpUpdate, (n) => {
    bumped = true;
    return n + 1;
  });
  await flaky();
  await Promise.all([local.quick(), local.flaky()]);
  await sleep(1);
  upsertSearchAttributes([{ key: probeKey, value: 'probe' }]);
  await condition(() => poked && bumped);
  if (runs > 1) await continueAsNew<typeof actionsProbe>(runs - 1);
}

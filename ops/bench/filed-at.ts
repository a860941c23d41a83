import type { EngineState } from '../../activities/state/engine-state.js';

/**
 * Waits until every message has its record filed in the engine's state (at most `timeoutMs`) and
 * returns when each was, in epoch milliseconds (its `anchoredAt`). It looks in order and stops at
 * the first not yet filed, so waiting costs the engine under measurement little.
 */
export async function filedAt(
  state: EngineState,
  messageKeys: readonly string[],
  timeoutMs = 600_000,
): Promise<Map<string, number>> {
  const at = new Map<string, number>();
  for (const deadline = performance.now() + timeoutMs; at.size < messageKeys.length;) {
    for (const key of messageKeys) {
      if (at.has(key)) continue;
      const record = (await state.anchoredMessage(key))?.record;
      if (!record) break;
      at.set(key, Date.parse(record.anchoredAt));
    }
    if (at.size === messageKeys.length) break;
    if (performance.now() > deadline)
      throw new Error(`${messageKeys.length - at.size} batched records were not filed in ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return at;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RETRY, retryAttempts, retryDelay } from './retry.js';

test('the default policy: 1 s doubling to 10 min, attempts enough to span a day and no more', () => {
  assert.deepEqual(
    [1, 2, 3, 10, 11, 500].map((attempt) => retryDelay(DEFAULT_RETRY, attempt)),
    [1000, 2000, 4000, 512_000, 600_000, 600_000],
  );
  const attempts = retryAttempts(DEFAULT_RETRY);
  const span = (n: number) =>
    Array.from({ length: n - 1 }, (_, i) => retryDelay(DEFAULT_RETRY, i + 1)).reduce((a, b) => a + b, 0);
  assert.ok(span(attempts) >= DEFAULT_RETRY.windowMs && span(attempts - 1) < DEFAULT_RETRY.windowMs);
  assert.equal(attempts, 154);
});

test('a policy that could never span its window is refused', () => {
  assert.throws(() => retryAttempts({ firstDelayMs: 0, maxDelayMs: 10, windowMs: 100 }), /delays must be positive/);
  assert.throws(() => retryAttempts({ firstDelayMs: 10, maxDelayMs: 5, windowMs: 100 }), /at most the cap/);
});

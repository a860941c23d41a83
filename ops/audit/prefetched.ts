/**
 * `fetch` applied to each item of `source`, in order, with up to `concurrency` fetches running
 * ahead of the consumer: a slow consumer (a replay worker) never waits on a round trip, and a
 * long listing never opens more than `concurrency` requests at once.
 */
export async function* prefetched<T, U>(
  source: AsyncIterable<T>,
  concurrency: number,
  fetch: (item: T) => Promise<U>,
): AsyncGenerator<U> {
  const window: Array<Promise<U>> = [];
  const take = async (): Promise<U> => {
    const next = window.shift();
    if (!next) throw new Error('prefetched: the window is empty');
    return next;
  };
  try {
    for await (const item of source) {
      const pending = fetch(item);
      // awaited in turn below; until then a failure must not count as unhandled
      pending.catch(() => undefined);
      window.push(pending);
      if (window.length >= concurrency) yield await take();
    }
    while (window.length > 0) yield await take();
  } finally {
    // a consumer that stops early leaves fetches in flight: let them settle before returning
    await Promise.allSettled(window);
  }
}

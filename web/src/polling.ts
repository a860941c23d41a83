import { useEffect, useRef, useState } from 'react';

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** When the last answer arrived. */
  at: Date | undefined;
  /** The tab is hidden: nothing is fetched until it shows again. */
  paused: boolean;
}

/**
 * Calls `load` now and every `intervalMs` while the tab is visible; a hidden tab asks the engine
 * nothing, and showing it again refreshes at once.
 */
export function usePolling<T>(load: () => Promise<T>, intervalMs: number): Polled<T> {
  const [state, setState] = useState<Polled<T>>({
    data: undefined,
    error: undefined,
    at: undefined,
    paused: document.hidden,
  });
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cancelled = false;
    const tick = async () => {
      timer = undefined;
      try {
        const data = await loadRef.current();
        if (!cancelled) setState({ data, error: undefined, at: new Date(), paused: false });
      } catch (error) {
        if (!cancelled)
          setState((before) => ({ ...before, error: error instanceof Error ? error.message : String(error) }));
      }
      if (!cancelled && !document.hidden) timer = setTimeout(() => void tick(), intervalMs);
    };
    const onVisibility = () => {
      clearTimeout(timer);
      timer = undefined;
      setState((before) => ({ ...before, paused: document.hidden }));
      if (!document.hidden) void tick();
    };
    document.addEventListener('visibilitychange', onVisibility);
    if (!document.hidden) void tick();
    return () => {
      cancelled = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [intervalMs]);
  return state;
}

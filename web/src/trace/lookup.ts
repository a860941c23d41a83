import { readTrace, type InvalidTraceStep, type VerifiedTraceStep } from '../../../core/trace/read-trace';
import { loadTraceId } from '../../../core/trace/trace-id-wasm';
import traceIdWasm from '../generated/trace-id.wasm?url';
import { chainGateway } from '../gateway';

/** One verified step, with the time of the block the chain accepted it in. */
export interface TraceStepView extends VerifiedTraceStep {
  /** The block's time (ms since the epoch). */
  blockTime: number;
}

export interface TraceLookup {
  steps: TraceStepView[];
  invalid: InvalidTraceStep[];
}

type TraceIdFn = Awaited<ReturnType<typeof loadTraceId>>;

// Once per page: the module (11 KB, compiled while it downloads); a failure (a restarting engine)
// is not kept: the next lookup tries again.
let traceIdModule: Promise<TraceIdFn> | undefined;

/** The trace-id module, loaded on first use; the page calls it early so the first lookup need not wait. */
export function loadTraceIdModule(): Promise<TraceIdFn> {
  if (!traceIdModule) {
    const loading = loadTraceId(fetch(traceIdWasm));
    loading.catch(() => (traceIdModule = undefined));
    traceIdModule = loading;
  }
  return traceIdModule;
}

/**
 * The package's history for a code, read the way `yilian trace` reads it (core/trace/read-trace.ts)
 * through the engine's read-only chain gateway. The code stays here: the module computes its public
 * id, the chain is asked for that id's steps, and they are decrypted and verified in this page.
 */
export async function lookUpTrace(code: string): Promise<TraceLookup> {
  const [traceId, { chain, contracts }] = await Promise.all([loadTraceIdModule(), chainGateway()]);
  const history = await readTrace({ chain, contracts, traceId }, code);
  const blocks = new Map<number, Promise<number>>();
  const timeOf = (block: number) => {
    let time = blocks.get(block);
    if (!time) {
      time = chain.getBlock(block, { headerOnly: true }).then((b) => b.timestamp);
      blocks.set(block, time);
    }
    return time;
  };
  const steps = await Promise.all(
    history.steps.map(async (step) => ({ ...step, blockTime: await timeOf(step.block) })),
  );
  return { steps, invalid: history.invalid };
}

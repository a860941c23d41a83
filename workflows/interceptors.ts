import {
  condition,
  ContinueAsNew,
  isCancellation,
  log,
  proxySinks,
  TemporalFailure,
  workflowInfo,
  type Sinks,
  type Next,
  type QueryInput,
  type SignalInput,
  type UpdateInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import { isUnsealed } from './unsealed.js';

export type RunOutcome = 'completed' | 'failed' | 'cancelled' | 'continued_as_new';

/** What a run tells the worker about itself: the worker counts runs per type (ops/telemetry). */
export interface EngineSinks extends Sinks {
  runs: { started(): void; closed(outcome: RunOutcome): void };
}

const sinks = proxySinks<EngineSinks>();
/** Not even called while replaying, so a replayer (`yilian audit replay`) need not register the sinks. */
const runs: EngineSinks['runs'] = {
  started: () => {
    if (!workflowInfo().unsafe.isReplaying) sinks.runs.started();
  },
  closed: (outcome) => {
    if (!workflowInfo().unsafe.isReplaying) sinks.runs.closed(outcome);
  },
};

/**
 * Counts each run once, whoever replays it: sinks are not called while a worker replays a history
 * (after a cache eviction, or in `yilian audit replay`), so a replayed start or close is not
 * counted again. An error that is not a Temporal failure fails the workflow task, which Temporal
 * retries, not the run: it is not a close.
 */
class CountedRuns implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    runs.started();
    try {
      const result = await next(input);
      runs.closed('completed');
      return result;
    } catch (error) {
      if (error instanceof ContinueAsNew) runs.closed('continued_as_new');
      else if (isCancellation(error)) runs.closed('cancelled');
      else if (error instanceof TemporalFailure) runs.closed('failed');
      throw error;
    }
  }
}

/**
 * Inputs that did not come sealed with the engine's codec key never reach a workflow
 * (docs/security.md § Temporal). A start idles instead of failing: a failed run would keep its
 * id for good (ids are never reused), while an idle one is replaced by the engine's own start of
 * that id (workflows/starter.ts). A signal is dropped, so nobody can wedge a running workflow with
 * a payload it cannot read.
 */
class SealedInputsOnly implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    if (input.args.some(isUnsealed)) {
      log.warn('workflow input is not sealed with the engine codec key: the run idles until the engine replaces it');
      await condition(() => false);
    }
    return next(input);
  }

  async handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    if (input.args.some(isUnsealed)) {
      log.warn(`signal ${input.signalName} is not sealed with the engine codec key: dropped`);
      return;
    }
    await next(input);
  }

  handleQuery(input: QueryInput, next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>): Promise<unknown> {
    // a rejection, not a throw: the SDK answers the query with it, where a throw fails the activation
    if (input.args.some(isUnsealed)) {
      return Promise.reject(new Error(`query ${input.queryName}: arguments not sealed with the engine codec key`));
    }
    return next(input);
  }

  validateUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>): void {
    if (input.args.some(isUnsealed))
      throw new Error(`update ${input.name}: arguments not sealed with the engine codec key`);
    next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new CountedRuns(), new SealedInputsOnly()],
});

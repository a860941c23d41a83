import {
  condition,
  log,
  type Next,
  type QueryInput,
  type SignalInput,
  type UpdateInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import { isUnsealed } from './unsealed.js';

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

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new SealedInputsOnly()] });

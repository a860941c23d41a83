import type { WorkflowInput, WorkflowName } from '../../workflows/starter.js';

/**
 * One workflow start the intake owes a source: what a connector queues (after which it may
 * acknowledge) and the dispatcher starts through the typed starter. The queue key is the workflow
 * id its input derives, so the same message queued twice is one job and one run.
 */
export type IntakeWork = { [N in WorkflowName]: { workflow: N; input: WorkflowInput<N> } }[WorkflowName];

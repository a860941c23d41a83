import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle, type WorkflowStartOptions } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';

/**
 * Starts a workflow under an id derived from its source, or returns the run that id already has:
 * a running one is joined (USE_EXISTING), a finished one is never started again
 * (REJECT_DUPLICATE), so a re-sent message cannot anchor twice.
 */
export async function startOnce<W extends Workflow>(
  client: Client,
  workflow: W,
  options: { workflowId: string; taskQueue: string; args: Parameters<W> },
): Promise<WorkflowHandle<W>> {
  // the SDK's conditional args type does not narrow for a generic W
  const startOptions = { ...options, workflowIdReusePolicy: 'REJECT_DUPLICATE', workflowIdConflictPolicy: 'USE_EXISTING' } as unknown as WorkflowStartOptions<W>;
  try {
    return await client.workflow.start(workflow, startOptions);
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return client.workflow.getHandle<W>(options.workflowId);
  }
}

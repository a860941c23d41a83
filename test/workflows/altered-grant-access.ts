import { sleep } from '@temporalio/workflow';
import { grantAccess as engineGrantAccess, type GrantAccessInput } from '../../workflows/grant-access.js';

/*
 * The engine's workflows with one careless change, for `yilian audit replay --all --workflows`:
 * grantAccess now waits a second before it checks the grantee, so its first command is a timer
 * where every recorded grantAccess history has an activity. Every other workflow is unchanged.
 */
export * from '../../workflows/index.js';

export async function grantAccess(input: GrantAccessInput): ReturnType<typeof engineGrantAccess> {
  await sleep('1 second');
  return engineGrantAccess(input);
}

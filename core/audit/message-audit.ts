import { holds, type Verdict } from './verdict.js';

/**
 * What an audit of one message by its key found (docs/design.md § Anchoring in batches,
 * "Auditing a message"). `anchored`: its record, with the `message` check (where the engine
 * filed it, against that run's history) before the record checks. `waiting`: its own
 * anchorRecord run has not anchored it yet (the patient has not enrolled). `claimed`: a running
 * batch run holds it and has not filed its record yet. `ended`: the run that held it ended
 * without filing a record, or it left its batch as a poison message (the detail says why). `unknown`: the key names no message of this engine.
 */
export type MessageAudit =
  | { messageKey: string; state: 'anchored'; recordId: string; verdicts: Verdict[] }
  | {
      messageKey: string;
      state: 'waiting' | 'claimed' | 'ended';
      run: { workflowId: string; runId?: string };
      detail: string;
    }
  | { messageKey: string; state: 'unknown'; detail: string };

/** The longest message key taken: a key is a workflow id, which Temporal bounds by 1,000 characters by default. */
export const MAX_MESSAGE_KEY = 1000;

/** Why `key` cannot be a message key, or undefined when it can. */
export function messageKeyProblem(key: string): string | undefined {
  if (key.length > 0 && key.length <= MAX_MESSAGE_KEY && !/\p{Cc}/u.test(key)) return undefined;
  return `a message key is 1 to ${MAX_MESSAGE_KEY} characters without control characters, like hl7:<MSH-4>:<MSH-10>, not ${JSON.stringify(key.slice(0, 80))}`;
}

/** A message audit as the CLI's `--json` and the API answer it: `holds` unless a check failed or the message was lost. */
export function messageAnswer(audit: Exclude<MessageAudit, { state: 'unknown' }>): object {
  const { messageKey, ...outcome } = audit;
  return {
    kind: 'message',
    id: messageKey,
    ...outcome,
    holds: outcome.state === 'anchored' ? holds(outcome.verdicts) : outcome.state !== 'ended',
  };
}

import {
  ApplicationFailure,
  ChildWorkflowFailure,
  defineQuery,
  executeChild,
  setHandler,
  type TemporalFailure,
} from '@temporalio/workflow';
import type { StagedTraceItems } from '../core/trace/staged-items.js';
import { sourceWorkflowId, type MessageSource } from './ids.js';
import { traceStep } from './trace-step.js';

/** What an organisation's ERP reports, and who may report it: manufacturers, carriers, pharmacies. */
export type TraceEventKind = 'batch' | 'shipment' | 'dispense';

export interface TraceEventInput {
  /** The organisation (its account) and its idempotency key: the id, so a retried request is one event. */
  source: Extract<MessageSource, { kind: 'erp' }>;
  /** The organisation's account; this engine holds its key. */
  participant: `0x${string}`;
  kind: TraceEventKind;
  /** Up to 100,000 items, staged in order in parts of one proof and one push each (core/trace/staged-items.ts). */
  items: StagedTraceItems;
}

export interface TraceEventPart {
  /** The traceStep run that recorded it. */
  workflowId: string;
  items: number;
  /** null when the push had already committed before a retry reached the chain. */
  transactionHash: string | null;
}

export interface TraceEventResult {
  parts: TraceEventPart[];
}

export type TraceEventStatus =
  { state: 'proving'; part: number; parts: number } | { state: 'committed'; parts: number };

export const traceEventStatusQuery = defineQuery<TraceEventStatus>('status');

/** A part's id: the event's source with `#<part>` after its key, which the API's keys cannot contain. */
export const partSource = (
  source: TraceEventInput['source'],
  part: number,
): Extract<MessageSource, { kind: 'erp' }> => ({ ...source, eventId: `${source.eventId}#${String(part)}` });

/**
 * One ERP event: each part of its items is one traceStep (one STARK, one transaction), run as a
 * child under an id derived from the event and the part, so each part is pushed exactly once.
 * The parts go one after another, in order: the prover is the bottleneck, and a package's steps
 * then reach the chain in the order the ERP sent them. The history grows with the items only
 * through the children's results (their trace ids, 66 bytes an item: ~7 MB at 100,000 items,
 * under Temporal's 10 MB warning and 50 MB limit), and with the parts by ~6 events each (at most
 * a few hundred parts), so it needs no continue-as-new.
 */
export async function traceEvent(input: TraceEventInput): Promise<TraceEventResult> {
  const total = input.items.parts.length;
  let status: TraceEventStatus = { state: 'proving', part: 1, parts: total };
  setHandler(traceEventStatusQuery, () => status);
  const parts: TraceEventPart[] = [];
  for (const [index, { cid, count }] of input.items.parts.entries()) {
    status = { state: 'proving', part: index + 1, parts: total };
    const source = partSource(input.source, index);
    const workflowId = sourceWorkflowId(source);
    try {
      const result = await executeChild(traceStep, {
        workflowId,
        args: [{ source, participant: input.participant, items: { key: input.items.key, part: index, cid, count } }],
      });
      parts.push({ workflowId, items: count, transactionHash: result.transactionHash });
    } catch (error) {
      if (!(error instanceof ChildWorkflowFailure)) throw error;
      throw ApplicationFailure.nonRetryable(
        `part ${String(index + 1)} of ${String(total)} (${workflowId}) failed: ${rootMessage(error)}; ` +
          `${String(index)} part(s) before it are committed`,
        'TraceEventPartFailed',
      );
    }
  }
  status = { state: 'committed', parts: total };
  return { parts };
}

/** The deepest cause's words: ours or the chain's (the trace code appears in no message of the engine). */
function rootMessage(error: TemporalFailure): string {
  let deepest: Error = error;
  while (deepest.cause instanceof Error) deepest = deepest.cause;
  return deepest.message;
}

/**
 * Where a batch execution's time goes, read from its runs' histories after a benchmark: per batch
 * (one `sealRecords`, one `createRecordsOnChain`), its size and how long each activity waited on
 * its task queue and ran, and the rest of the cycle (claiming and delivering as local activities,
 * workflow tasks). The cycle is the time from one batch's `sealRecords` to the next one's, so it
 * is what a message waits per batch ahead of it: the figures the capacity model divides by.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { runHistories } from './temporal-actions.js';
import { decodePayloads } from '../../workflows/starter.js';

type Event = temporal.api.history.v1.IHistoryEvent;

export interface BatchSteps {
  batches: number;
  records: number;
  /** Means per batch, milliseconds. */
  sealQueued: number;
  sealRan: number;
  chainQueued: number;
  chainRan: number;
  cycle: number;
}

const ms = (event: Event | undefined) =>
  event?.eventTime ? Number(event.eventTime.seconds ?? 0) * 1000 + (event.eventTime.nanos ?? 0) / 1e6 : NaN;
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

/** The batches of these executions (every run of each), measured. */
export async function batchSteps(client: Client, workflowIds: readonly string[]): Promise<BatchSteps> {
  const { payloadConverter } = client.options.loadedDataConverter;
  const batches: Array<{ size: number; steps: Map<string, { scheduled: number; started: number; closed: number }> }> =
    [];
  const cycles: number[] = [];
  for (const workflowId of workflowIds)
    for (const history of await runHistories(client, workflowId)) {
      const events = history.events ?? [];
      const byId = new Map(events.map((event) => [String(event.eventId), event]));
      // cycles are measured within one run of one execution
      let current: (typeof batches)[number] | undefined;
      for (const event of events) {
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled) {
          const type = scheduled.activityType?.name ?? '';
          if (type === 'sealRecords') {
            const [first] = await decodePayloads(client, scheduled.input?.payloads ?? []);
            const previous = current?.steps.get('sealRecords')?.scheduled;
            // a gap with no messages waiting is idle time, not a cycle
            if (previous !== undefined && ms(event) - previous < 10_000) cycles.push(ms(event) - previous);
            current = { size: first ? payloadConverter.fromPayload<unknown[]>(first).length : 0, steps: new Map() };
            batches.push(current);
          }
          current?.steps.set(type, { scheduled: ms(event), started: NaN, closed: NaN });
          continue;
        }
        const started = event.activityTaskStartedEventAttributes;
        const closed = event.activityTaskCompletedEventAttributes;
        const of = started?.scheduledEventId ?? closed?.scheduledEventId;
        if (of === undefined || of === null) continue;
        const type = byId.get(String(of))?.activityTaskScheduledEventAttributes?.activityType?.name ?? '';
        const step = current?.steps.get(type);
        if (!step) continue;
        // a retried activity's started event is written with its last attempt
        if (started) step.started = ms(event);
        else step.closed = ms(event);
      }
    }
  const complete = batches.filter((b) => b.steps.get('sealRecords') && b.steps.get('createRecordsOnChain'));
  const step = (b: (typeof batches)[number], type: string) =>
    b.steps.get(type) ?? { scheduled: NaN, started: NaN, closed: NaN };
  return {
    batches: complete.length,
    records: complete.reduce((sum, b) => sum + b.size, 0),
    sealQueued: mean(complete.map((b) => step(b, 'sealRecords').started - step(b, 'sealRecords').scheduled)),
    sealRan: mean(complete.map((b) => step(b, 'sealRecords').closed - step(b, 'sealRecords').started)),
    chainQueued: mean(
      complete.map((b) => step(b, 'createRecordsOnChain').started - step(b, 'createRecordsOnChain').scheduled),
    ),
    chainRan: mean(
      complete.map((b) => step(b, 'createRecordsOnChain').closed - step(b, 'createRecordsOnChain').started),
    ),
    cycle: mean(cycles),
  };
}

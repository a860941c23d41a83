import { sha256 } from '@noble/hashes/sha2.js';
import type { Acknowledgement, InboundMessage, MessageHandler } from '../mllp/listener.js';
import { workflowIdOfWork, type EnqueueOutcome, type IntakeQueue } from '../intake/queue.js';
import type { IntakeWork } from '../intake/work.js';
import { Hl7FormatError, Hl7Message } from './message.js';
import { routeHl7, type IdentityAccounts, type RoutingConfig } from './routing.js';

/** Table 0357 codes the intake answers with beyond routing's. */
const SEGMENT_SEQUENCE_ERROR = 100;
const DUPLICATE_KEY = 205;
const APPLICATION_INTERNAL_ERROR = 207;

/**
 * The HL7 v2 door: read the message, route it, and acknowledge only once its workflow start is
 * durably queued (the queue is what survives a power cut; Temporal may be away). A message sent
 * again with the same facility and MSH-10 is acknowledged again and queued once; the same MSH-10
 * with other bytes is refused and the first message stands.
 */
export function hl7IntakeHandler(options: {
  routing: RoutingConfig;
  accounts: IdentityAccounts;
  queue: IntakeQueue;
  channel?: string;
}): MessageHandler {
  const { routing, accounts, queue } = options;
  return async (inbound: InboundMessage): Promise<Acknowledgement> => {
    let message: Hl7Message;
    try {
      message = Hl7Message.parse(inbound.text);
    } catch (error) {
      if (!(error instanceof Hl7FormatError)) throw error;
      return {
        status: 'error',
        hl7ErrorCode: SEGMENT_SEQUENCE_ERROR,
        reason: error.message,
        ...(error.location ? { location: error.location } : {}),
      };
    }
    const routed = routeHl7(message, inbound.bytes, routing, accounts);
    if (!routed.ok) return routed.refusal;
    return enqueue(queue, routed.work, inbound, options.channel ?? 'mllp');
  };
}

async function enqueue(
  queue: IntakeQueue,
  work: IntakeWork,
  inbound: InboundMessage,
  channel: string,
): Promise<Acknowledgement> {
  let outcome: EnqueueOutcome;
  try {
    outcome = await queue.enqueue({
      key: workflowIdOfWork(work),
      digest: sha256(inbound.bytes),
      work,
      channel,
      receivedAt: new Date().toISOString(),
    });
  } catch {
    return {
      status: 'reject',
      hl7ErrorCode: APPLICATION_INTERNAL_ERROR,
      reason:
        'the intake queue cannot take messages now; send the message again later (a copy sent twice is anchored once)',
    };
  }
  if (outcome === 'conflict')
    return {
      status: 'error',
      hl7ErrorCode: DUPLICATE_KEY,
      reason: `message control id ${inbound.header.controlId} was already received from this facility with different content; the first message stands`,
      location: 'MSH^1^10',
    };
  return { status: 'accept', hl7ErrorCode: 0 };
}

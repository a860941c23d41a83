import type { RequestHandler } from 'express';
import type { MessageHandler, MllpEvent } from '../../connectors/mllp/listener.js';
import type { PullReport } from '../../connectors/fhir/puller.js';
import {
  hl7Reason,
  httpReason,
  intakeAcknowledged,
  intakeAckSeconds,
  intakeReceived,
  intakeRejected,
  mllpProblemReason,
  secondsSince,
} from './metrics.js';

/** The doors' counters, wrapped around them by ops/intake and ops/stack: the connectors know nothing of metrics. */

/** Counts each HL7 message the handler answers, by its acknowledgement, and times the answer. */
export function countedHl7Handler(handler: MessageHandler): MessageHandler {
  return async (message) => {
    intakeReceived.inc({ connector: 'mllp' });
    const start = performance.now();
    try {
      const ack = await handler(message);
      if (ack.status === 'accept') intakeAcknowledged.inc({ connector: 'mllp' });
      else intakeRejected.inc({ connector: 'mllp', reason: hl7Reason(ack.hl7ErrorCode) });
      return ack;
    } catch (error) {
      // the listener answers AR 207 for a handler that threw
      intakeRejected.inc({ connector: 'mllp', reason: hl7Reason(207) });
      throw error;
    } finally {
      intakeAckSeconds.observe({ connector: 'mllp' }, secondsSince(start));
    }
  };
}

/** Frames the listener refused before any handler saw them (garbage, oversize, no MSH…). */
export function countMllpEvent(event: MllpEvent): void {
  if (event.type !== 'protocol-error') return;
  intakeReceived.inc({ connector: 'mllp' });
  intakeRejected.inc({ connector: 'mllp', reason: mllpProblemReason(event.problem) });
}

/** Counts the ERP door's event POSTs by their answer: 202 acknowledged, anything else rejected by status. */
export const countedErpRequests: RequestHandler = (request, response, next) => {
  if (request.method !== 'POST') {
    next();
    return;
  }
  intakeReceived.inc({ connector: 'erp' });
  const start = performance.now();
  response.once('finish', () => {
    intakeAckSeconds.observe({ connector: 'erp' }, secondsSince(start));
    if (response.statusCode === 202) intakeAcknowledged.inc({ connector: 'erp' });
    else intakeRejected.inc({ connector: 'erp', reason: httpReason(response.statusCode) });
  });
  next();
};

/** One FHIR pull: every version read is received; queued ones (and ones already queued) acknowledged. */
export function countFhirPull(report: PullReport): void {
  intakeReceived.inc({ connector: 'fhir' }, report.queued + report.duplicates + report.conflicts + report.unanchorable);
  intakeAcknowledged.inc({ connector: 'fhir' }, report.queued + report.duplicates);
  intakeRejected.inc({ connector: 'fhir', reason: 'fhir_version_conflict' }, report.conflicts);
  intakeRejected.inc({ connector: 'fhir', reason: 'fhir_no_patient' }, report.unanchorable);
}

import type { AuditReport } from '../../core/audit/report';
import type { Verdict } from '../../core/audit/verdict';

/** What `GET /v1/audit/verify/records|traces/:id` answers (connectors/http/audit-verify-routes.ts). */
export interface AuditAnswer {
  kind: 'record' | 'trace';
  id: string;
  holds: boolean;
  verdicts: Verdict[];
}
export type { AuditReport, Verdict };

/**
 * What `GET /v1/audit/verify/messages/:key` answers (core/audit/message-audit.ts): an anchored
 * message's record and verdicts, or where it is while it is not anchored.
 */
export type MessageAnswer = { kind: 'message'; id: string; holds: boolean } & (
  | { state: 'anchored'; recordId: string; verdicts: Verdict[] }
  | { state: 'waiting' | 'claimed' | 'ended'; run: { workflowId: string; runId?: string }; detail: string }
);

/** A refusal or failure of the audit API, with the engine's own words. */
export class AuditApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AuditApiError';
  }
}

/** The shape a credential has (connectors/erp/credentials.ts): checked before it is ever sent. */
export const CREDENTIAL = /^yk_[0-9a-f]{24}\.[A-Za-z0-9_-]{43}$/;
/** A record or trace id: public, the only thing about a trace the engine is ever sent. */
export const ID = /^0x[0-9a-fA-F]{64}$/;

/**
 * GET on the audit API with the regulator's credential in the Authorization header: never in the
 * URL (it would reach logs and history), never a cookie (credentials: 'omit').
 */
async function auditGet(path: string, credential: string): Promise<Response> {
  const response = await fetch(path, {
    headers: { authorization: `Bearer ${credential}`, accept: 'application/json' },
    credentials: 'omit',
    cache: 'no-store',
  });
  if (response.ok) return response;
  let message = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === 'string') message = body.error;
  } catch {
    // an answer that is not the API's JSON keeps its status as the message
  }
  throw new AuditApiError(response.status, message);
}

export async function verify(kind: 'record' | 'trace', id: string, credential: string): Promise<AuditAnswer> {
  const response = await auditGet(`/v1/audit/verify/${kind}s/${id.toLowerCase()}`, credential);
  return (await response.json()) as AuditAnswer;
}

/** A message by the key the intake gave it (hl7:<MSH-4>:<MSH-10>, …): one path segment, whatever it holds. */
export async function verifyMessage(key: string, credential: string): Promise<MessageAnswer> {
  const response = await auditGet(`/v1/audit/verify/messages/${encodeURIComponent(key)}`, credential);
  return (await response.json()) as MessageAnswer;
}

const reportPath = (from: Date, to: Date, format: 'json' | 'fhir') =>
  `/v1/audit/report?${new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), format }).toString()}`;

export async function fetchReport(from: Date, to: Date, credential: string): Promise<AuditReport> {
  return (await (await auditGet(reportPath(from, to, 'json'), credential)).json()) as AuditReport;
}

/** The report as the engine sends it (JSON, or a FHIR Bundle), to save as a file. */
export async function reportFile(from: Date, to: Date, format: 'json' | 'fhir', credential: string): Promise<Blob> {
  return (await auditGet(reportPath(from, to, format), credential)).blob();
}

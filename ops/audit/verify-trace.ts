import { hexToBytes } from '@noble/hashes/utils.js';
import { toHex, type Hex } from 'viem';
import { ChainEvidence } from '../../core/audit/chain-evidence.js';
import { auditTrace, type ProofVerifier } from '../../core/audit/trace-checks.js';
import type { Verdict } from '../../core/audit/verdict.js';
import { normalizeTraceCode } from '../../core/crypto/index.js';
import { traceId, verify, verifyBatch } from '../../native/index.js';
import { registrationAccount, type AuditSources } from './verify-record.js';

/** The STARK verifier the chain's precompile runs (native/, the same Rust on both). */
export const nativeProofs: ProofVerifier = { verify, verifyBatch };

export type TraceAuditSources = Pick<AuditSources, 'chain' | 'contracts' | 'temporal' | 'codec'>;

const auditDeps = (sources: TraceAuditSources) => ({
  evidence: new ChainEvidence(sources.chain),
  contracts: sources.contracts,
  proofs: nativeProofs,
});
const registration = (sources: TraceAuditSources) => (who: { address: Hex; name: string }) =>
  registrationAccount(sources, who);

/**
 * A trace by its printed code: the id is derived here and the code opens the steps here; it is
 * sent nowhere (the chain is asked only about the public id).
 */
export async function verifyTraceByCode(
  sources: TraceAuditSources,
  printedCode: string,
): Promise<{ traceIdHex: Hex; verdicts: Verdict[] }> {
  const code = normalizeTraceCode(printedCode);
  const id = traceId(code);
  const verdicts = await auditTrace(auditDeps(sources), { id, code, registration: registration(sources) });
  return { traceIdHex: toHex(id), verdicts };
}

/** A trace by its public id, as the API takes it: integrity and authorship only, no content. */
export function verifyTraceById(sources: TraceAuditSources, id: Hex, noCode: string): Promise<Verdict[]> {
  return auditTrace(auditDeps(sources), { id: hexToBytes(id.slice(2)), noCode, registration: registration(sources) });
}

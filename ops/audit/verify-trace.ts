import { hexToBytes } from '@noble/hashes/utils.js';
import { toHex, type Hex } from 'viem';
import { ChainEvidence } from '../../core/audit/chain-evidence.js';
import { auditTrace, type ProofVerifier } from '../../core/audit/trace-checks.js';
import type { Verdict } from '../../core/audit/verdict.js';
import { normalizeTraceCode } from '../../core/crypto/index.js';
import type { ContractAddresses } from '../../core/ledger/contract-addresses.js';
import type { FiscoClient } from '../../core/ledger/fisco-client.js';
import { traceId, verify, verifyBatch } from '../../native/index.js';

/** The STARK verifier the chain's precompile runs (native/, the same Rust on both). */
export const nativeProofs: ProofVerifier = { verify, verifyBatch };

export interface TraceAuditSources {
  chain: FiscoClient;
  contracts: Pick<ContractAddresses, 'directory' | 'drugTrace'>;
}

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
  const verdicts = await auditTrace(
    { evidence: new ChainEvidence(sources.chain), contracts: sources.contracts, proofs: nativeProofs },
    { id, code },
  );
  return { traceIdHex: toHex(id), verdicts };
}

/** A trace by its public id, as the API takes it: integrity and authorship only, no content. */
export function verifyTraceById(sources: TraceAuditSources, id: Hex, noCode: string): Promise<Verdict[]> {
  return auditTrace(
    { evidence: new ChainEvidence(sources.chain), contracts: sources.contracts, proofs: nativeProofs },
    { id: hexToBytes(id.slice(2)), noCode },
  );
}

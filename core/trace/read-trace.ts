import { hexToBytes, toHex, type Hex } from 'viem';
import { CryptoError, normalizeTraceCode, openTraceStep, verifyTraceStep } from '../crypto/index.js';
import { DrugTrace } from '../../contracts/artifacts.js';
import { readContract } from '../ledger/contract-calls.js';
import type { ContractAddresses } from '../ledger/contract-addresses.js';
import { lookupIdentity } from '../ledger/directory.js';
import type { FiscoClient } from '../ledger/fisco-client.js';

export interface VerifiedTraceStep {
  index: number;
  signer: Hex;
  signerName: string;
  signerRole: number;
  /** The step data as the participant signed it (JSON text). */
  data: string;
}

export class TraceVerificationError extends Error {
  constructor(
    readonly stepIndex: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TraceVerificationError';
  }
}

export interface TraceReader {
  chain: FiscoClient;
  contracts: ContractAddresses;
  /** id = Rescue(code), the STARK's hash: native's `traceId` in Node (it has no TypeScript twin). */
  traceId(code: string): Uint8Array;
}

/**
 * traceQuery's core: id = Rescue(code) → `DrugTrace.read(id)` → decrypt every step with the code →
 * verify every signature against the Directory. Any step that fails is an error naming it, never
 * silently skipped: a history with a hole is not a history.
 */
export async function readTrace(deps: TraceReader, printedCode: string): Promise<VerifiedTraceStep[]> {
  const code = normalizeTraceCode(printedCode);
  const id = deps.traceId(code);
  const ciphertexts = await readContract(deps.chain, {
    address: deps.contracts.drugTrace,
    abi: DrugTrace.abi,
    functionName: 'read',
    args: [toHex(id)],
  });
  const steps: VerifiedTraceStep[] = [];
  for (const [index, c] of ciphertexts.entries()) {
    let step;
    try {
      step = openTraceStep(code, id, hexToBytes(c));
    } catch (cause) {
      throw new TraceVerificationError(
        index,
        `trace step ${index} does not decrypt with this trace code: ${(cause as Error).message}`,
        { cause },
      );
    }
    const signer = await lookupIdentity(deps.chain, deps.contracts.directory, toHex(step.signer));
    if (!signer)
      throw new TraceVerificationError(
        index,
        `trace step ${index} is signed by ${toHex(step.signer)}, which is not registered in the Directory`,
      );
    try {
      verifyTraceStep(step, id, signer.publicKey);
    } catch (cause) {
      if (!(cause instanceof CryptoError)) throw cause;
      throw new TraceVerificationError(
        index,
        `trace step ${index}: signature does not verify against ${signer.name}'s Directory key`,
        { cause },
      );
    }
    steps.push({
      index,
      signer: toHex(step.signer),
      signerName: signer.name,
      signerRole: signer.role,
      data: new TextDecoder().decode(step.data),
    });
  }
  return steps;
}

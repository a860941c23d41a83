import { hexToBytes, toHex, type Hex } from 'viem';
// the modules themselves, not ../crypto/index.js: a browser page reading traces must not bundle
// the re-encryption code (mcl-wasm, over a megabyte) that the index also exports
import { CryptoError } from '../crypto/errors.js';
import { normalizeTraceCode, openTraceStep, verifyTraceStep } from '../crypto/trace-step.js';
import { DrugTrace } from '../../contracts/artifacts.js';
import { readContract } from '../ledger/contract-calls.js';
import type { ContractAddresses } from '../ledger/contract-addresses.js';
import { lookupIdentity, standingAt, type DirectoryEntry } from '../ledger/directory.js';
import type { FiscoClient } from '../ledger/fisco-client.js';
import { isRole, roleName, TRACE_ROLES } from '../roles.js';

export interface VerifiedTraceStep {
  index: number;
  /** The block the chain accepted the step in. */
  block: number;
  signer: Hex;
  signerName: string;
  signerRole: number;
  /** The block the signer was revoked in, after this step (which stays valid history); null if never. */
  signerRevokedAt: number | null;
  /** The step data as the participant signed it (JSON text). */
  data: string;
}

/** Why a step on chain is not part of the package's history. */
export type InvalidStepReason = 'DECRYPT' | 'NOT_REGISTERED' | 'SIGNATURE' | 'NOT_SENDER' | 'WRONG_ROLE' | 'REVOKED';

export interface InvalidTraceStep {
  index: number;
  block: number;
  /** The account that pushed it. */
  sender: Hex;
  reason: InvalidStepReason;
  /** What did not hold, for a person to read; it never contains the code. */
  message: string;
}

export interface TraceHistory {
  /** Every step that decrypts and verifies, in chain order: the package's history. */
  steps: VerifiedTraceStep[];
  /** The steps that do not, each with its reason. They are skipped and never hide the valid ones. */
  invalid: InvalidTraceStep[];
}

export interface TraceReader {
  chain: FiscoClient;
  contracts: Pick<ContractAddresses, 'directory' | 'drugTrace'>;
  /** id = Rescue(code), the STARK's hash: native's `traceId` in Node (it has no TypeScript twin). */
  traceId(code: string): Uint8Array;
}

/**
 * traceQuery's core: id = Rescue(code) → `DrugTrace.read(id)` → decrypt every step with the code →
 * verify it against the Directory as of the step's block. Anyone holding a code can push to its
 * trace, so a step that fails is reported as invalid, with its reason, and skipped: one bad step
 * must not make a package's history unreadable. A step is valid when it decrypts, its signer is
 * registered, the signature verifies against the signer's Directory key, the signer is the account
 * that pushed it (so nobody re-pushes another participant's step), the signer is a manufacturer,
 * carrier or pharmacy, and was not revoked before the step's block.
 */
export async function readTrace(deps: TraceReader, printedCode: string): Promise<TraceHistory> {
  const code = normalizeTraceCode(printedCode);
  const id = deps.traceId(code);
  const onChain = await readContract(deps.chain, {
    address: deps.contracts.drugTrace,
    abi: DrugTrace.abi,
    functionName: 'read',
    args: [toHex(id)],
  });
  // one Directory read per signer, however many steps it signed
  const entries = new Map<Hex, Promise<DirectoryEntry | undefined>>();
  const entryOf = (address: Hex) => {
    let entry = entries.get(address);
    if (!entry) {
      entry = lookupIdentity(deps.chain, deps.contracts.directory, address);
      entries.set(address, entry);
    }
    return entry;
  };

  const history: TraceHistory = { steps: [], invalid: [] };
  for (const [index, pushed] of onChain.entries()) {
    const block = Number(pushed.blockNumber);
    const sender = pushed.sender.toLowerCase() as Hex;
    const invalid = (reason: InvalidStepReason, message: string) => {
      history.invalid.push({ index, block, sender, reason, message });
    };
    let step;
    try {
      step = openTraceStep(code, id, hexToBytes(pushed.ciphertext));
    } catch (cause) {
      if (!(cause instanceof CryptoError)) throw cause;
      invalid('DECRYPT', `does not decrypt with this trace code (${cause.message})`);
      continue;
    }
    const signer = toHex(step.signer);
    const entry = await entryOf(signer);
    if (!entry) {
      invalid('NOT_REGISTERED', `signed by ${signer}, which is not registered in the Directory`);
      continue;
    }
    try {
      verifyTraceStep(step, id, entry.publicKey);
    } catch (cause) {
      if (!(cause instanceof CryptoError)) throw cause;
      invalid('SIGNATURE', `the signature does not verify against ${entry.name}'s Directory key`);
      continue;
    }
    if (signer !== sender) {
      invalid(
        'NOT_SENDER',
        `signed by ${entry.name} (${signer}) but pushed by ${sender}: a step counts only from its signer`,
      );
    } else if (!(isRole(entry.role) && TRACE_ROLES.has(entry.role))) {
      invalid(
        'WRONG_ROLE',
        `signed by ${entry.name}, a ${roleName(entry.role)}: only manufacturers, carriers and pharmacies record steps`,
      );
    } else if (!standingAt(entry, block)) {
      invalid(
        'REVOKED',
        `signed by ${entry.name} in block ${block}, after its revocation in block ${String(entry.revokedAt)}`,
      );
    } else {
      history.steps.push({
        index,
        block,
        signer,
        signerName: entry.name,
        signerRole: entry.role,
        signerRevokedAt: entry.revokedAt,
        data: new TextDecoder().decode(step.data),
      });
    }
  }
  return history;
}

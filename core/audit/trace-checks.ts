import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { decodeFunctionData, toEventSelector, toHex, type Hex } from 'viem';
import { DrugTrace } from '../../contracts/artifacts.js';
import { CryptoError, openTraceStep, verifyTraceStep } from '../crypto/index.js';
import type { ContractAddresses } from '../ledger/contract-addresses.js';
import { readContract } from '../ledger/contract-calls.js';
import { lookupIdentity } from '../ledger/directory.js';
import { TRACE_ROLES } from '../roles.js';
import { EvidenceError, type ChainEvidence, type CheckedTransaction } from './chain-evidence.js';
import { StandingReader, type RegistrationLookup } from './standing.js';
import { fail, pass, skip, summarize, type Verdict } from './verdict.js';

/** The trace checks, in the order they are printed. */
export const TRACE_CHECKS = ['on-chain', 'senders', 'proofs', 'nonces', 'signatures', 'statements'] as const;

/** `DrugTrace.NONCE_WINDOW`: a nonce must be the hash of one of the 256 blocks before the step's. */
export const NONCE_WINDOW = 256;
/** The most steps one audit reads: each costs a block, a receipt and a transaction from the node. */
export const MAX_AUDITED_STEPS = 1000;

/**
 * The STARK verifiers the chain's precompile runs (native/ in Node: `verify`, `verifyBatch`);
 * each rejects when the proof does not show knowledge of the codes behind the ids for these
 * ciphertext hashes and this nonce.
 */
export interface ProofVerifier {
  verify(id: Uint8Array, ciphertextHash: Uint8Array, nonce: Uint8Array, proof: Uint8Array): Promise<void>;
  verifyBatch(ids: Uint8Array[], ciphertextHashes: Uint8Array[], nonce: Uint8Array, proof: Uint8Array): Promise<void>;
}

export interface TraceAuditDeps {
  evidence: ChainEvidence;
  contracts: Pick<ContractAddresses, 'directory' | 'drugTrace'>;
  proofs: ProofVerifier;
}

export interface TraceAuditInput {
  /** The public trace id, Rescue(code). */
  id: Uint8Array;
  /** The normalised trace code, on the CLI only: it decrypts the steps to check their signatures. */
  code?: string;
  /** Why there is no code, for the verdict. */
  noCode?: string;
  /** Where each sender's registering transaction is said to be; without it, registration is not dated. */
  registration?: RegistrationLookup;
}

/** One step as the chain's state holds it, with the transaction that appended it once found. */
interface AuditedStep {
  index: number;
  block: number;
  sender: Hex;
  ciphertext: Uint8Array;
  ciphertextHash: Uint8Array;
  /** The push that appended it: its transaction and the call it decoded to. */
  push?: { tx: CheckedTransaction; call: PushCall };
}

interface PushCall {
  kind: 'push' | 'pushBatch';
  ids: Uint8Array[];
  hashes: Uint8Array[];
  nonce: Uint8Array;
  proof: Uint8Array;
}

const STEP_APPENDED = (id: Hex): Hex[] => [toEventSelector('StepAppended(bytes32,uint256)'), id];

/**
 * Re-derives a trace from the chain alone (docs/design.md § Auditing): every step of
 * `DrugTrace.read` has its `StepAppended(id, index)` log, in order, in a transaction its sender
 * signed that carries its ciphertext; each sender was a registered, unrevoked manufacturer,
 * carrier or pharmacy at its block; each proof in the calldata verifies against its statement
 * `(id, keccak256(c), nonce)` with the verifier the chain runs; each nonce is the hash of a block
 * in the window before the step; with the code, each step decrypts and its signature is its
 * sender's; and no statement occurs twice. One verdict per check, in TRACE_CHECKS order.
 */
export async function auditTrace(deps: TraceAuditDeps, input: TraceAuditInput): Promise<Verdict[]> {
  const id = toHex(input.id);
  const onChain = await readContract(deps.evidence.chain, {
    address: deps.contracts.drugTrace,
    abi: DrugTrace.abi,
    functionName: 'read',
    args: [id],
  });
  if (onChain.length === 0) {
    const none = `DrugTrace holds no steps for trace id ${id}`;
    return [fail('on-chain', none), ...TRACE_CHECKS.slice(1).map((check) => skip(check, 'no steps (see on-chain)'))];
  }
  if (onChain.length > MAX_AUDITED_STEPS)
    throw new EvidenceError(
      `trace ${id} has ${onChain.length} steps, more than the ${MAX_AUDITED_STEPS} an audit reads`,
    );
  const steps: AuditedStep[] = onChain.map((step, index) => {
    const ciphertext = hexToBytes(step.ciphertext.slice(2));
    return {
      index,
      block: Number(step.blockNumber),
      sender: step.sender.toLowerCase() as Hex,
      ciphertext,
      ciphertextHash: keccak_256(ciphertext),
    };
  });
  const unfound = 'its transaction was not found (see on-chain)';

  const verdicts: Verdict[] = [await locatePushes(deps, id, steps)];
  verdicts.push(await sendersStood(deps, input, steps));
  const pushed = steps.filter((step) => step.push !== undefined);
  const missing = steps.length - pushed.length;

  verdicts.push(
    partial(
      'proofs',
      await proofProblems(deps, id, pushed),
      missing,
      unfound,
      () =>
        `${pushed.length} step(s) carry proofs that verify against (id, keccak256(c), nonce) with the chain's STARK verifier`,
    ),
  );
  verdicts.push(
    partial(
      'nonces',
      await nonceProblems(deps, pushed),
      missing,
      unfound,
      () => `every nonce is the hash of one of the ${NONCE_WINDOW} blocks before its step`,
    ),
  );
  verdicts.push(
    input.code === undefined
      ? skip('signatures', input.noCode ?? 'needs the trace code')
      : await signaturesHold(deps, input.id, input.code, steps),
  );
  const seen = new Map<string, number>();
  const repeated: string[] = [];
  for (const step of pushed) {
    const key = `${bytesToHex(step.ciphertextHash)}|${bytesToHex((step.push as { call: PushCall }).call.nonce)}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, step.index);
    else repeated.push(`step ${step.index} repeats the statement of step ${first}`);
  }
  verdicts.push(
    partial(
      'statements',
      repeated,
      missing,
      unfound,
      () => `${pushed.length} distinct statements (id, keccak256(c), nonce)`,
    ),
  );
  return verdicts;
}

/** FAIL on problems, else SKIP when some steps could not be checked, else PASS. */
function partial(check: string, problems: string[], missing: number, why: string, passed: () => string): Verdict {
  if (problems.length > 0) return fail(check, summarize(problems));
  if (missing > 0) return skip(check, `${missing} step(s) not checked: ${why}`);
  return pass(check, passed());
}

/** Finds each step's push: the one transaction of its block that logged StepAppended(id, index). */
async function locatePushes(deps: TraceAuditDeps, id: Hex, steps: AuditedStep[]): Promise<Verdict> {
  const problems: string[] = [];
  let previousBlock = 0;
  for (const step of steps) {
    if (step.block < previousBlock)
      problems.push(
        `step ${step.index} is dated block ${step.block}, before step ${step.index - 1}'s block ${previousBlock}`,
      );
    previousBlock = step.block;
    try {
      const receipts = await deps.evidence.transactionsWithLog(step.block, {
        address: deps.contracts.drugTrace,
        topics: STEP_APPENDED(id),
        data: toHex(step.index),
      });
      const [receipt, other] = receipts;
      if (!receipt)
        throw new EvidenceError(`no transaction in block ${step.block} logged StepAppended(${id}, ${step.index})`);
      if (other)
        throw new EvidenceError(`two transactions in block ${step.block} logged StepAppended(${id}, ${step.index})`);
      const tx = await deps.evidence.transaction(receipt.transactionHash);
      if (tx.to !== deps.contracts.drugTrace.toLowerCase())
        throw new EvidenceError(`transaction ${tx.hash} was sent to ${tx.to}, not to DrugTrace`);
      if (tx.sender !== step.sender)
        throw new EvidenceError(
          `transaction ${tx.hash} was signed by ${tx.sender}, but the chain records sender ${step.sender}`,
        );
      const call = decodePush(tx);
      if (
        !call.ids.some(
          (item, i) => toHex(item) === id && toHex(call.hashes[i] as Uint8Array) === toHex(step.ciphertextHash),
        )
      )
        throw new EvidenceError(
          `transaction ${tx.hash} does not carry step ${step.index}'s ciphertext for this trace id`,
        );
      step.push = { tx, call };
    } catch (error) {
      if (!(error instanceof EvidenceError)) throw error;
      problems.push(`step ${step.index}: ${error.message}`);
    }
  }
  if (problems.length > 0) return fail('on-chain', summarize(problems));
  const transactions = new Set(steps.map((step) => step.push?.tx.hash));
  return pass(
    'on-chain',
    `${steps.length} step(s), indexes 0–${steps.length - 1} in block order ${steps.map((s) => s.block).join(', ')}, each logged by its push (${transactions.size} transaction(s) signed by their senders)`,
  );
}

function decodePush(tx: CheckedTransaction): PushCall {
  let decoded;
  try {
    decoded = decodeFunctionData({ abi: DrugTrace.abi, data: toHex(tx.input) });
  } catch (cause) {
    throw new EvidenceError(`transaction ${tx.hash}'s input is not a DrugTrace call`, { cause });
  }
  const bytes = (hex: Hex) => hexToBytes(hex.slice(2));
  if (decoded.functionName === 'push') {
    const [id, c, nonce, proof] = decoded.args;
    return { kind: 'push', ids: [bytes(id)], hashes: [keccak_256(bytes(c))], nonce: bytes(nonce), proof: bytes(proof) };
  }
  if (decoded.functionName === 'pushBatch') {
    const [ids, cs, nonce, proof] = decoded.args;
    return {
      kind: 'pushBatch',
      ids: ids.map(bytes),
      hashes: cs.map((c) => keccak_256(bytes(c))),
      nonce: bytes(nonce),
      proof: bytes(proof),
    };
  }
  throw new EvidenceError(`transaction ${tx.hash} calls DrugTrace.${decoded.functionName}, not push or pushBatch`);
}

async function sendersStood(deps: TraceAuditDeps, input: TraceAuditInput, steps: AuditedStep[]): Promise<Verdict> {
  const reader = new StandingReader(deps.evidence, deps.contracts.directory, input.registration);
  const problems: string[] = [];
  const stood = new Map<Hex, string>();
  for (const step of steps) {
    const standing = await reader.at(
      step.sender,
      step.block,
      { allowed: TRACE_ROLES, wanted: 'manufacturers, carriers and pharmacies push steps', what: 'sender' },
      `step ${step.index}'s block`,
    );
    if ('problem' in standing) problems.push(`step ${step.index}: ${standing.problem}`);
    else if (!stood.has(step.sender)) stood.set(step.sender, standing.text);
  }
  if (problems.length > 0) return fail('senders', summarize(problems));
  return pass('senders', [...stood.values()].join('; '));
}

/** Each push's proof once, however many of the trace's steps it carries. */
async function proofProblems(deps: TraceAuditDeps, id: Hex, steps: AuditedStep[]): Promise<string[]> {
  const problems: string[] = [];
  const verified = new Map<string, Promise<string | undefined>>();
  for (const step of steps) {
    const { tx, call } = step.push as { tx: CheckedTransaction; call: PushCall };
    let outcome = verified.get(tx.hash);
    if (!outcome) {
      outcome = (
        call.kind === 'push'
          ? deps.proofs.verify(call.ids[0] as Uint8Array, call.hashes[0] as Uint8Array, call.nonce, call.proof)
          : deps.proofs.verifyBatch(call.ids, call.hashes, call.nonce, call.proof)
      ).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      verified.set(tx.hash, outcome);
    }
    const problem = await outcome;
    if (problem !== undefined)
      problems.push(
        `step ${step.index}: the proof in transaction ${tx.hash} does not verify against (${id}, keccak256(c), nonce 0x${bytesToHex(call.nonce)})${call.ids.length > 1 ? ` with the batch's ${call.ids.length} items` : ''}: ${problem}`,
      );
  }
  return problems;
}

/** `DrugTrace.isRecentBlockHash` as of the step's block: one of blocks b−1 … b−256. */
async function nonceProblems(deps: TraceAuditDeps, steps: AuditedStep[]): Promise<string[]> {
  const problems: string[] = [];
  for (const step of steps) {
    const { call } = step.push as { call: PushCall };
    const nonce = toHex(call.nonce);
    let found = false;
    for (let n = step.block - 1; n >= Math.max(0, step.block - NONCE_WINDOW) && !found; n--)
      found = (await deps.evidence.blockHash(n)) === nonce;
    if (!found)
      problems.push(
        `step ${step.index}: nonce ${nonce} is not the hash of any of the ${NONCE_WINDOW} blocks before block ${step.block}`,
      );
  }
  return problems;
}

async function signaturesHold(
  deps: TraceAuditDeps,
  id: Uint8Array,
  code: string,
  steps: AuditedStep[],
): Promise<Verdict> {
  const problems: string[] = [];
  for (const step of steps) {
    try {
      const opened = openTraceStep(code, id, step.ciphertext);
      const signer = toHex(opened.signer);
      if (signer !== step.sender) {
        problems.push(`step ${step.index}: signed by ${signer} but pushed by ${step.sender}`);
        continue;
      }
      const entry = await lookupIdentity(deps.evidence.chain, deps.contracts.directory, signer);
      if (!entry) problems.push(`step ${step.index}: signer ${signer} has no key in the Directory`);
      else verifyTraceStep(opened, id, entry.publicKey);
    } catch (error) {
      if (!(error instanceof CryptoError)) throw error;
      problems.push(
        `step ${step.index}: ${error.code === 'AUTH_FAILED' || error.code === 'BAD_FORMAT' ? 'does not decrypt with this code' : "the signature does not verify against its sender's Directory key"} (${error.message})`,
      );
    }
  }
  if (problems.length > 0) return fail('signatures', summarize(problems));
  return pass(
    'signatures',
    `${steps.length} step(s) decrypt with the code and carry their sender's signature, verified against the Directory`,
  );
}

import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { toEventSelector, toHex, type Hex } from 'viem';
import { RecordRegistry } from '../../contracts/artifacts.js';
import { decodeG1 } from '../crypto/bls-codec.js';
import { initPre } from '../crypto/bls.js';
import { ENVELOPE_OVERHEAD } from '../crypto/envelope.js';
import {
  CryptoError,
  decodeSignedRecord,
  open,
  PRE_CIPHERTEXT_LENGTH,
  preDecrypt,
  preDecryptReencrypted,
  verifySignedRecord,
  wipe,
} from '../crypto/index.js';
import type { ContractAddresses } from '../ledger/contract-addresses.js';
import { readContract } from '../ledger/contract-calls.js';
import { lookupIdentity } from '../ledger/directory.js';
import { LedgerError } from '../ledger/errors.js';
import { contentContext, recordIdOf, wrapContext } from '../records/record-format.js';
import { RECORD_AUTHOR_ROLES } from '../roles.js';
import { parseCid } from '../storage/cid.js';
import { collect } from '../storage/content-store.js';
import { StorageError } from '../storage/errors.js';
import { readFileDag } from '../storage/read-dag.js';
import type { BlockSource } from '../storage/verified-blocks.js';
import { EvidenceError, type ChainEvidence, type CheckedTransaction } from './chain-evidence.js';
import { StandingReader, type RegistrationLookup } from './standing.js';
import { fail, pass, skip, type Verdict } from './verdict.js';

/** The record checks, in the order they are printed. */
export const RECORD_CHECKS = [
  'on-chain',
  'id-binds-cid',
  'author',
  'content-hash',
  'wrapped-key',
  'ciphertext',
  'history',
  'decrypt-signature',
] as const;

/**
 * What the anchoring workflow's history says it anchored, decoded through the payload codec. A
 * batch execution runs many runs under one id, so its account names the run.
 */
export type HistoryAccount =
  | { workflowId: string; runId?: string; recordId: string; cid: string; transactionHash: string | null }
  | { unavailable: string };

/** How a verdict names a run: its workflow id, and its run id when known. */
export const runName = (history: { workflowId: string; runId?: string }): string =>
  history.runId === undefined ? history.workflowId : `${history.workflowId} (run ${history.runId})`;

/** A reader's way in, from their wallet and inbox: the record's CID, its context and their key. */
export interface ReaderAccess {
  /** The record id the inbox item names. */
  recordId: string;
  cid: string;
  patient: Uint8Array;
  prekeyIndex: number;
  key:
    | { kind: 'patient'; prekeySecret: Uint8Array }
    | { kind: 'grantee'; delegateeSecret: Uint8Array; reencryptedKey: Uint8Array };
}

export interface RecordAuditDeps {
  evidence: ChainEvidence;
  contracts: Pick<ContractAddresses, 'directory' | 'recordRegistry'>;
  /** Raw blocks of the content store: every one is re-hashed here, nothing the store says is taken. */
  blocks: BlockSource;
}

export interface RecordAuditInput {
  recordId: Hex;
  /**
   * The anchoring workflow's account, asked for once the chain has dated the record (its block's
   * time says where to look). Whatever it answers is compared with the chain, never believed.
   */
  history(dated: { recordId: Hex; block: number; timestamp: number }): Promise<HistoryAccount>;
  /** Where the author's registering transaction is said to be (its registerIdentity history). */
  registration: RegistrationLookup;
  /** Given on the CLI with `--wallet`: the content checks need the reader's key. */
  reader?: ReaderAccess;
  /** Why there is no reader, for the verdict (e.g. the API never shows content). */
  noReader?: string;
}

/** The topics of `RecordCreated(id)`: how the transaction that wrote a record is found in its block. */
export const recordCreatedTopics = (id: Hex): Hex[] => [toEventSelector('RecordCreated(bytes32)'), id];

/**
 * Re-derives one record's every link from the chain and the content store, trusting nothing the
 * engine's database says (docs/design.md § Auditing): the chain entry and the transaction that
 * created it, the id's binding to the CID under its sender, the sender's standing in the
 * Directory as of the record's block, the content's hash against its CID, the shapes of the
 * wrapped key and the ciphertext, the anchoring workflow's account, and, with the reader's key,
 * decryption and the author's signature. One verdict per check, in RECORD_CHECKS order.
 */
export async function auditRecord(deps: RecordAuditDeps, input: RecordAuditInput): Promise<Verdict[]> {
  await initPre();
  const id = input.recordId.toLowerCase() as Hex;
  const verdicts: Verdict[] = [];
  const add = (verdict: Verdict) => verdicts.push(verdict);

  // 1. the chain entry, and the transaction whose RecordCreated(id) log made it
  let entry: { wrappedKey: Uint8Array; createdAt: number; timestamp: number } | undefined;
  let creation: CheckedTransaction | undefined;
  try {
    const [wrappedKey, createdAt] = await readContract(deps.evidence.chain, {
      address: deps.contracts.recordRegistry,
      abi: RecordRegistry.abi,
      functionName: 'get',
      args: [id],
    });
    const block = Number(createdAt);
    entry = { wrappedKey: hexToBytes(wrappedKey.slice(2)), createdAt: block, ...(await dated(deps, block)) };
    creation = await creatingTransaction(deps, id, block);
    add(
      pass(
        'on-chain',
        `record ${id} created in block ${block} (${new Date(entry.timestamp).toISOString()}) by transaction ${creation.hash}, sent by ${creation.sender}`,
      ),
    );
  } catch (error) {
    if (error instanceof LedgerError && error.code === 'REVERTED')
      add(fail('on-chain', `RecordRegistry holds no record ${id} (${error.message})`));
    else if (error instanceof EvidenceError) add(fail('on-chain', error.message));
    else throw error;
  }
  const noChain = 'the record or its creating transaction is not on chain (see on-chain)';

  // 2. where the CID comes from: the reader's inbox, else the anchoring workflow's history
  const history =
    entry && creation
      ? await input.history({ recordId: id, block: entry.createdAt, timestamp: entry.timestamp })
      : undefined;
  const claimed = input.reader
    ? { cid: input.reader.cid, source: "the reader's inbox item" }
    : history && 'cid' in history
      ? { cid: history.cid, source: `workflow ${runName(history)}'s history` }
      : undefined;
  let cid: string | undefined;
  if (!creation) add(skip('id-binds-cid', noChain));
  else if (!claimed)
    add(
      skip(
        'id-binds-cid',
        "no CID to check: the reader's wallet was not given and the history names none (see history)",
      ),
    );
  else {
    const derived = bindsTo(creation.sender, claimed.cid);
    if (derived === id) {
      cid = claimed.cid;
      add(
        pass(
          'id-binds-cid',
          `${id} = keccak256(${creation.sender} ‖ keccak256(CID ${cid})), the CID from ${claimed.source}`,
        ),
      );
    } else
      add(
        fail(
          'id-binds-cid',
          `CID ${claimed.cid} from ${claimed.source} is not this record's: under sender ${creation.sender} it gives id ${derived ?? '(not a CID)'}`,
        ),
      );
  }

  // 3. the sender's standing in the Directory as of the record's block
  if (!entry || !creation) add(skip('author', noChain));
  else add(await authorStanding(deps, input, creation.sender, entry.createdAt));

  // 4. the stored object against its CID, every block re-hashed here
  let content: Uint8Array | undefined;
  if (!cid) add(skip('content-hash', 'no CID bound to the record (see id-binds-cid)'));
  else {
    try {
      content = await collect(readFileDag(parseCid(cid), deps.blocks));
      add(pass('content-hash', `content ${cid}: every block re-hashed to its CID (${content.length} bytes)`));
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      add(fail('content-hash', `content ${cid}: ${error.message}`));
    }
  }

  // 5. shapes: the wrapped key from the chain, the ciphertext from the verified content
  add(entry ? wrappedKeyShape(entry.wrappedKey) : skip('wrapped-key', noChain));
  if (!content) add(skip('ciphertext', 'no verified content (see content-hash)'));
  else if (content.length < ENVELOPE_OVERHEAD + SIGNED_RECORD_MINIMUM || content[0] !== 0x01)
    add(
      fail(
        'ciphertext',
        `content ${cid ?? ''} is not a record envelope: ${content.length} bytes, version byte 0x${(content[0] ?? 0).toString(16).padStart(2, '0')} (expected 0x01 and at least ${ENVELOPE_OVERHEAD + SIGNED_RECORD_MINIMUM} bytes)`,
      ),
    );
  else add(pass('ciphertext', `an envelope of version 0x01, ${content.length} bytes`));

  // 6. the anchoring workflow's account against the chain
  if (!history || !creation) add(skip('history', noChain));
  else add(historyAgrees(history, { id, cid: cid ?? claimed?.cid, transaction: creation.hash }));

  // 7. with the reader's key: decryption and the author's signature against the Directory
  if (!input.reader) add(skip('decrypt-signature', input.noReader ?? "needs the reader's wallet (--wallet DIR)"));
  else if (!entry || !creation) add(skip('decrypt-signature', noChain));
  else if (!content) add(skip('decrypt-signature', 'no verified content (see content-hash)'));
  else
    add(
      await decryptAndVerify(deps, input.reader, {
        id,
        wrappedKey: entry.wrappedKey,
        sender: creation.sender,
        content,
      }),
    );
  return verdicts;
}

/** A signed record's fixed part: version, author address, signature (docs/formats.md § Signed record). */
const SIGNED_RECORD_MINIMUM = 86;

async function dated(deps: RecordAuditDeps, block: number): Promise<{ timestamp: number }> {
  return { timestamp: (await deps.evidence.block(block)).timestamp };
}

async function creatingTransaction(deps: RecordAuditDeps, id: Hex, block: number): Promise<CheckedTransaction> {
  const receipts = await deps.evidence.transactionsWithLog(block, {
    address: deps.contracts.recordRegistry,
    topics: recordCreatedTopics(id),
  });
  const [receipt, other] = receipts;
  if (!receipt)
    throw new EvidenceError(
      `no transaction in block ${block} logged RecordCreated(${id}), though the registry dates the record there`,
    );
  if (other)
    throw new EvidenceError(
      `two transactions in block ${block} logged RecordCreated(${id}): ${receipt.transactionHash}, ${other.transactionHash}`,
    );
  const tx = await deps.evidence.transaction(receipt.transactionHash);
  if (tx.to !== deps.contracts.recordRegistry.toLowerCase())
    throw new EvidenceError(`transaction ${tx.hash} was sent to ${tx.to}, not to the RecordRegistry`);
  return tx;
}

function bindsTo(sender: Hex, cid: string): Hex | undefined {
  try {
    return toHex(recordIdOf(hexToBytes(sender.slice(2)), cid));
  } catch (error) {
    if (error instanceof StorageError) return undefined;
    throw error;
  }
}

async function authorStanding(
  deps: RecordAuditDeps,
  input: RecordAuditInput,
  sender: Hex,
  block: number,
): Promise<Verdict> {
  const standing = await new StandingReader(deps.evidence, deps.contracts.directory, input.registration).at(
    sender,
    block,
    { allowed: RECORD_AUTHOR_ROLES, wanted: 'hospitals and doctors author records', what: 'sender' },
    "the record's block",
  );
  return 'problem' in standing ? fail('author', standing.problem) : pass('author', standing.text);
}

function wrappedKeyShape(wrapped: Uint8Array): Verdict {
  if (wrapped.length !== PRE_CIPHERTEXT_LENGTH || wrapped[0] !== 0x01)
    return fail(
      'wrapped-key',
      `the wrapped key on chain is ${wrapped.length} bytes starting 0x${(wrapped[0] ?? 0).toString(16).padStart(2, '0')}, not a ${PRE_CIPHERTEXT_LENGTH}-byte first-level PRE ciphertext (0x01)`,
    );
  try {
    decodeG1(wrapped.subarray(1, 49), 'C1 of the wrapped key');
  } catch (error) {
    if (!(error instanceof CryptoError)) throw error;
    return fail('wrapped-key', error.message);
  }
  if (wrapped[49] !== 0x01)
    return fail('wrapped-key', `the wrapped key's envelope has version 0x${(wrapped[49] ?? 0).toString(16)}, not 0x01`);
  return pass(
    'wrapped-key',
    `0x01 ‖ C1 (a point of G1's prime-order subgroup) ‖ a ${PRE_CIPHERTEXT_LENGTH - 49}-byte envelope`,
  );
}

function historyAgrees(
  history: HistoryAccount,
  chain: { id: Hex; cid: string | undefined; transaction: Hex },
): Verdict {
  if ('unavailable' in history) return fail('history', history.unavailable);
  const problems: string[] = [];
  if (history.recordId.toLowerCase() !== chain.id) problems.push(`record id ${history.recordId}`);
  if (chain.cid !== undefined && history.cid !== chain.cid) problems.push(`CID ${history.cid}, not ${chain.cid}`);
  if (history.transactionHash !== null && history.transactionHash.toLowerCase() !== chain.transaction)
    problems.push(`transaction ${history.transactionHash}, not ${chain.transaction}`);
  if (problems.length > 0)
    return fail('history', `workflow ${runName(history)}'s history names ${problems.join(', ')}`);
  return pass(
    'history',
    `workflow ${runName(history)}'s history (decoded through the payload codec) names the same record id, CID and ${
      history.transactionHash === null ? 'no transaction (an earlier attempt had written the record)' : 'transaction'
    }`,
  );
}

async function decryptAndVerify(
  deps: RecordAuditDeps,
  reader: ReaderAccess,
  record: { id: Hex; wrappedKey: Uint8Array; sender: Hex; content: Uint8Array },
): Promise<Verdict> {
  const check = 'decrypt-signature';
  if (reader.recordId.toLowerCase() !== record.id)
    return fail(check, `the reader's inbox item names record ${reader.recordId}, not ${record.id}`);
  const recordId = hexToBytes(record.id.slice(2));
  let signedBytes: Uint8Array;
  let dek: Uint8Array | undefined;
  try {
    dek =
      reader.key.kind === 'patient'
        ? preDecrypt(reader.key.prekeySecret, record.wrappedKey, wrapContext(recordId))
        : preDecryptReencrypted(reader.key.delegateeSecret, reader.key.reencryptedKey, wrapContext(recordId));
    signedBytes = open(dek, contentContext(reader.patient, reader.prekeyIndex), record.content);
  } catch (error) {
    if (!(error instanceof CryptoError)) throw error;
    return fail(
      check,
      `${dek ? 'the content does not decrypt under the record key' : `the ${reader.key.kind === 'patient' ? 'wrapped' : 're-encrypted'} key does not open with the reader's key`}: ${error.message}`,
    );
  } finally {
    if (dek) wipe(dek);
  }
  let signed;
  try {
    signed = decodeSignedRecord(signedBytes);
  } catch (error) {
    if (!(error instanceof CryptoError)) throw error;
    return fail(check, `the decrypted content is not a signed record: ${error.message}`);
  }
  const signer = toHex(signed.author);
  if (signer !== record.sender)
    return fail(check, `the content is signed by ${signer}, not by ${record.sender}, who created the record`);
  const author = await lookupIdentity(deps.evidence.chain, deps.contracts.directory, signer);
  if (!author) return fail(check, `the signer ${signer} has no key in the Directory`);
  try {
    verifySignedRecord(signed, author.publicKey);
  } catch (error) {
    if (!(error instanceof CryptoError)) throw error;
    return fail(check, `the signature does not verify against ${author.name}'s Directory key: ${error.message}`);
  }
  return pass(
    check,
    `decrypted ${signed.record.length} bytes of record with the reader's key; signed by ${author.name} (${signer}), verified against the Directory key (0x${bytesToHex(author.publicKey).slice(0, 8)}…)`,
  );
}

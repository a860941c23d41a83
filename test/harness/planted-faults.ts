import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { CID } from 'multiformats/cid';
import { base32 } from 'multiformats/bases/base32';
import { decodeFunctionData, encodeAbiParameters, encodeFunctionData, type Hex } from 'viem';
import { DrugTrace } from '../../contracts/artifacts.js';
import { signDigest } from '../../core/crypto/index.js';
import { dataHashOf, decodeTransaction, encodeTransaction } from '../../core/ledger/tars-transaction.js';

/*
 * Faults an audit must catch, planted where an attacker (or a broken node) would put them: in the
 * content store's files and in the dev chain's SQLite file, behind the software's back. Nothing
 * here goes through the engine or the contracts, which would refuse every one of them.
 */

/** Writes other bytes where the embedded store keeps the block of `cid` (docs/formats.md § Content store). */
export async function replaceStoredBlock(home: string, cid: string, bytes: Uint8Array): Promise<void> {
  const name = CID.parse(cid).toString(base32);
  await writeFile(join(home, 'blocks', name.slice(-3, -1), `${name}.data`), bytes);
}

function openChainFile(dataDir: string): Database.Database {
  const db = new Database(join(dataDir, 'chain.sqlite'));
  // the running node writes blocks to the same file
  db.pragma('busy_timeout = 10000');
  return db;
}

/**
 * Sets `Directory.identities[account].revokedAt` in the dev chain's stored state: a revocation
 * dated `block` that no transaction made. The contract's first variable is the mapping (`ca` is
 * immutable), so the entry's first slot is keccak256(account ‖ 0), holding role (byte 0) and
 * revokedAt (bytes 1–8). The node reads its state at start: restart it afterwards.
 */
export function plantRevocation(dataDir: string, directory: string, account: Hex, block: number): void {
  const slot = bytesToHex(
    keccak_256(hexToBytes(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [account, 0n]).slice(2))),
  );
  const db = openChainFile(dataDir);
  try {
    const row = db
      .prepare<[string, string], { value: Buffer }>('SELECT value FROM storage WHERE address = ? AND slot = ?')
      .get(directory.toLowerCase(), slot);
    if (!row) throw new Error(`no Directory entry for ${account} in the stored state`);
    const role = BigInt(`0x${row.value.toString('hex') || '0'}`) & 0xffn;
    const value = (role | (BigInt(block) << 8n)).toString(16);
    db.prepare('UPDATE storage SET value = ? WHERE address = ? AND slot = ?').run(
      Buffer.from(value.padStart(value.length + (value.length % 2), '0'), 'hex'),
      directory.toLowerCase(),
      slot,
    );
  } finally {
    db.close();
  }
}

/**
 * Rewrites the stored push `victim` so that its calldata carries the proof of push `donor` (a
 * valid proof, of another statement), re-signed by its sender so that the transaction itself is
 * well formed; its receipt and its block's list follow the new hash. What a node whose history
 * was rewritten (or whose STARK precompile let anything through) would serve. Returns the new hash.
 */
export function swapProof(dataDir: string, victim: string, donor: string, senderSecret: Uint8Array): Hex {
  const db = openChainFile(dataDir);
  try {
    const row = (hash: string) => {
      const found = db
        .prepare<[string], { raw: Buffer; receipt: string; block_number: number }>(
          'SELECT raw, receipt, block_number FROM transactions WHERE hash = ?',
        )
        .get(hash.toLowerCase());
      if (!found) throw new Error(`no stored transaction ${hash}`);
      return found;
    };
    const proofOf = (raw: Buffer) => {
      const call = decodeFunctionData({
        abi: DrugTrace.abi,
        data: `0x${bytesToHex(decodeTransaction(raw).data.input)}`,
      });
      if (call.functionName !== 'pushBatch') throw new Error(`not a pushBatch: ${call.functionName}`);
      return call.args;
    };
    const stored = row(victim);
    const [ids, cs, nonce] = proofOf(stored.raw);
    const [, , , proof] = proofOf(row(donor).raw);
    const tx = decodeTransaction(stored.raw);
    const data = {
      ...tx.data,
      input: hexToBytes(
        encodeFunctionData({ abi: DrugTrace.abi, functionName: 'pushBatch', args: [ids, cs, nonce, proof] }).slice(2),
      ),
    };
    const dataHash = dataHashOf(data);
    const raw = encodeTransaction({ ...tx, data, dataHash, signature: signDigest(senderSecret, dataHash) });
    const hash: Hex = `0x${bytesToHex(dataHash)}`;
    const receipt = {
      ...(JSON.parse(stored.receipt) as object),
      transactionHash: hash,
      input: `0x${bytesToHex(data.input)}`,
    };
    db.transaction(() => {
      db.prepare('UPDATE transactions SET hash = ?, raw = ?, receipt = ? WHERE hash = ?').run(
        hash,
        Buffer.from(raw),
        JSON.stringify(receipt),
        victim.toLowerCase(),
      );
      const block = db
        .prepare<[number], { tx_hashes: string }>('SELECT tx_hashes FROM blocks WHERE number = ?')
        .get(stored.block_number);
      const hashes = (JSON.parse(block?.tx_hashes ?? '[]') as string[]).map((h) =>
        h === victim.toLowerCase() ? hash : h,
      );
      db.prepare('UPDATE blocks SET tx_hashes = ? WHERE number = ?').run(JSON.stringify(hashes), stored.block_number);
    })();
    return hash;
  } finally {
    db.close();
  }
}

/** The columns of a message's row that say where it was anchored. */
export interface AnchoredMessageRow {
  claim: string;
  record_id: string | null;
  anchored_by: string | null;
}

/**
 * Rewrites a message's row in the engine's `anchored_messages` (its SQLite file, beside the
 * running engine): the row says where the message was anchored, and an audit must not take its
 * word for it. Returns the row as it was, to put back.
 */
export function rewriteAnchoredMessage(
  home: string,
  messageKey: string,
  changes: Partial<AnchoredMessageRow>,
): AnchoredMessageRow {
  const db = new Database(join(home, 'engine.sqlite'));
  try {
    db.pragma('busy_timeout = 10000');
    const before = db
      .prepare<[string], AnchoredMessageRow>(
        'select claim, record_id, anchored_by from anchored_messages where message_key = ?',
      )
      .get(messageKey);
    if (!before) throw new Error(`no anchored_messages row for ${messageKey}`);
    const row = { ...before, ...changes };
    db.prepare('update anchored_messages set claim = ?, record_id = ?, anchored_by = ? where message_key = ?').run(
      row.claim,
      row.record_id,
      row.anchored_by,
      messageKey,
    );
    return before;
  } finally {
    db.close();
  }
}

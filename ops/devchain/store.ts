import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StateChanges, StateSnapshot } from './state.js';

export interface StoredBlock {
  number: number;
  hash: string;
  parentHash: string;
  timestamp: number;
  stateRoot: string;
  transactionHashes: string[];
}

export interface StoredTransaction {
  hash: string;
  nonce: string;
  blockNumber: number;
  index: number;
  raw: Uint8Array;
  receipt: string;
}

/**
 * The dev chain's disk: one SQLite file holding the EVM state (accounts, code, storage slots),
 * blocks, and transactions with their receipts. A block's state changes are written in the same
 * SQLite transaction as the block itself, so a crash leaves either the whole block or none of it.
 */
export class ChainStore {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'chain.sqlite'));
    this.db.pragma('journal_mode = WAL');
    // WAL with synchronous=NORMAL survives a killed process; a power loss may lose the last blocks
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS accounts (address TEXT PRIMARY KEY, rlp BLOB NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS code (address TEXT PRIMARY KEY, code BLOB NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS storage (address TEXT NOT NULL, slot TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (address, slot)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, parent_hash TEXT NOT NULL,
        timestamp INTEGER NOT NULL, state_root TEXT NOT NULL, tx_hashes TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS transactions (hash TEXT PRIMARY KEY, nonce TEXT NOT NULL UNIQUE, block_number INTEGER NOT NULL,
        idx INTEGER NOT NULL, raw BLOB NOT NULL, receipt TEXT NOT NULL);
    `);
    this.statements = {
      putAccount: this.db.prepare('INSERT OR REPLACE INTO accounts (address, rlp) VALUES (?, ?)'),
      deleteAccount: this.db.prepare('DELETE FROM accounts WHERE address = ?'),
      putCode: this.db.prepare('INSERT OR REPLACE INTO code (address, code) VALUES (?, ?)'),
      putSlot: this.db.prepare('INSERT OR REPLACE INTO storage (address, slot, value) VALUES (?, ?, ?)'),
      clearStorage: this.db.prepare('DELETE FROM storage WHERE address = ?'),
      putBlock: this.db.prepare(
        'INSERT INTO blocks (number, hash, parent_hash, timestamp, state_root, tx_hashes) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      putTransaction: this.db.prepare(
        'INSERT INTO transactions (hash, nonce, block_number, idx, raw, receipt) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      head: this.db.prepare<[], BlockRow>('SELECT * FROM blocks ORDER BY number DESC LIMIT 1'),
      blockByNumber: this.db.prepare<[number], BlockRow>('SELECT * FROM blocks WHERE number = ?'),
      transaction: this.db.prepare<[string], TransactionRow>('SELECT * FROM transactions WHERE hash = ?'),
      nonceUsed: this.db.prepare<[string], { hash: string }>('SELECT hash FROM transactions WHERE nonce = ?'),
    };
  }

  /** Everything the state holds, to rebuild it in memory on start. */
  loadState(): StateSnapshot {
    const bytes = (value: Buffer) => new Uint8Array(value);
    return {
      accounts: this.db
        .prepare<[], { address: string; rlp: Buffer }>('SELECT address, rlp FROM accounts')
        .all()
        .map((row) => ({ address: row.address, rlp: bytes(row.rlp) })),
      code: this.db
        .prepare<[], { address: string; code: Buffer }>('SELECT address, code FROM code')
        .all()
        .map((row) => ({ address: row.address, code: bytes(row.code) })),
      storage: this.db
        .prepare<[], { address: string; slot: string; value: Buffer }>('SELECT address, slot, value FROM storage')
        .all()
        .map((row) => ({ address: row.address, slot: row.slot, value: bytes(row.value) })),
    };
  }

  /** Writes the block, its transactions and the state changes it made, atomically. */
  commitBlock(block: StoredBlock, transactions: StoredTransaction[], changes: StateChanges): void {
    this.db.transaction(() => {
      for (const address of changes.clearedStorage) this.statements.clearStorage.run(address);
      for (const { address, rlp } of changes.accounts) {
        if (rlp) this.statements.putAccount.run(address, Buffer.from(rlp));
        else this.statements.deleteAccount.run(address);
      }
      for (const { address, code } of changes.code) this.statements.putCode.run(address, Buffer.from(code));
      for (const { address, slot, value } of changes.storage)
        this.statements.putSlot.run(address, slot, Buffer.from(value));
      this.statements.putBlock.run(
        block.number,
        block.hash,
        block.parentHash,
        block.timestamp,
        block.stateRoot,
        JSON.stringify(block.transactionHashes),
      );
      for (const tx of transactions) {
        this.statements.putTransaction.run(
          tx.hash,
          tx.nonce,
          tx.blockNumber,
          tx.index,
          Buffer.from(tx.raw),
          tx.receipt,
        );
      }
    })();
  }

  head(): StoredBlock | undefined {
    const row = this.statements.head.get();
    return row && toBlock(row);
  }

  block(number: number): StoredBlock | undefined {
    const row = this.statements.blockByNumber.get(number);
    return row && toBlock(row);
  }

  transaction(hash: string): StoredTransaction | undefined {
    const row = this.statements.transaction.get(hash);
    return (
      row && {
        hash: row.hash,
        nonce: row.nonce,
        blockNumber: row.block_number,
        index: row.idx,
        raw: new Uint8Array(row.raw),
        receipt: row.receipt,
      }
    );
  }

  isNonceUsed(nonce: string): boolean {
    return this.statements.nonceUsed.get(nonce) !== undefined;
  }

  close(): void {
    this.db.close();
  }
}

interface BlockRow {
  number: number;
  hash: string;
  parent_hash: string;
  timestamp: number;
  state_root: string;
  tx_hashes: string;
}

interface TransactionRow {
  hash: string;
  nonce: string;
  block_number: number;
  idx: number;
  raw: Buffer;
  receipt: string;
}

function toBlock(row: BlockRow): StoredBlock {
  return {
    number: row.number,
    hash: row.hash,
    parentHash: row.parent_hash,
    timestamp: row.timestamp,
    stateRoot: row.state_root,
    transactionHashes: JSON.parse(row.tx_hashes) as string[],
  };
}

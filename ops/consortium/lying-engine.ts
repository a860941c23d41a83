import { join } from 'node:path';
import Database from 'better-sqlite3';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { sealTo } from '../../core/crypto/index.js';
import { INBOX_CONTEXT, inboxMessageSchema, type InboxMessage } from '../../core/inbox/inbox-message.js';

/**
 * Fault injection for the consortium's demo and its test: what an engine whose operator turned
 * against its patients could serve. It rewrites one item of the engine's own inbox in its state
 * database (`<data dir>/engine.sqlite`) while the engine runs, sealed to the recipient's public
 * key as a real item is, so the wallet opens it and only its verification can tell. Never part
 * of an engine: the launcher's story uses it on a development consortium to show the wallet
 * catching the lie. Returns a function that puts the true item back.
 */
export function forgeInboxItem(
  engineHome: string,
  recipient: { address: string; publicKey: Uint8Array },
  seq: number,
  forged: InboxMessage,
): () => void {
  const database = new Database(join(engineHome, 'engine.sqlite'));
  try {
    database.pragma('busy_timeout = 5000');
    const row = database
      .prepare<[number, string], { sealed: Buffer }>('SELECT sealed FROM inbox WHERE seq = ? AND recipient = ?')
      .get(seq, recipient.address.toLowerCase());
    if (!row) throw new Error(`no inbox item ${String(seq)} of ${recipient.address} in ${engineHome}`);
    const sealed = sealTo(
      recipient.publicKey,
      utf8ToBytes(JSON.stringify(inboxMessageSchema.parse(forged))),
      INBOX_CONTEXT,
    );
    database.prepare('UPDATE inbox SET sealed = ? WHERE seq = ?').run(Buffer.from(sealed), seq);
    const original = row.sealed;
    return () => {
      const again = new Database(join(engineHome, 'engine.sqlite'));
      try {
        again.pragma('busy_timeout = 5000');
        again.prepare('UPDATE inbox SET sealed = ? WHERE seq = ?').run(original, seq);
      } finally {
        again.close();
      }
    };
  } finally {
    database.close();
  }
}

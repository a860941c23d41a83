import type { KeystoreJson } from '../../../core/keys/index.js';
import type { KeystoreSlot } from '../../../wallet/wallet.js';

/**
 * The browser's wallet slot: the keystore JSON the CLI writes (core/keys/keystore-format.ts),
 * encrypted under the person's passphrase, kept in this origin's IndexedDB. Nothing else is kept:
 * the passphrase lives only in the open wallet's memory, so the stored document is exactly the
 * file `yilian --dir` opens and the file an export downloads.
 */
const DATABASE = 'yilian-wallet';
const STORE = 'keystores';
const KEY = 'wallet';

function database(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
  });
}

async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await database();
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      // resolved on completion, so a write is durable before the wallet says it is kept
      transaction.oncomplete = () => resolve(request.result as T);
      transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** The stored keystore JSON, or undefined in a browser that holds no wallet yet. */
export const storedKeystore = (): Promise<KeystoreJson | undefined> =>
  run<KeystoreJson | undefined>('readonly', (store) => store.get(KEY));

/** This browser's one wallet slot. */
export const browserSlot: KeystoreSlot = {
  async read() {
    const json = await storedKeystore();
    if (json === undefined) throw new Error('this browser holds no wallet');
    return json;
  },
  async write(json) {
    await run('readwrite', (store) => store.put(json, KEY));
  },
};

/** Forgets the wallet in this browser (after an export, or to import another). */
export const forgetKeystore = (): Promise<void> => run('readwrite', (store) => store.delete(KEY));

/** A slot over a document held in memory: an imported file is opened there before it replaces anything. */
export function memorySlot(json: unknown): KeystoreSlot {
  let current = json;
  return {
    read: () => Promise.resolve(current),
    write: (next) => {
      current = next;
      return Promise.resolve();
    },
  };
}

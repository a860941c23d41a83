import type { EngineListJson, EngineListSlot } from '../../../wallet/engine-list.js';

const PREFIX = 'yilian-wallet-engines:';

/**
 * A wallet's engine list in this origin's localStorage, one per account. localStorage rather than
 * the keystore's IndexedDB: the list is public facts (engine URLs, organisations' accounts and
 * names, prekey ids, never a key) that the browser keeps under the same origin either way, it is
 * small and read whole, and a synchronous store needs no schema upgrade of the keystore's database.
 * Keyed by account, so a keystore imported in place of another never inherits the other's prekey
 * notes, and the same wallet imported again finds its engines again.
 */
export function browserEngineListSlot(account: string): EngineListSlot {
  const key = `${PREFIX}${account.toLowerCase()}`;
  return {
    read(): Promise<unknown> {
      const text = localStorage.getItem(key);
      if (text === null) return Promise.resolve(undefined);
      try {
        return Promise.resolve(JSON.parse(text));
      } catch (cause) {
        return Promise.reject(new Error(`this browser's engine list for ${account} is not valid JSON`, { cause }));
      }
    },
    write(list: EngineListJson): Promise<void> {
      localStorage.setItem(key, JSON.stringify(list));
      return Promise.resolve();
    },
  };
}

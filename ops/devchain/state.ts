import { SimpleStateManager } from '@ethereumjs/statemanager';
import {
  createAccountFromRLP,
  createAddressFromString,
  type Account,
  type Address,
  type PrefixedHexString,
} from '@ethereumjs/util';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/** What one block changed, as final values: the rows the store writes with the block. */
export interface StateChanges {
  accounts: Array<{ address: string; rlp: Uint8Array | null }>;
  code: Array<{ address: string; code: Uint8Array }>;
  storage: Array<{ address: string; slot: string; value: Uint8Array }>;
  clearedStorage: string[];
}

export interface StateSnapshot {
  accounts: Array<{ address: string; rlp: Uint8Array }>;
  code: Array<{ address: string; code: Uint8Array }>;
  storage: Array<{ address: string; slot: string; value: Uint8Array }>;
}

const DELETED = Symbol('deleted');

/**
 * One checkpoint level: its own writes over a parent level. Reading falls through to the parent;
 * `copy` clones a value read from below (accounts are mutated in place by the EVM), so a revert
 * that drops this level leaves the parent untouched. Checkpoints cost O(writes), not O(state).
 *
 * The bottom level (the committed state) can also be read through views (`snapshot`): before a
 * write to it, the value it replaces is pinned in every view that has not read its own copy yet,
 * so a view keeps seeing the state as it was when taken while blocks commit (copy on write, in
 * O(writes) again).
 */
class Layer<K extends string, V> extends Map<K, V> {
  private views?: Set<Layer<K, V>>;
  /** In a view: what the committed state held for keys written there since the view was taken. */
  private pinned?: Map<K, V | typeof DELETED>;

  constructor(
    readonly parent?: Layer<K, V>,
    private readonly copy?: (value: V) => V,
  ) {
    super();
  }

  override get(key: K): V | undefined {
    if (super.has(key)) {
      const value = super.get(key);
      return value === DELETED ? undefined : value;
    }
    let inherited: V | typeof DELETED | undefined;
    if (this.pinned?.has(key)) inherited = this.pinned.get(key);
    else if (this.parent?.has(key)) inherited = this.parent.get(key);
    if (inherited === undefined || inherited === DELETED) return undefined;
    if (!this.copy) return inherited;
    const own = this.copy(inherited);
    super.set(key, own);
    return own;
  }

  override has(key: K): boolean {
    if (super.has(key)) return super.get(key) !== DELETED;
    if (this.pinned?.has(key)) return this.pinned.get(key) !== DELETED;
    return this.parent?.has(key) ?? false;
  }

  override set(key: K, value: V): this {
    this.pinForViews(key);
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    const had = this.has(key);
    this.pinForViews(key);
    if (this.parent) super.set(key, DELETED as V);
    else super.delete(key);
    return had;
  }

  override *keys(): MapIterator<K> {
    const seen = new Set<K>();
    for (const layer of layersFrom(this)) {
      for (const key of [...(Map.prototype.keys.call(layer) as MapIterator<K>), ...(layer.pinned?.keys() ?? [])]) {
        if (!seen.has(key)) {
          seen.add(key);
          if (this.has(key)) yield key;
        }
      }
    }
  }

  /** Folds this level's writes into its parent: the commit of a checkpoint. */
  mergeIntoParent(): void {
    const parent = this.parent;
    if (!parent) return;
    for (const [key, value] of Map.prototype.entries.call(this) as MapIterator<[K, V]>) {
      if (value === DELETED) parent.delete(key);
      else parent.set(key, value);
    }
  }

  /** A level over this one that keeps reading it as it is now; `release` it when done. */
  snapshot(): Layer<K, V> {
    const view = new Layer(this, this.copy);
    view.pinned = new Map();
    (this.views ??= new Set()).add(view);
    return view;
  }

  release(view: Layer<K, V>): void {
    this.views?.delete(view);
  }

  private pinForViews(key: K): void {
    if (!this.views?.size) return;
    const current = Map.prototype.has.call(this, key) ? (Map.prototype.get.call(this, key) as V) : DELETED;
    for (const view of this.views) {
      if (!Map.prototype.has.call(view, key) && !view.pinned?.has(key)) view.pinned?.set(key, current);
    }
  }
}

const copyAccount = (account: Account | undefined) =>
  account === undefined
    ? undefined
    : (Object.assign(Object.create(Object.getPrototypeOf(account) as object), account) as Account);

/**
 * The EVM's state in memory: ethereumjs' SimpleStateManager with checkpoints as layers of writes
 * (its own copies the whole state at every checkpoint, which grows with the chain), remembering
 * which accounts, code and slots a block touched so that their final values can be written to
 * disk with the block. A dev chain's state is small; keeping it in memory keeps execution cheap,
 * where a Merkle trie would hash every write. There is no Merkle state root: the block commits to
 * a hash of the changes instead (see DevChain).
 */
export class PersistentStateManager extends SimpleStateManager {
  private touchedAccounts = new Set<string>();
  private touchedCode = new Set<string>();
  private touchedSlots = new Map<string, { address: string; slot: string }>();
  private cleared = new Set<string>();

  static async fromSnapshot(snapshot: StateSnapshot): Promise<PersistentStateManager> {
    const state = new PersistentStateManager();
    for (const { address, rlp } of snapshot.accounts)
      await state.putAccount(createAddressFromString(address), createAccountFromRLP(rlp));
    for (const { address, code } of snapshot.code) await state.putCode(createAddressFromString(address), code);
    for (const { address, slot, value } of snapshot.storage)
      await state.putStorage(createAddressFromString(address), hexToBytes(slot), value);
    state.forget();
    return state;
  }

  override checkpointSync(): void {
    const top = <K extends string, V>(stack: Map<K, V>[]) => stack[stack.length - 1] as Layer<K, V> | undefined;
    this.accountStack.push(new Layer(top(this.accountStack), copyAccount));
    this.codeStack.push(new Layer(top(this.codeStack)));
    this.storageStack.push(new Layer(top(this.storageStack)));
  }

  override commit(): Promise<void> {
    this.commitSync();
    return Promise.resolve();
  }

  /** `commit` without a turn of the event loop, so a block's state and its number change together. */
  commitSync(): void {
    for (const stack of [this.accountStack, this.codeStack, this.storageStack] as Array<Map<string, unknown>[]>) {
      (stack.pop() as Layer<string, unknown>).mergeIntoParent();
    }
  }

  override revert(): Promise<void> {
    this.accountStack.pop();
    this.codeStack.pop();
    this.storageStack.pop();
    return Promise.resolve();
  }

  /** Open checkpoints, plus one for the committed state. */
  get depth(): number {
    return this.accountStack.length;
  }

  /**
   * Drops the checkpoints above `depth` and what they hold: after an execution that was cut short
   * by an exception, which leaves the EVM's checkpoints unbalanced.
   */
  revertTo(depth: number): void {
    for (const stack of [this.accountStack, this.codeStack, this.storageStack] as Array<Map<string, unknown>[]>) {
      stack.length = Math.min(stack.length, depth);
    }
  }

  /**
   * Makes this state read `source`'s committed state as it is now, for read-only calls: they run
   * beside the block being executed and see neither it nor a block committed while they run.
   * Writes stay here. Call the returned release when done, or `source` keeps pinning values.
   */
  readFrom(source: PersistentStateManager): () => void {
    const accounts = source.accountStack[0] as Layer<PrefixedHexString, Account | undefined>;
    const code = source.codeStack[0] as Layer<PrefixedHexString, Uint8Array>;
    const storage = source.storageStack[0] as Layer<string, Uint8Array>;
    const views = { accounts: accounts.snapshot(), code: code.snapshot(), storage: storage.snapshot() };
    this.accountStack = [views.accounts];
    this.codeStack = [views.code];
    this.storageStack = [views.storage];
    this.originalStorageCache.clear();
    return () => {
      accounts.release(views.accounts);
      code.release(views.code);
      storage.release(views.storage);
    };
  }

  /** The code at `address` in the committed state, whatever block is being executed. */
  committedCode(address: Address): Uint8Array {
    return this.codeStack[0]?.get(address.toString()) ?? new Uint8Array();
  }

  override async putAccount(address: Address, account?: Account): Promise<void> {
    this.touchedAccounts.add(address.toString());
    return super.putAccount(address, account);
  }

  override async deleteAccount(address: Address): Promise<void> {
    this.touchedAccounts.add(address.toString());
    return super.deleteAccount(address);
  }

  override async putCode(address: Address, value: Uint8Array): Promise<void> {
    this.touchedCode.add(address.toString());
    return super.putCode(address, value);
  }

  override async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    const slot = bytesToHex(key);
    this.touchedSlots.set(`${address.toString()}_${slot}`, { address: address.toString(), slot });
    return super.putStorage(address, key, value);
  }

  override async clearStorage(address: Address): Promise<void> {
    this.cleared.add(address.toString());
    return super.clearStorage(address);
  }

  /**
   * The final values of everything touched since the last call, read through the open checkpoints:
   * taken before a block's checkpoint is committed, so that a block that cannot be stored can
   * still be dropped from memory.
   */
  async takeChanges(): Promise<StateChanges> {
    const changes: StateChanges = { accounts: [], code: [], storage: [], clearedStorage: [...this.cleared] };
    for (const address of [...this.touchedAccounts].sort()) {
      const account = await this.getAccount(createAddressFromString(address));
      changes.accounts.push({ address, rlp: account ? account.serialize() : null });
    }
    for (const address of [...this.touchedCode].sort()) {
      changes.code.push({ address, code: await this.getCode(createAddressFromString(address)) });
    }
    for (const [, { address, slot }] of [...this.touchedSlots].sort(([a], [b]) => (a < b ? -1 : 1))) {
      changes.storage.push({
        address,
        slot,
        value: await this.getStorage(createAddressFromString(address), hexToBytes(slot)),
      });
    }
    this.forget();
    return changes;
  }

  private forget(): void {
    this.touchedAccounts = new Set();
    this.touchedCode = new Set();
    this.touchedSlots = new Map();
    this.cleared = new Set();
  }
}

/** A layer and the ones beneath it, top first. */
function* layersFrom<K extends string, V>(top: Layer<K, V>): Generator<Layer<K, V>> {
  for (let layer: Layer<K, V> | undefined = top; layer; layer = layer.parent) yield layer;
}

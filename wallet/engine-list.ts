import { z } from 'zod';
import type { ContractAddresses } from '../core/ledger/contract-addresses.js';
import { engineAudience } from '../core/inbox/request-signature.js';

const account = z.string().regex(/^0x[0-9a-f]{40}$/);

const engineLinkSchema = z.strictObject({
  /** The engine's API URL as its requests are signed for it (engineAudience). */
  apiUrl: z.string().min(1).max(200),
  /** The organisation running it: the account the person was given, checked in the Directory. */
  organisation: account,
  /** Its name as the Directory has it when the engine was added. */
  name: z.string().max(200),
  /** Prekey ids published to this engine alone: no other engine is ever given one of them. */
  prekeys: z.array(z.number().int().nonnegative()),
});

const engineListSchema = z.strictObject({
  version: z.literal(1),
  /** The consortium's contracts, as the first engine named them; every later engine must agree. */
  contracts: z.strictObject({ directory: account, recordRegistry: account, drugTrace: account }).nullable(),
  engines: z.array(engineLinkSchema),
});

export type EngineLink = z.infer<typeof engineLinkSchema>;
export type EngineListJson = z.infer<typeof engineListSchema>;

/** Where a wallet keeps its engine list: a file beside the keystore (./node/engine-list-file.ts), or a browser's storage. */
export interface EngineListSlot {
  /** The stored list, or undefined when there is none yet. */
  read(): Promise<unknown>;
  write(list: EngineListJson): Promise<void>;
}

/**
 * The engines a wallet is enrolled with (docs/design.md § The consortium, part 2): one per
 * organisation that sends it records or grants. Public facts only, no key: the keystore stays the
 * one secret. Each engine is addressed by the URL its requests are signed for, and is told only
 * what came from it: its own prekeys, and the record ids and CIDs it delivered.
 */
export class EngineList {
  private constructor(
    private readonly slot: EngineListSlot,
    private list: EngineListJson,
  ) {}

  static async open(slot: EngineListSlot): Promise<EngineList> {
    const stored = await slot.read();
    if (stored === undefined) return new EngineList(slot, { version: 1, contracts: null, engines: [] });
    const parsed = engineListSchema.safeParse(stored);
    if (!parsed.success)
      throw new Error(`the wallet's engine list is not valid: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    return new EngineList(slot, parsed.data);
  }

  get engines(): readonly EngineLink[] {
    return this.list.engines;
  }

  get contracts(): ContractAddresses | null {
    return this.list.contracts;
  }

  /** The engine at `apiUrl`, or an error naming the engines this wallet knows. */
  engine(apiUrl: string): EngineLink {
    const audience = engineAudience(apiUrl);
    const found = this.list.engines.find((engine) => engine.apiUrl === audience);
    if (!found)
      throw new Error(
        `this wallet is not enrolled with ${audience}; it knows ${this.list.engines.map((e) => e.apiUrl).join(', ') || 'no engine'}`,
      );
    return found;
  }

  /**
   * Adds an engine, or renames it. The contracts it reports must be those of the engines added
   * before: a different deployment is another consortium, or an engine that lies.
   */
  async add(link: Omit<EngineLink, 'prekeys'>, contracts: ContractAddresses): Promise<EngineLink> {
    const apiUrl = engineAudience(link.apiUrl);
    const pinned = this.list.contracts;
    const lower = {
      directory: contracts.directory.toLowerCase(),
      recordRegistry: contracts.recordRegistry.toLowerCase(),
      drugTrace: contracts.drugTrace.toLowerCase(),
    };
    if (pinned && JSON.stringify(pinned) !== JSON.stringify(lower))
      throw new Error(
        `${apiUrl} names the Directory ${lower.directory}, not the consortium's ${pinned.directory} that this wallet's other engines name`,
      );
    const existing = this.list.engines.find((engine) => engine.apiUrl === apiUrl);
    const added: EngineLink = {
      ...link,
      apiUrl,
      organisation: link.organisation.toLowerCase(),
      prekeys: existing?.prekeys ?? [],
    };
    await this.save({
      ...this.list,
      contracts: lower,
      engines: [...this.list.engines.filter((engine) => engine !== existing), added],
    });
    return added;
  }

  /** Notes prekeys published to one engine, so that none is ever offered to another. */
  async notePrekeys(apiUrl: string, ids: readonly number[]): Promise<void> {
    const engine = this.engine(apiUrl);
    const taken = new Set(this.list.engines.flatMap((e) => e.prekeys));
    const reused = ids.find((id) => taken.has(id));
    if (reused !== undefined) throw new Error(`prekey ${reused} was already published to an engine`);
    await this.save({
      ...this.list,
      engines: this.list.engines.map((e) => (e === engine ? { ...e, prekeys: [...e.prekeys, ...ids] } : e)),
    });
  }

  private async save(list: EngineListJson): Promise<void> {
    await this.slot.write(list);
    this.list = list;
  }
}

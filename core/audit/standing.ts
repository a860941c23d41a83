import { getAbiItem, toEventSelector, type Hex } from 'viem';
import { Directory } from '../../contracts/artifacts.js';
import { lookupIdentity, standingAt, type DirectoryEntry } from '../ledger/directory.js';
import { TransactionStatus } from '../ledger/status.js';
import { isRole, roleName, type Role } from '../roles.js';
import { EvidenceError, type ChainEvidence } from './chain-evidence.js';

/** Where a registerIdentity history says an identity's registering transaction is. */
export type RegistrationAccount = { workflowId: string; transactionHash: string } | { unavailable: string };

/**
 * Where to look for an identity's registering transaction: the Directory keeps no registration
 * block and FISCO's RPC has no log search, so a history (on the CA's engine) says which
 * transaction to read; its receipt on chain then dates the registration.
 */
export type RegistrationLookup = (identity: { address: Hex; name: string }) => Promise<RegistrationAccount>;

/** An identity's standing as of a block: `problem` says what is wrong, else `text` what held. */
export type Standing = { problem: string } | { text: string };

const IDENTITY_REGISTERED = toEventSelector(getAbiItem({ abi: Directory.abi, name: 'IdentityRegistered' }));

/**
 * Judges writers as of their blocks, reading each one's Directory entry and registration once:
 * registered with one of `roles`, registered no later than the block (when the registering
 * transaction can be found), and not revoked before it (a write in the revocation's own block
 * ran before it: the contracts refuse a revoked sender from then on), nor its organisation (a
 * doctor's hospital: Directory.activeRole refuses its staff from the hospital's revocation on).
 */
export class StandingReader {
  private readonly entries = new Map<Hex, Promise<DirectoryEntry | undefined>>();
  private readonly registrations = new Map<Hex, Promise<number | string>>();

  constructor(
    private readonly evidence: ChainEvidence,
    private readonly directory: string,
    private readonly lookup: RegistrationLookup | undefined,
  ) {}

  async at(
    account: Hex,
    block: number,
    roles: { allowed: ReadonlySet<Role>; wanted: string; what: string },
    /** How verdicts name the block, e.g. "the record's block". */
    label: string,
  ): Promise<Standing> {
    const at = `${label} ${block}`;
    const entry = await this.entry(account);
    if (!entry) return { problem: `${roles.what} ${account} is not registered in the Directory` };
    const organisation = entry.organisation === null ? undefined : await this.entry(entry.organisation as Hex);
    if (entry.organisation !== null && !organisation)
      return { problem: `${account} belongs to ${entry.organisation}, which is not registered in the Directory` };
    const who =
      `${entry.name} (${account}), a ${roleName(entry.role)}` +
      (organisation ? ` of ${organisation.name} (${organisation.address})` : '');
    if (!(isRole(entry.role) && roles.allowed.has(entry.role))) return { problem: `${who}: only ${roles.wanted}` };
    if (!standingAt(entry, block))
      return { problem: `${who}, was revoked in block ${String(entry.revokedAt)}, before ${at}` };
    if (organisation && !standingAt(organisation, block))
      return {
        problem: `${who}: ${organisation.name} was revoked in block ${String(organisation.revokedAt)}, before ${at}`,
      };
    const registered = await this.registration(entry);
    if (typeof registered === 'number' && registered > block)
      return { problem: `${who}, was registered in block ${registered}, after ${at}` };
    const since =
      typeof registered === 'number'
        ? `registered in block ${registered}`
        : `registered (its registration block not established: ${registered}; the Directory never unregisters or changes a role)`;
    const later =
      (entry.revokedAt === null ? '' : `, revoked later in block ${entry.revokedAt}`) +
      (organisation && organisation.revokedAt !== null
        ? `, ${organisation.name} revoked later in block ${organisation.revokedAt}`
        : '');
    return { text: `${who}, ${since}, unrevoked at ${at}${later}` };
  }

  private entry(account: Hex): Promise<DirectoryEntry | undefined> {
    let entry = this.entries.get(account);
    if (!entry) {
      entry = lookupIdentity(this.evidence.chain, this.directory, account);
      this.entries.set(account, entry);
    }
    return entry;
  }

  private registration(entry: DirectoryEntry): Promise<number | string> {
    const account = entry.address as Hex;
    let block = this.registrations.get(account);
    if (!block) {
      block = this.lookup
        ? this.lookup({ address: account, name: entry.name }).then((found) => this.registrationBlock(found, account))
        : Promise.resolve('no history to say where its registering transaction is');
      this.registrations.set(account, block);
    }
    return block;
  }

  /** The block of the named transaction, once its receipt shows the Directory's IdentityRegistered(account). */
  private async registrationBlock(account: RegistrationAccount, address: Hex): Promise<number | string> {
    if ('unavailable' in account) return account.unavailable;
    const receipt = await this.evidence.receipt(account.transactionHash).catch((error: unknown) => {
      if (error instanceof EvidenceError) return undefined;
      throw error;
    });
    const topic = `0x${address.slice(2).padStart(64, '0')}`;
    const logged = receipt?.logEntries.some(
      (log) =>
        log.address.toLowerCase() === this.directory.toLowerCase() &&
        log.topics[0]?.toLowerCase() === IDENTITY_REGISTERED &&
        log.topics[1]?.toLowerCase() === topic,
    );
    return receipt && receipt.status === TransactionStatus.None && logged
      ? receipt.blockNumber
      : `transaction ${account.transactionHash}, which ${account.workflowId}'s history names, did not register it on chain`;
  }
}

import { Context } from '@temporalio/activity';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { sealTo } from '../../core/crypto/index.js';
import { INBOX_CONTEXT, inboxMessageSchema, type InboxMessage } from '../../core/inbox/inbox-message.js';
import { requireIdentity, type DirectoryEntry } from '../../core/ledger/directory.js';
import { activityGroup } from '../activity-group.js';
import type { Engine } from '../engine.js';

/** Inbox delivery: items sealed to the recipient's Directory key, filed in the engine's state. */
export function createInboxActivities(engine: Engine) {
  const recipientKeys = new RecentDirectoryEntries(engine);
  /** Seals the message to the recipient's Directory key and files it once under `deliveryId`. */
  const sealFor = async (recipient: string, deliveryId: string, message: InboxMessage) => {
    const parsed = inboxMessageSchema.parse(message);
    const entry = await recipientKeys.get(recipient);
    return {
      recipient: entry.address,
      deliveryId,
      sealed: sealTo(entry.publicKey, utf8ToBytes(JSON.stringify(parsed)), INBOX_CONTEXT),
    };
  };
  const deliver = async (recipient: string, deliveryId: string, message: InboxMessage) => {
    const { recipient: address, sealed } = await sealFor(recipient, deliveryId, message);
    await engine.state.deliver(address, deliveryId, sealed);
  };
  return activityGroup({
    /**
     * One item to one inbox, once per `deliveryId`. A record a message's own run anchored comes
     * with its transaction: if a batch claimed the message and left it to wait, its row is filed
     * too, naming this run (what `yilian audit verify message` reads).
     */
    async deliverToInbox(
      recipient: string,
      deliveryId: string,
      message: InboxMessage,
      anchored?: { transactionHash: string | null },
    ): Promise<void> {
      if (message.kind !== 'record' || !anchored) {
        await deliver(recipient, deliveryId, message);
        return;
      }
      await engine.state.fileAnchoredRecord(anchoringRun(), await sealFor(recipient, deliveryId, message), {
        messageKey: deliveryId,
        recordId: message.recordId,
        cid: message.cid,
        transactionHash: anchored.transactionHash,
      });
    },

    /**
     * A batch's last step, one local activity: each record's inbox item, filed once under its
     * message key, and the record filed under the message's claim (what `yilian audit` looks up).
     */
    async deliverBatch(
      claim: string,
      records: Array<{
        messageKey: string;
        patient: string;
        item: InboxMessage & { kind: 'record' };
        transactionHash: string;
      }>,
    ): Promise<void> {
      const deliveries = [];
      for (const { messageKey, patient, item } of records) deliveries.push(await sealFor(patient, messageKey, item));
      await engine.state.fileAnchoredBatch(
        claim,
        anchoringRun(),
        deliveries,
        records.map(({ messageKey, item, transactionHash }) => ({
          messageKey,
          recordId: item.recordId,
          cid: item.cid,
          transactionHash,
        })),
      );
    },
  });
}

export type InboxActivities = ReturnType<typeof createInboxActivities>;

/** The run whose activity this is, `<workflow id>/<run id>`: the one that anchored what it files. */
function anchoringRun(): string {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw new Error('a record is filed by the workflow run that anchored it, and this activity has none');
  return `${execution.workflowId}/${execution.runId}`;
}

/**
 * Directory entries of inbox recipients, kept for a minute: every record and grant seals to one,
 * and a key registered in the Directory never changes (a revocation noticed a minute late only
 * means one more item sealed to its rightful owner).
 */
class RecentDirectoryEntries {
  private readonly entries = new Map<string, { entry: DirectoryEntry; at: number }>();
  private static readonly TTL_MS = 60_000;

  constructor(private readonly engine: Engine) {}

  async get(address: string): Promise<DirectoryEntry> {
    const key = address.toLowerCase();
    const cached = this.entries.get(key);
    if (cached && Date.now() - cached.at < RecentDirectoryEntries.TTL_MS) return cached.entry;
    const entry = await requireIdentity(this.engine.chain, this.engine.contracts.directory, key, 'inbox recipient');
    this.entries.set(key, { entry, at: Date.now() });
    return entry;
  }
}

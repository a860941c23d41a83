import type { BatchMessage } from '../../workflows/anchor-batch.js';
import { anchorBatchShard } from '../../workflows/ids.js';

export interface Grouping {
  /** Messages in one signal at most (1–256). */
  maxMessages: number;
  /** How long a group's first message waits for more before the group is sent. */
  windowMs: number;
  /** Executions per author (`anchorBatchShard`): batches of one author anchored side by side. */
  shards: number;
}

/**
 * 64 messages or 100 ms: at 100 messages/s a group holds about 10 and waits 100 ms at most;
 * under a peak groups fill at once, and the batch run coalesces the groups it is sent meanwhile.
 */
export const DEFAULT_GROUPING: Grouping = { maxMessages: 64, windowMs: 100, shards: 2 };

/** Where a group goes: one signal-with-start to the batch execution of `author` and `shard`. */
export type SendGroup = (author: string, shard: number, messages: BatchMessage[]) => Promise<void>;

/**
 * Record bytes in one signal at most. Temporal refuses a payload over 2 MB (its blob size limit)
 * with INVALID_ARGUMENT; a group stops short of that, and a message too big for a group of its
 * own is sent alone (and refused alone).
 */
const MAX_GROUP_BYTES = 1024 * 1024;

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface OpenGroup {
  author: string;
  shard: number;
  messages: BatchMessage[];
  waiters: Waiter[];
  bytes: number;
  timer: NodeJS.Timeout;
}

/**
 * Gathers the messages the dispatcher takes into one group per batch execution, for up to
 * `maxMessages` messages or `windowMs`, and sends each group as one signal (docs/design.md §
 * Anchoring in batches, *Feeding*). `add` settles when the message's group was sent: its job may
 * complete only then, when Temporal holds the message durably. A group Temporal refused for good
 * is sent again one message at a time, so one message it cannot take (`isPermanent`) is
 * dead-lettered alone instead of with the 63 beside it.
 */
export class AnchorGroups {
  readonly #open = new Map<string, OpenGroup>();

  constructor(
    private readonly grouping: Grouping,
    private readonly send: SendGroup,
    private readonly isPermanent: (error: unknown) => boolean,
  ) {}

  /** Settles once Temporal holds the message (`messageKey`: the id its own run would have). */
  add(author: string, messageKey: string, message: BatchMessage): Promise<void> {
    const shard = anchorBatchShard(messageKey, this.grouping.shards);
    const id = `${author.toLowerCase()}:${shard}`;
    const bytes = message.record.length;
    const current = this.#open.get(id);
    if (current && current.bytes + bytes > MAX_GROUP_BYTES) this.#flush(id);
    const group = this.#open.get(id) ?? this.#openGroup(id, author, shard);
    const sent = new Promise<void>((resolve, reject) => group.waiters.push({ resolve, reject }));
    group.messages.push(message);
    group.bytes += bytes;
    if (group.messages.length >= this.grouping.maxMessages) this.#flush(id);
    return sent;
  }

  #openGroup(id: string, author: string, shard: number): OpenGroup {
    const group: OpenGroup = {
      author,
      shard,
      messages: [],
      waiters: [],
      bytes: 0,
      timer: setTimeout(() => this.#flush(id), this.grouping.windowMs),
    };
    this.#open.set(id, group);
    return group;
  }

  #flush(id: string): void {
    const group = this.#open.get(id);
    if (!group) return;
    this.#open.delete(id);
    clearTimeout(group.timer);
    void this.#deliver(group);
  }

  async #deliver(group: OpenGroup): Promise<void> {
    try {
      await this.send(group.author, group.shard, group.messages);
      for (const waiter of group.waiters) waiter.resolve();
    } catch (error) {
      if (group.messages.length === 1 || !this.isPermanent(error)) {
        for (const waiter of group.waiters) waiter.reject(error);
        return;
      }
      await Promise.all(
        group.messages.map(async (message, i) => {
          try {
            await this.send(group.author, group.shard, [message]);
            group.waiters[i]?.resolve();
          } catch (alone) {
            group.waiters[i]?.reject(alone);
          }
        }),
      );
    }
  }
}

import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config/index.js';
import { codecKeyringFromConfig } from '../codec/from-config.js';
import { EncryptionCodec } from '../codec/encryption-codec.js';
import { startDispatcher, type Dispatcher } from '../../connectors/intake/dispatcher.js';
import { openIntakeQueue, type IntakeQueue } from '../../connectors/intake/queue.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../../connectors/intake/retry.js';
import type { Logger } from '../telemetry/log.js';
import type { Tracing } from '../telemetry/otel.js';

const retryOf = (config: Config): RetryPolicy => ({ ...DEFAULT_RETRY, windowMs: config.intake.retryHours * 3600_000 });

/**
 * A dispatcher for this engine's intake queue: `./ops/up` runs one, and
 * `ops/workers/main.ts dispatcher` runs one on a host of its own (any number of them may share
 * the Redis). Its Temporal connection is lazy, so it starts and keeps its jobs waiting while
 * Temporal is still away.
 */
export async function startDispatcherFromConfig(config: Config, log: Logger, tracing?: Tracing): Promise<Dispatcher> {
  const keyring = await codecKeyringFromConfig(config);
  const connection = Connection.lazy({
    address: config.temporal.address,
    tls: config.temporal.tls,
    apiKey: config.temporal.apiKey,
  });
  const dispatcher = startDispatcher({
    redisUrl: config.redis.url,
    keys: keyring,
    client: new Client({
      connection,
      namespace: config.temporal.namespace,
      dataConverter: { payloadCodecs: [new EncryptionCodec(keyring)] },
      ...(tracing ? { interceptors: { workflow: tracing.client } } : {}),
    }),
    taskQueue: config.workers.taskQueue,
    concurrency: config.intake.concurrency,
    ...(config.intake.anchoring === 'batched'
      ? {
          grouping: {
            maxMessages: config.intake.batchMessages,
            windowMs: config.intake.batchWindowMs,
            shards: config.intake.batchShards,
          },
        }
      : {}),
    retry: retryOf(config),
    log: (line, fields) => log.warn(fields ?? {}, line),
  });
  return {
    closed: dispatcher.closed,
    async close() {
      await dispatcher.close();
      await connection.close();
    },
  };
}

/** The intake queue a connector of this engine writes to before it acknowledges. */
export async function intakeQueueFromConfig(config: Config, onError?: (error: Error) => void): Promise<IntakeQueue> {
  return openIntakeQueue({
    redisUrl: config.redis.url,
    keys: await codecKeyringFromConfig(config),
    taskQueue: config.workers.taskQueue,
    keepDays: config.intake.keepDays,
    retry: retryOf(config),
    ...(onError ? { onError } : {}),
  });
}

import { Redis } from 'ioredis';
import { redactUrl } from '../../core/redact-url.js';
import { messageOf } from '../error-message.js';

export interface RedisDurability {
  /** What the server reported, for the start-up line. */
  settings: string;
  /** Each setting under which Redis could lose an acknowledged message; empty when it cannot. */
  problems: string[];
}

/**
 * Whether a Redis keeps every write it has answered through a crash or a power cut: the intake
 * acknowledges a message once Redis has it, so that must mean on disk. That takes the append-only
 * file (`appendonly yes`) fsync'd before each reply (`appendfsync always`; `everysec` can lose the
 * last second), and a memory policy that refuses writes when full instead of evicting queued
 * messages (`noeviction`). Managed services often disable CONFIG; then nothing can be checked,
 * and that is a problem too, named as such.
 */
export async function redisDurability(url: string): Promise<RedisDurability> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // connect() only says the connection closed; the reason comes as an event
  let reason: unknown;
  redis.on('error', (error) => (reason = error));
  try {
    await redis.connect().catch((error: unknown) => {
      throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${messageOf(reason ?? error)}`);
    });
    let reply: string[];
    try {
      reply = (await redis.call('CONFIG', 'GET', 'appendonly', 'appendfsync', 'maxmemory-policy')) as string[];
    } catch (error) {
      return {
        settings: 'CONFIG unavailable',
        problems: [
          `CONFIG GET is refused by this Redis (${messageOf(error)}), as managed services often do, so its persistence ` +
            'cannot be checked: confirm with the provider that it runs appendonly yes, appendfsync always and ' +
            'maxmemory-policy noeviction',
        ],
      };
    }
    const value = new Map<string, string>();
    for (let i = 0; i + 1 < reply.length; i += 2) value.set(reply[i] as string, reply[i + 1] as string);
    const appendonly = value.get('appendonly') ?? '?';
    const appendfsync = value.get('appendfsync') ?? '?';
    const policy = value.get('maxmemory-policy') ?? '?';
    const problems: string[] = [];
    if (appendonly !== 'yes')
      problems.push(`appendonly is ${appendonly}: without the append-only file a restart loses what was queued`);
    else if (appendfsync !== 'always')
      problems.push(
        `appendfsync is ${appendfsync}: writes reach the disk ${appendfsync === 'everysec' ? 'once a second' : 'when the OS decides'}, so a power cut loses acknowledged messages`,
      );
    if (policy !== 'noeviction')
      problems.push(
        `maxmemory-policy is ${policy}: a full Redis would evict queued messages instead of refusing new ones`,
      );
    return { settings: `appendonly ${appendonly}, appendfsync ${appendfsync}, maxmemory-policy ${policy}`, problems };
  } finally {
    redis.disconnect();
  }
}

/**
 * Refuses, before anything is acknowledged, a Redis that could lose an acknowledged message,
 * unless the configuration accepts it (YILIAN_REDIS_ALLOW_UNSAFE). Returns the line to print:
 * the settings found, and with an accepted unsafe Redis, what is at risk.
 */
export async function requireDurableRedis(url: string, allowUnsafe: boolean): Promise<string> {
  const { settings, problems } = await redisDurability(url);
  if (problems.length === 0) return settings;
  const list = problems.map((problem) => `\n  - ${problem}`).join('');
  if (!allowUnsafe)
    throw new Error(
      `Redis at ${redactUrl(url)} could lose acknowledged messages:${list}\n` +
        'Fix its settings, or set YILIAN_REDIS_ALLOW_UNSAFE=1 to accept the risk.',
    );
  return `${settings}; UNSAFE, accepted by YILIAN_REDIS_ALLOW_UNSAFE:${list}`;
}

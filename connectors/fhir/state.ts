import type { Redis } from 'ioredis';
import type { FhirVersion } from './history.js';
import type { PullState } from './puller.js';

/**
 * Pull state in the intake's Redis (append-only, fsync always), beside the queue it feeds, per
 * engine task queue: the watermark of each server, its deletes and the versions that could not be
 * anchored. Resource ids, versions and times only: no PHI.
 */
export function redisPullState(redis: Redis, taskQueue: string): PullState {
  const key = (server: string, what: string) => `yilian:fhir:${taskQueue}:${server}:${what}`;
  const field = (v: FhirVersion) => `${v.resourceType}/${v.id}/${v.versionId}`;
  return {
    async watermark(server) {
      return (await redis.get(key(server, 'watermark'))) ?? undefined;
    },
    async setWatermark(server, lastUpdated) {
      await redis.set(key(server, 'watermark'), lastUpdated);
    },
    async noteDeleted(server, version) {
      await redis.hset(
        key(server, 'deleted'),
        `${version.resourceType}/${version.id}`,
        `${version.versionId} ${version.lastUpdated ?? new Date().toISOString()}`,
      );
    },
    async noteUnanchorable(server, version, reason) {
      await redis.hset(key(server, 'unanchorable'), field(version), reason);
    },
  };
}

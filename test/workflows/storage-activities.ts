import type { ContentStore } from '../../core/storage/content-store.js';
import { parseCid } from '../../core/storage/cid.js';
import { activityGroup } from '../../activities/activity-group.js';

/** Content-store activities of the test-only documents workflow (./documents.ts). */
export function createStorageActivities(store: ContentStore) {
  return activityGroup({
    async storeContent(bytes: Uint8Array): Promise<string> {
      return (await store.put(bytes)).toString();
    },
    async fetchContent(cid: string): Promise<Uint8Array> {
      return store.get(parseCid(cid));
    },
  });
}

export type StorageActivities = ReturnType<typeof createStorageActivities>;

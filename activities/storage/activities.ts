import { ApplicationFailure } from '@temporalio/common';
import type { ContentStore } from './content-store.js';
import { parseCid } from './cid.js';
import { StorageError } from './errors.js';

/** Failures that no retry can fix: the input itself is wrong or the content is not what was asked for. */
const permanent = new Set<StorageError['code']>(['BAD_CID', 'UNSUPPORTED', 'INTEGRITY']);

function asFailure(error: unknown): unknown {
  if (error instanceof StorageError) {
    return ApplicationFailure.create({
      type: `StorageError.${error.code}`,
      message: error.message,
      nonRetryable: permanent.has(error.code),
      cause: error,
    });
  }
  return error;
}

/** Content-store activities; payloads are ciphertext by the time they get here. */
export function createStorageActivities(store: ContentStore) {
  return {
    async storeContent(bytes: Uint8Array): Promise<string> {
      try {
        return (await store.put(bytes)).toString();
      } catch (error) {
        throw asFailure(error);
      }
    },
    async fetchContent(cid: string): Promise<Uint8Array> {
      try {
        return await store.get(parseCid(cid));
      } catch (error) {
        throw asFailure(error);
      }
    },
    async hasContent(cid: string): Promise<boolean> {
      try {
        return await store.has(parseCid(cid));
      } catch (error) {
        throw asFailure(error);
      }
    },
  };
}

export type StorageActivities = ReturnType<typeof createStorageActivities>;

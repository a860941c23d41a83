import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { StorageActivities } from './storage-activities.js';

const { storeContent, fetchContent } = proxyActivities<StorageActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

export interface StoredDocument {
  cid: string;
  size: number;
}

/** Puts a document into the content store and reads it back, proving it is retrievable. */
export async function storeDocument(document: Uint8Array): Promise<StoredDocument> {
  const cid = await storeContent(document);
  const readBack = await fetchContent(cid);
  if (readBack.length !== document.length || readBack.some((byte, i) => byte !== document[i])) {
    throw ApplicationFailure.nonRetryable(`content ${cid} read back differs from what was stored`, 'StorageMismatch');
  }
  return { cid, size: document.length };
}

/** Reads a document back by CID; a malformed CID or tampered content fails without retries. */
export async function fetchDocument(cid: string): Promise<Uint8Array> {
  return fetchContent(cid);
}

import type { ContentStore } from './content-store.js';
import { EmbeddedContentStore } from './node/embedded-store.js';
import { KuboContentStore } from './kubo-store.js';

export { parseCid, importOptions } from './cid.js';
export { StorageError, type StorageErrorCode } from './errors.js';
export type { ContentStore, ByteSource } from './content-store.js';
export { EmbeddedContentStore } from './node/embedded-store.js';
export { KuboContentStore } from './kubo-store.js';

export interface StorageSettings {
  backend: 'embedded' | 'kubo';
  /** The data dir; the embedded store keeps its blocks under `<home>/blocks`. */
  home: string;
  kuboApiUrl: string;
}

export function createContentStore(settings: StorageSettings): ContentStore {
  return settings.backend === 'kubo' ? new KuboContentStore(settings.kuboApiUrl) : new EmbeddedContentStore(settings.home);
}

import type { ContentStore } from '../content-store.js';
import { KuboContentStore } from '../kubo-store.js';
import { EmbeddedContentStore } from './embedded-store.js';

export { EmbeddedContentStore } from './embedded-store.js';

export interface StorageSettings {
  backend: 'embedded' | 'kubo';
  /** The data dir; the embedded store keeps its blocks under `<home>/blocks`. */
  home: string;
  kuboApiUrl: string;
}

/** The content store a Node process opens from its settings; the embedded one writes files. */
export function createContentStore(settings: StorageSettings): ContentStore {
  return settings.backend === 'kubo'
    ? new KuboContentStore(settings.kuboApiUrl)
    : new EmbeddedContentStore(settings.home);
}

import type { Config } from '../config/index.js';
import type { ContentStore } from '../../core/storage/index.js';
import { createContentStore } from '../../core/storage/node/index.js';

/** The content store the configuration names: embedded blocks in the data dir, or a kubo daemon. */
export function contentStoreFromConfig(config: Config): ContentStore {
  return createContentStore({
    backend: config.storage.backend,
    home: config.home,
    kuboApiUrl: config.storage.kuboApiUrl,
  });
}

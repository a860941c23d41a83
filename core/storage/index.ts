export { parseCid, importOptions } from './cid.js';
export { StorageError, type StorageErrorCode } from './errors.js';
export type { ContentStore, ByteSource } from './content-store.js';
export { KuboContentStore } from './kubo-store.js';

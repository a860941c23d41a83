export {
  createPrekeyBatch,
  decodePrekeyBundle,
  encodePrekeyBundle,
  PrekeyPool,
  prekeyMessage,
  verifyPrekeyBundle,
  type PrekeyBundle,
  type PrekeySecret,
  type SignedPrekey,
} from './prekeys.js';
export {
  decryptKeystore,
  encryptKeystore,
  prekeySecret,
  PRODUCTION_SCRYPT,
  wipeKeyMaterial,
  type KeyEntry,
  type KeyMaterial,
  type KeystoreJson,
  type ScryptParams,
} from './keystore-format.js';

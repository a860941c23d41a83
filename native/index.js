// The Node binding of native/: loads the addon native/build.sh builds for this machine and
// re-exports its functions. Written by hand (the API is small); native.test.ts checks that these
// names, the declarations in index.d.ts and what the addon exports are the same set.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const addon = (() => {
  try {
    return require('./yilian-native.linux-x64-gnu.node');
  } catch (cause) {
    throw new Error(
      'the native addon native/yilian-native.linux-x64-gnu.node is missing or broken; build it with ./ops/bootstrap (or native/build.sh)',
      { cause },
    );
  }
})();

export const {
  MAX_BATCH_ITEMS,
  prove,
  proveBatch,
  recoverSigner,
  reencrypt,
  signDigest,
  traceId,
  verify,
  verifyBatch,
} = addon;

import type { KeystoreJson } from '../../core/keys/index.js';
import { keystoreFiles, readKeystoreFile, writeKeystoreFile } from '../../core/keys/node/keystore-file.js';
import type { KeystoreSlot } from '../wallet.js';

/**
 * A wallet kept as one keystore file in a folder of its own (the CLI's `--dir`): the same
 * `<address>.json` format the engine's keyring and the browser wallet's export use.
 */
export function walletDir(dir: string): KeystoreSlot {
  return {
    async read(): Promise<unknown> {
      const files = await keystoreFiles(dir);
      if (files.length !== 1) throw new Error(`${dir} must hold exactly one wallet keystore, found ${files.length}`);
      return readKeystoreFile(files[0] as string, 'wallet keystore');
    },
    async write(json: KeystoreJson): Promise<void> {
      await writeKeystoreFile(dir, json);
    },
  };
}

import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { OperatorList } from '../../activities/operators.js';
import type { ScryptParams } from '../../core/keys/index.js';
import type { OperatorSigner } from '../../core/operators/authorization.js';
import { keystoreFiles } from '../../core/keys/node/keystore-file.js';
import { walletDir } from '../../wallet/node/wallet-dir.js';
import { Wallet } from '../../wallet/wallet.js';
import type { Config } from '../config/index.js';
import { keptSecret } from '../config/kept-secret.js';

/**
 * The engine's operators (docs/security.md § Operators): the people whose signed authorization
 * registering, revoking and enrolment need. Production lists their accounts in YILIAN_OPERATORS
 * and they keep their keys themselves. The embedded stack, which plays every part on one machine,
 * makes one operator for itself on first start: a keystore in `<data dir>/operator` under a kept
 * password, listed as both CA and hospital operator, which `yilian` commands on that machine use.
 */
export async function operatorsFromConfig(config: Config): Promise<OperatorList> {
  if (config.operators.list) return OperatorList.parse(config.operators.list);
  if (config.chain.mode !== 'embedded') {
    throw new Error(
      'YILIAN_OPERATORS must be set when the chain is external: role:0xaddress of each person who may authorize registering, revoking and enrolment',
    );
  }
  const operator = await operatorSigner(config);
  return new OperatorList([
    { address: operator.address, role: 'ca' },
    { address: operator.address, role: 'hospital' },
  ]);
}

/** The operator's own key, for the CLI's commands that need an authorization. */
export async function operatorSigner(config: Config, scrypt?: ScryptParams): Promise<OperatorSigner> {
  const dir = config.operators.dir ?? join(config.home, 'operator');
  const password = config.operators.password ?? (await devOperatorPassword(config));
  const slot = walletDir(dir);
  const fresh = (await keystoreFiles(dir)).length === 0 && !config.operators.dir && config.chain.mode === 'embedded';
  const wallet = fresh ? await Wallet.create(slot, password, scrypt) : await Wallet.open(slot, password);
  return { address: wallet.identity.address, sign: (message) => wallet.sign(message) };
}

async function devOperatorPassword(config: Config): Promise<string> {
  if (config.chain.mode !== 'embedded') {
    throw new Error(
      'YILIAN_OPERATOR_PASSWORD must be set when the chain is external: it unlocks the operator keystore in YILIAN_OPERATOR_DIR',
    );
  }
  return keptSecret(config.home, 'operator-password', () => randomBytes(18).toString('base64url'));
}

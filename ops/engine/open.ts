import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hexToBytes } from '@noble/hashes/utils.js';
import type { Identity } from '../../core/crypto/index.js';
import type { Engine } from '../../activities/engine.js';
import type { ContractAddresses } from '../../core/ledger/contract-addresses.js';
import type { FiscoClient } from '../../core/ledger/fisco-client.js';
import type { ContentStore } from '../../core/storage/index.js';
import type { ScryptParams } from '../../core/keys/index.js';
import { EngineKeyring, EngineState } from '../../activities/state/index.js';
import type { OperatorList } from '../../activities/operators.js';
import { keptSecret } from '../config/kept-secret.js';

export interface EngineParts {
  home: string;
  chain: FiscoClient;
  contracts: ContractAddresses;
  store: ContentStore;
  keystorePassword: string;
  /** Whose authorization registering, revoking and enrolment need (ops/engine/operators.ts). */
  operators: OperatorList;
  ca?: Identity;
  /** Tests pass cheap scrypt parameters; production keystores use PRODUCTION_SCRYPT. */
  scrypt?: ScryptParams;
}

/**
 * Opens the engine's state (`<data dir>/engine.sqlite`) and keyring (`<data dir>/keys`). The key
 * that pseudonymises patient identifiers in the state is kept beside the keystore: back both up
 * with the database, or the enrolment map cannot be matched again.
 */
export async function openEngine(parts: EngineParts): Promise<Engine> {
  const refKey = await keptSecret(parts.home, 'state-ref-key', () => randomBytes(32).toString('hex'));
  const state = await EngineState.open(join(parts.home, 'engine.sqlite'), hexToBytes(refKey));
  const keyring = new EngineKeyring(join(parts.home, 'keys'), parts.keystorePassword, parts.scrypt);
  return {
    chain: parts.chain,
    contracts: parts.contracts,
    store: parts.store,
    state,
    keyring,
    operators: parts.operators,
    ...(parts.ca ? { ca: parts.ca } : {}),
  };
}

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
 * The engine's state alone, as the engine opens it: what the operator's commands on it (`yilian
 * org`) use on the engine's host, beside the running engine (SQLite in WAL mode takes both).
 */
export async function openEngineState(home: string): Promise<EngineState> {
  const refKey = await keptSecret(home, 'state-ref-key', () => randomBytes(32).toString('hex'));
  return EngineState.open(join(home, 'engine.sqlite'), hexToBytes(refKey));
}

/** `work` on the engine's state, closed afterwards: for the CLI's commands that read or file in it. */
export async function withEngineState<T>(home: string, work: (state: EngineState) => Promise<T>): Promise<T> {
  const state = await openEngineState(home);
  try {
    return await work(state);
  } finally {
    await state.close();
  }
}

/**
 * Opens the engine's state (`<data dir>/engine.sqlite`) and keyring (`<data dir>/keys`). The key
 * that pseudonymises patient identifiers in the state is kept beside the keystore: back both up
 * with the database, or the enrolment map cannot be matched again.
 */
export async function openEngine(parts: EngineParts): Promise<Engine> {
  const state = await openEngineState(parts.home);
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

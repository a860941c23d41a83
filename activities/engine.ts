import type { Identity } from '../core/crypto/index.js';
import type { ContractAddresses } from '../core/ledger/contract-addresses.js';
import type { FiscoClient } from '../core/ledger/fisco-client.js';
import type { ContentStore } from '../core/storage/index.js';
import type { EngineKeyring, EngineState } from './state/index.js';
import type { OperatorList } from './operators.js';

/** Everything the activities of one engine share: its chain, content store, state and keys. */
export interface Engine {
  chain: FiscoClient;
  contracts: ContractAddresses;
  store: ContentStore;
  state: EngineState;
  keyring: EngineKeyring;
  /** Whose signed authorization registering, revoking and enrolment need. */
  operators: OperatorList;
  /** Present only on the engine that runs the consortium CA (the embedded stack does). */
  ca?: Identity;
}

export {
  EngineState,
  EngineStateError,
  type InboxItem,
  type LocalIdentity,
  type OrgCredential,
} from './engine-state.js';
export { EngineKeyring } from './keyring.js';

export { EngineState, EngineStateError, type InboxItem, type LocalIdentity } from './engine-state.js';
export { EngineKeyring } from './keyring.js';

export {
  EngineState,
  EngineStateError,
  MAX_PENDING_REGISTRATIONS,
  type AnchoredMessage,
  type InboxItem,
  type KeptRegistrationRequest,
  type KeptEnrolmentOffer,
  type LocalIdentity,
  type OrgCredential,
  type TraceCodeClaim,
  type TraceCodeClaimant,
} from './engine-state.js';
export { EngineKeyring } from './keyring.js';

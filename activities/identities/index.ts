export {
  createIdentityActivities,
  type IdentityActivities,
  type DirectoryRegistration,
  type RegistrationRequest,
  type RevocationRequest,
} from './activities.js';
export { heldIdentity } from './local.js';

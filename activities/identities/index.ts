export {
  createIdentityActivities,
  type IdentityActivities,
  type DirectoryRegistration,
  type RegistrationRequest,
} from './activities.js';

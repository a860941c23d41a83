export { createIdentityActivities, type IdentityActivities, type DirectoryRegistration } from './activities.js';

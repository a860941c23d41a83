export {
  createPatientActivities,
  type PatientActivities,
  type PatientIdentifier,
  type ClaimedPrekey,
} from './activities.js';

export {
  createPatientActivities,
  type PatientActivities,
  type PatientIdentifier,
  type ClaimedPrekey,
  type EnrolmentRequest,
} from './activities.js';

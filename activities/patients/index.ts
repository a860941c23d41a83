export {
  createPatientActivities,
  type PatientActivities,
  type PatientIdentifier,
  type ClaimedPrekey,
  type EnrolmentRequest,
  type RedeemedEnrolment,
} from './activities.js';

export {
  createPatientActivities,
  type PatientActivities,
  type PatientIdentifier,
  type ClaimedPrekey,
  type PublishedPrekey,
  type EnrolmentRequest,
  type RedeemedEnrolment,
} from './activities.js';

export { createRecordActivities, MAX_RECORD_BATCH, type RecordActivities } from './activities.js';
export {
  createRecordNativeActivities,
  type RecordNativeActivities,
  type SealRecordInput,
  type RecordEncoding,
  type SealedRecord,
} from './native-activities.js';

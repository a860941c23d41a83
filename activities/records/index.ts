export { createRecordActivities, type RecordActivities } from './activities.js';
export {
  createRecordNativeActivities,
  MAX_RECORD_BATCH,
  type RecordNativeActivities,
  type SealRecordInput,
  type RecordEncoding,
  type SealedRecord,
} from './native-activities.js';

export { createRecordActivities, type RecordActivities } from './activities.js';
export {
  createRecordNativeActivities,
  MAX_RECORD_BATCH,
  POISON_RECORDS,
  type PoisonRecord,
  type RecordNativeActivities,
  type SealRecordInput,
  type RecordEncoding,
  type SealedRecord,
} from './native-activities.js';

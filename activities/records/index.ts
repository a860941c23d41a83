export { createRecordActivities, type RecordActivities } from './activities.js';
export {
  createRecordNativeActivities,
  type RecordNativeActivities,
  type SealRecordInput,
  type RecordEncoding,
  type SealedRecord,
} from './native-activities.js';

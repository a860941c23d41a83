export { createRecordActivities, type RecordActivities } from './activities.js';
export {
  createRecordNativeActivities,
  type RecordNativeActivities,
  type SealRecordInput,
  type SealedRecord,
} from './native-activities.js';

export { createTraceActivities, type TraceActivities, type TraceBatchProof } from './activities.js';
export {
  createTraceNativeActivities,
  type TraceNativeActivities,
  type TraceItem,
  type SealedTraceSteps,
} from './native-activities.js';

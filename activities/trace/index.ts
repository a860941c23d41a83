export { createTraceActivities, type TraceActivities, type TraceBatchProof } from './activities.js';
export {
  createTraceNativeActivities,
  type TraceNativeActivities,
  type TraceItem,
  type TraceItems,
  type StagedTracePart,
  type SealedTraceSteps,
} from './native-activities.js';

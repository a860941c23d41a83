export { createTraceActivities, createTraceNativeActivities, type TraceActivities, type TraceNativeActivities, type TraceItem, type SealedTraceSteps, type TraceBatchProof } from './activities.js';
export { readTrace, TraceVerificationError, type VerifiedTraceStep } from '../../core/trace/read-trace.js';

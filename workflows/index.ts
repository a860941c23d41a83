export { registerIdentity } from './register-identity.js';
export { revokeIdentity } from './revoke-identity.js';
export { enrolPatient } from './enrol-patient.js';
export { anchorRecord } from './anchor-record.js';
export { grantAccess } from './grant-access.js';
export { traceStep } from './trace-step.js';
export { traceQuery } from './trace-query.js';
export { mergePatients } from './merge-patients.js';

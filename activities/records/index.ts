export { createRecordActivities, type RecordActivities, type PatientIdentifier, type ClaimedPrekey } from './activities.js';
export { createRecordNativeActivities, type RecordNativeActivities, type SealRecordInput, type SealedRecord } from './native-activities.js';
export { openRecord, RecordVerificationError, type OpenedRecord, type RecordKey, type RecordLocation } from '../../wallet/open-record.js';
export { contentContext, INBOX_CONTEXT, inboxMessageSchema, recordIdOf, wrapContext, type InboxMessage } from '../../core/records/record-format.js';

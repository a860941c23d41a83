import type { AuditVerifier } from '../../connectors/http/audit-verify-routes.js';
import type { AnchoredMessage } from '../../activities/state/index.js';
import { verifyMessage } from './verify-message.js';
import { verifyRecord, type AuditSources } from './verify-record.js';
import { verifyTraceById } from './verify-trace.js';

const NO_CONTENT =
  "the API shows integrity, authorship and timing only; decryption and the author's signature are checked with the reader's wallet (yilian audit verify record --wallet)";
const NO_CODE =
  'the API takes only the public trace id; decrypting the steps and checking their signatures needs the trace code (yilian audit verify trace CODE)';

/**
 * The audits the API serves: no reader's key and no trace code ever reach it. `anchored` is the
 * engine's state's look-up of a message's row (`EngineState.anchoredMessage`).
 */
export function apiAuditVerifier(
  sources: AuditSources,
  anchored: (messageKey: string) => Promise<AnchoredMessage | undefined>,
): AuditVerifier {
  return {
    record: (recordId) => verifyRecord(sources, { recordId, noReader: NO_CONTENT }),
    message: (key) => verifyMessage(sources, anchored, key, { noReader: NO_CONTENT }),
    trace: (id) => verifyTraceById(sources, id, NO_CODE),
  };
}

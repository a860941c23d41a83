import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * Workflow ids derive from the source message, so a re-sent message never starts a second run
 * (Temporal refuses a second workflow with a running or completed id). None carries PHI: control
 * ids, resource ids and event ids name messages, not people.
 */
export type MessageSource =
  | { kind: 'hl7'; /** MSH-4 */ sendingFacility: string; /** MSH-10 */ controlId: string }
  | {
      kind: 'fhir';
      /** the configured server's name */ server: string;
      resourceType: string;
      id: string;
      versionId: string;
    }
  | { kind: 'erp'; org: string; eventId: string };

export function sourceWorkflowId(source: MessageSource): string {
  switch (source.kind) {
    case 'hl7':
      return `hl7:${source.sendingFacility}:${source.controlId}`;
    case 'fhir':
      return `fhir:${source.server}:${source.resourceType}/${source.id}/${source.versionId}`;
    case 'erp':
      return `erp:${source.org}:${source.eventId}`;
  }
}

export const identityWorkflowId = (address: string): string => `identity:${address.toLowerCase()}`;
export const localIdentityWorkflowId = (name: string): string => `identity:local:${name}`;
export const revocationWorkflowId = (account: string): string => `revoke:${account.toLowerCase()}`;
export const enrolmentWorkflowId = (account: string, authority: string): string =>
  `enrol:${account.toLowerCase()}:${authority}`;

/** A grant is one record for one grantee key; hashed so the id does not say who was granted what. */
export function grantWorkflowId(recordId: string, granteeKey: string): string {
  return `grant:${bytesToHex(sha256(utf8ToBytes(`${recordId.toLowerCase()}|${granteeKey.toLowerCase()}`))).slice(0, 32)}`;
}

/** A trace query is keyed by a random request id: the code itself must never appear in an id. */
export const traceQueryWorkflowId = (requestId: string): string => `trace-query:${requestId}`;

/** A prekey bundle is published once: the same bundle sent again is the same run. */
export function prekeysWorkflowId(owner: string, bundle: string): string {
  return `prekeys:${owner.toLowerCase()}:${bytesToHex(sha256(utf8ToBytes(bundle.toLowerCase()))).slice(0, 32)}`;
}

/**
 * The batch execution anchoring `author`'s records in shard `shard` (docs/design.md § Anchoring
 * in batches): a message goes to one shard always, so a copy of it meets the first in one run.
 */
export const anchorBatchWorkflowId = (author: string, shard: number): string =>
  `anchor-batch:${author.toLowerCase()}:${shard}`;

/**
 * The shard of a message's batch execution: FNV-1a of its key, so every copy of a message, from
 * any dispatcher, meets the first in one execution (where it is dropped as already seen).
 */
export function anchorBatchShard(messageKey: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (const byte of utf8ToBytes(messageKey)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash % shards;
}

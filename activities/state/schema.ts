import type { Generated } from 'kysely';

/**
 * The engine's own tables. No PHI: a patient is known only by a keyed hash of their source
 * identifier and by their account address; inbox items are sealed to their recipient.
 */
export interface EngineTables {
  /** A hospital's enrolment map: keyed hash of (assigning authority, identifier) → patient account. */
  enrolments: {
    patient_ref: string;
    patient_address: string;
    enrolled_at: string;
  };
  /**
   * Identifiers a hospital merged (HL7 ADT^A40): the merged one now names the surviving one, so
   * enrolments, waiting records and late messages under either reach the same patient.
   */
  patient_merges: {
    merged_ref: string;
    surviving_ref: string;
    merged_at: string;
  };
  /** Records waiting for a patient to enrol: which workflows to signal when they do. */
  enrolment_waits: {
    patient_ref: string;
    workflow_id: string;
    since: string;
  };
  /** Published one-time prekeys; `claimed_by` is the workflow that used one, so a retry gets the same. */
  prekeys: {
    owner: string;
    prekey_index: number;
    public_key: Uint8Array;
    signature: Uint8Array;
    claimed_by: string | null;
  };
  /** Sealed inbox items; `delivery_id` makes a re-delivery by a retried activity a no-op. */
  inbox: {
    seq: Generated<number>;
    recipient: string;
    delivery_id: string;
    sealed: Uint8Array;
    delivered_at: string;
  };
  /** Identities whose keys this engine's keystore holds (the organisation and its staff). */
  local_identities: {
    name: string;
    address: string;
    role: number;
    created_at: string;
  };
  /**
   * Credentials of organisations' systems (ERPs) on the API, each bound to one local identity it
   * acts as. Only a hash of the secret: tokens are 256 random bits, so a plain sha256 is as hard
   * to invert as the token is to guess, and a slow password hash would buy nothing.
   */
  org_credentials: {
    id: string;
    identity_name: string;
    identity_address: string;
    secret_sha256: string;
    created_at: string;
    revoked_at: string | null;
  };
  /**
   * Wallets' signed requests to be registered by the CA (core/registration/request.ts), kept until
   * a CA operator approves or rejects one: one per account, the request as the wallet signed it.
   */
  registration_requests: {
    id: string;
    address: string;
    request: string;
    status: RegistrationStatus;
    received_at: string;
    decided_at: string | null;
    transaction_hash: string | null;
  };
  /**
   * A hospital operator's signed offer of a patient identifier to whoever redeems a one-time code
   * (core/enrolment/offer.ts): filed under the code's id, sealed under a key only the code derives,
   * so this table holds neither codes nor identifiers. `redeemed_by` makes the code single-use.
   */
  enrolment_offers: {
    code_id: string;
    sealed: Uint8Array;
    expires_at: string;
    created_at: string;
    redeemed_by: string | null;
    redeemed_at: string | null;
  };
  /**
   * Messages a batch run anchors (docs/design.md § Anchoring in batches): one row per message key
   * (the id the message's own anchorRecord run would have), so a message signalled to two runs, or
   * twice to one, is anchored under the first claim only. `claim` names the batch (workflow id, the
   * id of the execution's first run, batch number), the same in every run of the execution, a reset
   * one too; the sealed record follows before its transaction, its transaction and the run that
   * anchored it once it is on chain.
   */
  anchored_messages: {
    message_key: string;
    claim: string;
    claimed_at: string;
    record_id: string | null;
    cid: string | null;
    transaction_hash: string | null;
    anchored_at: string | null;
    /** The sealed record's wrapped key, filed with its id and CID before its transaction is sent. */
    wrapped_key: string | null;
    /** The run that filed the record: `<workflow id>/<run id>`. */
    anchored_by: string | null;
    /** Why the message left its batch without a record; a later claim may take it again. */
    failure: string | null;
  };
  /**
   * Trace codes this engine generated for a manufacturer (`POST /v1/trace/codes`), filed under
   * their public ids: the codes themselves are handed out once and never kept. A production batch
   * may only use codes issued to its organisation, each in one event (`used_by_event`, and the
   * digest of the request that claimed them, so a retried request is told from another body).
   */
  issued_trace_codes: {
    trace_id: string;
    organisation: string;
    issued_at: string;
    used_by_event: string | null;
    used_with_digest: string | null;
  };
}

export type RegistrationStatus = 'pending' | 'registered' | 'rejected';

import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Transaction } from 'kysely';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { SignedPrekey } from '../../core/keys/index.js';
import type { EngineTables, RegistrationStatus } from './schema.js';
import { migrationProvider } from './migrations.js';

export class EngineStateError extends Error {
  constructor(
    readonly code:
      | 'PREKEYS_EXHAUSTED'
      | 'ENROLMENT_CONFLICT'
      | 'MERGE_CONFLICT'
      | 'PREKEY_CONFLICT'
      | 'IDENTITY_CONFLICT'
      | 'REGISTRATION_CONFLICT'
      | 'TOO_MANY_REQUESTS'
      | 'BATCH_TOO_LARGE'
      | 'CLAIM_CONFLICT',
    message: string,
  ) {
    super(message);
    this.name = 'EngineStateError';
  }
}

/** The most messages one claim takes: a batch's `createBatch` holds 256. */
export const MAX_CLAIMED_MESSAGES = 256;

/** A message a batch run claimed, and once it is on chain, its record. */
export interface AnchoredMessage {
  messageKey: string;
  claim: string;
  record?: { recordId: string; cid: string; transactionHash: string | null; anchoredAt: string };
  /** The run that anchored it (`<workflow id>/<run id>`); none on rows filed before runs were. */
  anchoredBy?: string;
  /** Why it left its batch without a record (a poison message): sent again, it is claimed again. */
  failure?: string;
}

/** A record as sealed for a claimed message, filed before its transaction is sent. */
export interface SealedForMessage {
  messageKey: string;
  recordId: string;
  cid: string;
  wrappedKey: string;
}

export interface InboxItem {
  seq: number;
  deliveryId: string;
  sealed: Uint8Array;
  deliveredAt: string;
}

export interface LocalIdentity {
  name: string;
  address: string;
  role: number;
}

/** An organisation's API credential as stored: the hash of its secret, never the secret. */
export interface OrgCredential {
  id: string;
  identityName: string;
  identityAddress: string;
  secretSha256: string;
  createdAt: string;
  revokedAt: string | null;
}

/** A wallet's registration request as kept: the signed request itself, and what became of it. */
export interface KeptRegistrationRequest {
  id: string;
  address: string;
  /** The signed request exactly as the wallet sent it (JSON). */
  request: string;
  status: RegistrationStatus;
  receivedAt: string;
  decidedAt: string | null;
  transactionHash: string | null;
}

/**
 * Anyone can make keys and sign a request, so the number waiting is bounded: past it new requests
 * are refused until an operator decides some, rather than the table growing without end.
 */
export const MAX_PENDING_REGISTRATIONS = 1000;

/** A sealed enrolment offer as kept; its identifier is readable only with the code. */
export interface KeptEnrolmentOffer {
  codeId: string;
  sealed: Uint8Array;
  expiresAt: string;
  redeemedBy: string | null;
}

const now = () => new Date().toISOString();

const toRegistrationRequest = (row: EngineTables['registration_requests']): KeptRegistrationRequest => ({
  id: row.id,
  address: row.address,
  request: row.request,
  status: row.status,
  receivedAt: row.received_at,
  decidedAt: row.decided_at,
  transactionHash: row.transaction_hash,
});

const toCredential = (row: EngineTables['org_credentials']): OrgCredential => ({
  id: row.id,
  identityName: row.identity_name,
  identityAddress: row.identity_address,
  secretSha256: row.secret_sha256,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

/**
 * The engine's durable state: enrolment map, prekey pools, inboxes and its own identities, in
 * SQLite through kysely (the same typed queries run on PostgreSQL). Every write is idempotent per
 * workflow or delivery id, because activities are retried.
 */
export class EngineState {
  private constructor(
    private readonly db: Kysely<EngineTables>,
    private readonly refKey: Uint8Array,
  ) {}

  /** `refKey` keys the patient-identifier hash, so the file alone does not reveal who is enrolled. */
  static async open(path: string, refKey: Uint8Array): Promise<EngineState> {
    const database = new Database(path);
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 5000');
    const db = new Kysely<EngineTables>({ dialect: new SqliteDialect({ database }) });
    const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error || failed) {
      await db.destroy();
      throw new Error(
        `engine state ${path}: migration ${failed?.migrationName ?? ''} failed: ${(error as Error | undefined)?.message ?? 'unknown error'}`,
      );
    }
    return new EngineState(db, refKey);
  }

  close(): Promise<void> {
    return this.db.destroy();
  }

  /** A stable pseudonym for (assigning authority, identifier), e.g. PID-3's CX.4 and CX.1. */
  patientRef(authority: string, identifier: string): string {
    return bytesToHex(
      hmac(sha256, this.refKey, concatBytes(utf8ToBytes(authority), Uint8Array.of(0), utf8ToBytes(identifier))),
    );
  }

  /** Records the enrolment and returns the workflows waiting for this patient. */
  async enrol(enrolledRef: string, patientAddress: string): Promise<string[]> {
    return this.db.transaction().execute(async (tx) => {
      const patientRef = await resolveMerges(tx, enrolledRef);
      const existing = await tx
        .selectFrom('enrolments')
        .select('patient_address')
        .where('patient_ref', '=', patientRef)
        .executeTakeFirst();
      if (existing && existing.patient_address !== patientAddress) {
        throw new EngineStateError(
          'ENROLMENT_CONFLICT',
          `this patient identifier is already enrolled to account ${existing.patient_address}, not ${patientAddress}`,
        );
      }
      if (!existing)
        await tx
          .insertInto('enrolments')
          .values({ patient_ref: patientRef, patient_address: patientAddress, enrolled_at: now() })
          .execute();
      const waits = await tx
        .selectFrom('enrolment_waits')
        .select('workflow_id')
        .where('patient_ref', '=', patientRef)
        .execute();
      return waits.map((w) => w.workflow_id);
    });
  }

  /**
   * The patient's account, or undefined after noting that `workflowId` waits for them — in one
   * transaction, so an enrolment cannot slip between the look-up and the note.
   */
  async findPatientOrWait(recordRef: string, workflowId: string): Promise<string | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const patientRef = await resolveMerges(tx, recordRef);
      const found = await tx
        .selectFrom('enrolments')
        .select('patient_address')
        .where('patient_ref', '=', patientRef)
        .executeTakeFirst();
      if (found) {
        await tx
          .deleteFrom('enrolment_waits')
          .where('patient_ref', '=', patientRef)
          .where('workflow_id', '=', workflowId)
          .execute();
        return found.patient_address;
      }
      await tx
        .insertInto('enrolment_waits')
        .values({ patient_ref: patientRef, workflow_id: workflowId, since: now() })
        .onConflict((oc) => oc.columns(['patient_ref', 'workflow_id']).doNothing())
        .execute();
      return undefined;
    });
  }

  /** The patient's account, or undefined, noting no wait: a batch hands a waiting record to a run of its own. */
  async findPatient(recordRef: string): Promise<string | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const found = await tx
        .selectFrom('enrolments')
        .select('patient_address')
        .where('patient_ref', '=', await resolveMerges(tx, recordRef))
        .executeTakeFirst();
      return found?.patient_address;
    });
  }

  /**
   * A hospital merged two identifiers of one patient (ADT^A40): from now on `mergedRef` names
   * `survivingRef`. An enrolment and the waiting records of the merged identifier move to the
   * surviving one; when the patient is enrolled, the records to wake are returned with the account.
   * Merging again is a no-op; two identifiers enrolled to different accounts are a conflict for a
   * person to resolve, and nothing changes.
   */
  async mergePatients(mergedRef: string, survivingRef: string): Promise<{ account?: string; waiting: string[] }> {
    return this.db.transaction().execute(async (tx) => {
      const [merged, surviving] = [await resolveMerges(tx, mergedRef), await resolveMerges(tx, survivingRef)];
      const enrolledTo = async (ref: string) =>
        (await tx.selectFrom('enrolments').select('patient_address').where('patient_ref', '=', ref).executeTakeFirst())
          ?.patient_address;
      if (merged !== surviving) {
        const [mergedAccount, survivingAccount] = [await enrolledTo(merged), await enrolledTo(surviving)];
        if (mergedAccount && survivingAccount && mergedAccount !== survivingAccount)
          throw new EngineStateError(
            'MERGE_CONFLICT',
            `the merged identifier is enrolled to account ${mergedAccount} and the surviving one to ${survivingAccount}; an operator must decide which stands`,
          );
        if (mergedAccount) {
          await tx.deleteFrom('enrolments').where('patient_ref', '=', merged).execute();
          if (!survivingAccount)
            await tx
              .insertInto('enrolments')
              .values({ patient_ref: surviving, patient_address: mergedAccount, enrolled_at: now() })
              .execute();
        }
        await tx
          .insertInto('patient_merges')
          .values({ merged_ref: merged, surviving_ref: surviving, merged_at: now() })
          .execute();
        const moved = await tx.selectFrom('enrolment_waits').selectAll().where('patient_ref', '=', merged).execute();
        await tx.deleteFrom('enrolment_waits').where('patient_ref', '=', merged).execute();
        for (const wait of moved)
          await tx
            .insertInto('enrolment_waits')
            .values({ ...wait, patient_ref: surviving })
            .onConflict((oc) => oc.columns(['patient_ref', 'workflow_id']).doNothing())
            .execute();
      }
      const account = await enrolledTo(surviving);
      if (account === undefined) return { waiting: [] };
      const waits = await tx
        .selectFrom('enrolment_waits')
        .select('workflow_id')
        .where('patient_ref', '=', surviving)
        .execute();
      return { account, waiting: waits.map((w) => w.workflow_id) };
    });
  }

  /** Adds verified prekeys; republishing the same prekey is a no-op, a different key under a used index an error. */
  async addPrekeys(owner: string, prekeys: readonly SignedPrekey[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const p of prekeys) {
        const existing = await tx
          .selectFrom('prekeys')
          .select('public_key')
          .where('owner', '=', owner)
          .where('prekey_index', '=', p.index)
          .executeTakeFirst();
        if (existing) {
          if (bytesToHex(existing.public_key) !== bytesToHex(p.publicKey)) {
            throw new EngineStateError(
              'PREKEY_CONFLICT',
              `prekey ${p.index} of ${owner} was already published with another key`,
            );
          }
          continue;
        }
        await tx
          .insertInto('prekeys')
          .values({ owner, prekey_index: p.index, public_key: p.publicKey, signature: p.signature, claimed_by: null })
          .execute();
      }
    });
  }

  async unclaimedPrekeys(owner: string): Promise<number> {
    const row = await this.db
      .selectFrom('prekeys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner', '=', owner)
      .where('claimed_by', 'is', null)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  async prekeyPublicKey(owner: string, index: number): Promise<Uint8Array | undefined> {
    const row = await this.db
      .selectFrom('prekeys')
      .select('public_key')
      .where('owner', '=', owner)
      .where('prekey_index', '=', index)
      .executeTakeFirst();
    return row && new Uint8Array(row.public_key);
  }

  /** One prekey per workflow: a retried claim returns the prekey the workflow already holds. */
  async claimPrekey(owner: string, workflowId: string): Promise<SignedPrekey> {
    const prekey = await this.db.transaction().execute((tx) => claimPrekeyIn(tx, owner, workflowId));
    if (!prekey)
      throw new EngineStateError(
        'PREKEYS_EXHAUSTED',
        `no unused prekey of ${owner} is left; the patient's wallet must publish a new batch before this record can be anchored`,
      );
    return prekey;
  }

  /**
   * `claimPrekey` for a batch's messages in one transaction (one write to disk, not one each);
   * `undefined` where the owner has no unused prekey left.
   */
  async claimPrekeys(
    claims: ReadonlyArray<{ owner: string; claimKey: string }>,
  ): Promise<Array<SignedPrekey | undefined>> {
    return this.db.transaction().execute(async (tx) => {
      const prekeys: Array<SignedPrekey | undefined> = [];
      for (const { owner, claimKey } of claims) prekeys.push(await claimPrekeyIn(tx, owner, claimKey));
      return prekeys;
    });
  }

  async deliver(recipient: string, deliveryId: string, sealed: Uint8Array): Promise<void> {
    await deliverIn(this.db, [{ recipient, deliveryId, sealed }]);
  }

  async inbox(recipient: string, afterSeq = 0): Promise<InboxItem[]> {
    const rows = await this.db
      .selectFrom('inbox')
      .selectAll()
      .where('recipient', '=', recipient)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({
      seq: r.seq,
      deliveryId: r.delivery_id,
      sealed: new Uint8Array(r.sealed),
      deliveredAt: r.delivered_at,
    }));
  }

  async localIdentity(name: string): Promise<LocalIdentity | undefined> {
    return this.db
      .selectFrom('local_identities')
      .select(['name', 'address', 'role'])
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async addLocalIdentity(identity: LocalIdentity): Promise<void> {
    const existing = await this.localIdentity(identity.name);
    if (existing) {
      if (existing.address !== identity.address)
        throw new EngineStateError(
          'IDENTITY_CONFLICT',
          `identity "${identity.name}" already exists as ${existing.address}`,
        );
      return;
    }
    await this.db
      .insertInto('local_identities')
      .values({ ...identity, created_at: now() })
      .execute();
  }

  async addOrgCredential(credential: Pick<OrgCredential, 'id' | 'identityName' | 'identityAddress' | 'secretSha256'>) {
    const row = {
      id: credential.id,
      identity_name: credential.identityName,
      identity_address: credential.identityAddress,
      secret_sha256: credential.secretSha256,
      created_at: now(),
      revoked_at: null,
    };
    await this.db.insertInto('org_credentials').values(row).execute();
    return toCredential(row);
  }

  async orgCredential(id: string): Promise<OrgCredential | undefined> {
    const row = await this.db.selectFrom('org_credentials').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toCredential(row);
  }

  async orgCredentials(): Promise<OrgCredential[]> {
    const rows = await this.db.selectFrom('org_credentials').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toCredential);
  }

  /** Revokes a credential from now on; revoking it again keeps the first time. Undefined for an unknown id. */
  async revokeOrgCredential(id: string): Promise<OrgCredential | undefined> {
    await this.db
      .updateTable('org_credentials')
      .set({ revoked_at: now() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    return this.orgCredential(id);
  }

  /**
   * Keeps a wallet's request until an operator decides it. The same request again is the one kept
   * (a retried POST); another request for an account that already has one is a conflict.
   */
  async addRegistrationRequest(request: {
    id: string;
    address: string;
    request: string;
  }): Promise<KeptRegistrationRequest> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('registration_requests')
        .selectAll()
        .where('address', '=', request.address)
        .executeTakeFirst();
      if (existing) {
        if (existing.id === request.id) return toRegistrationRequest(existing);
        throw new EngineStateError(
          'REGISTRATION_CONFLICT',
          `${request.address} already has a registration request (${existing.id}, ${existing.status})`,
        );
      }
      const { pending } = await tx
        .selectFrom('registration_requests')
        .select((eb) => eb.fn.countAll<number>().as('pending'))
        .where('status', '=', 'pending')
        .executeTakeFirstOrThrow();
      if (pending >= MAX_PENDING_REGISTRATIONS)
        throw new EngineStateError(
          'TOO_MANY_REQUESTS',
          `${MAX_PENDING_REGISTRATIONS} registration requests are waiting for an operator; try again later`,
        );
      const row = {
        ...request,
        status: 'pending' as const,
        received_at: now(),
        decided_at: null,
        transaction_hash: null,
      };
      await tx.insertInto('registration_requests').values(row).execute();
      return toRegistrationRequest(row);
    });
  }

  async registrationRequest(id: string): Promise<KeptRegistrationRequest | undefined> {
    const row = await this.db.selectFrom('registration_requests').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRegistrationRequest(row);
  }

  /** Requests in the order they arrived, those with `status` only when given. */
  async registrationRequests(status?: RegistrationStatus): Promise<KeptRegistrationRequest[]> {
    let query = this.db.selectFrom('registration_requests').selectAll();
    if (status) query = query.where('status', '=', status);
    const rows = await query.orderBy('received_at').orderBy('id').execute();
    return rows.map(toRegistrationRequest);
  }

  /** Records an operator's decision on a pending request; undefined when no request has that id. */
  async decideRegistrationRequest(
    id: string,
    decision: { status: Exclude<RegistrationStatus, 'pending'>; transactionHash?: string | null },
  ): Promise<KeptRegistrationRequest | undefined> {
    await this.db
      .updateTable('registration_requests')
      .set({ status: decision.status, decided_at: now(), transaction_hash: decision.transactionHash ?? null })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
    return this.registrationRequest(id);
  }

  async addEnrolmentOffer(offer: { codeId: string; sealed: Uint8Array; expiresAt: string }): Promise<void> {
    await this.db
      .insertInto('enrolment_offers')
      .values({
        code_id: offer.codeId,
        sealed: offer.sealed,
        expires_at: offer.expiresAt,
        created_at: now(),
        redeemed_by: null,
        redeemed_at: null,
      })
      .execute();
  }

  async enrolmentOffer(codeId: string): Promise<KeptEnrolmentOffer | undefined> {
    const row = await this.db
      .selectFrom('enrolment_offers')
      .select(['code_id', 'sealed', 'expires_at', 'redeemed_by'])
      .where('code_id', '=', codeId)
      .executeTakeFirst();
    return (
      row && {
        codeId: row.code_id,
        sealed: new Uint8Array(row.sealed),
        expiresAt: row.expires_at,
        redeemedBy: row.redeemed_by,
      }
    );
  }

  /**
   * Claims each message for the batch `claim` unless a claim holds it already, in one transaction.
   * `ours` are the keys `claim` holds (claimed now, or by an earlier attempt of the same claim);
   * `taken` are held by another claim: another batch anchors, or anchored, them. A message that
   * failed out of its batch is claimed anew: sending it again is how it is driven again.
   * A message that had no row until now and yet has a run of its own (it claimed a prekey or waits
   * for the patient under the key: anchored alone, before batches or with
   * `YILIAN_INTAKE_ANCHORING=per-message`) is claimed for that run, under its own key: that run,
   * not this batch, owes the record, and it is `taken`.
   */
  async claimMessages(
    messageKeys: readonly string[],
    claim: string,
  ): Promise<{ ours: string[]; taken: Array<{ messageKey: string; claim: string }> }> {
    if (messageKeys.length > MAX_CLAIMED_MESSAGES)
      throw new EngineStateError(
        'BATCH_TOO_LARGE',
        `a claim takes at most ${MAX_CLAIMED_MESSAGES} messages, not ${messageKeys.length}`,
      );
    if (messageKeys.length === 0) return { ours: [], taken: [] };
    return this.db.transaction().execute(async (tx) => {
      const claimedAt = now();
      const hadRows = new Set(
        (
          await tx
            .selectFrom('anchored_messages')
            .select('message_key')
            .where('message_key', 'in', messageKeys)
            .execute()
        ).map((row) => row.message_key),
      );
      const fresh = messageKeys.filter((key) => !hadRows.has(key));
      const ownRuns =
        fresh.length === 0
          ? new Set<string>()
          : new Set([
              ...(await tx.selectFrom('prekeys').select('claimed_by').where('claimed_by', 'in', fresh).execute()).map(
                (row) => row.claimed_by,
              ),
              ...(
                await tx.selectFrom('enrolment_waits').select('workflow_id').where('workflow_id', 'in', fresh).execute()
              ).map((row) => row.workflow_id),
            ]);
      await tx
        .insertInto('anchored_messages')
        .values(
          messageKeys.map((key) => ({
            message_key: key,
            claim: ownRuns.has(key) ? key : claim,
            claimed_at: claimedAt,
          })),
        )
        .onConflict((oc) =>
          oc
            .column('message_key')
            .doUpdateSet({ claim, claimed_at: claimedAt, failure: null })
            .where('anchored_messages.failure', 'is not', null),
        )
        .execute();
      const rows = await tx
        .selectFrom('anchored_messages')
        .select(['message_key', 'claim'])
        .where('message_key', 'in', messageKeys)
        .execute();
      const holder = new Map(rows.map((row) => [row.message_key, row.claim]));
      const keys = [...new Set(messageKeys)];
      return {
        ours: keys.filter((key) => holder.get(key) === claim),
        taken: keys
          .filter((key) => holder.get(key) !== claim)
          .map((key) => ({ messageKey: key, claim: holder.get(key) ?? '' })),
      };
    });
  }

  /**
   * Files the records sealed for messages `claim` holds, before they are sent to the chain, and
   * returns the record to send for each: the one filed first. A run of the same claim that seals
   * again (a reset run; its claim names the execution's first run) so sends the record an earlier
   * run may have committed, and the chain skips it instead of creating a second one.
   */
  async fileSealed(claim: string, sealed: ReadonlyArray<SealedForMessage>): Promise<SealedForMessage[]> {
    return this.db.transaction().execute(async (tx) => {
      const filed: SealedForMessage[] = [];
      for (const record of sealed) {
        await tx
          .updateTable('anchored_messages')
          .set({ record_id: record.recordId, cid: record.cid, wrapped_key: record.wrappedKey })
          .where('message_key', '=', record.messageKey)
          .where('claim', '=', claim)
          .where('record_id', 'is', null)
          .execute();
        const row = await tx
          .selectFrom('anchored_messages')
          .select(['record_id', 'cid', 'wrapped_key'])
          .where('message_key', '=', record.messageKey)
          .where('claim', '=', claim)
          .executeTakeFirst();
        if (!row?.record_id || !row.cid || !row.wrapped_key)
          throw new EngineStateError(
            'CLAIM_CONFLICT',
            `message ${record.messageKey} is not held by ${claim} with a sealed record: another claim anchors it`,
          );
        filed.push({
          messageKey: record.messageKey,
          recordId: row.record_id,
          cid: row.cid,
          wrappedKey: row.wrapped_key,
        });
      }
      return filed;
    });
  }

  /** Marks messages `claim` holds as failed out of its batch, with why, where no record was filed. */
  async failMessages(claim: string, failures: ReadonlyArray<{ messageKey: string; reason: string }>): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const { messageKey, reason } of failures)
        await tx
          .updateTable('anchored_messages')
          .set({ failure: reason })
          .where('message_key', '=', messageKey)
          .where('claim', '=', claim)
          .where('anchored_at', 'is', null)
          .execute();
    });
  }

  /**
   * Files a batch's records once on chain, with their sealed inbox items (each once under its
   * delivery id), in one transaction: each record under its message's row where `claim` holds it
   * and no record was filed yet; again is a no-op. `run` is the run that anchored them.
   */
  async fileAnchoredBatch(
    claim: string,
    run: string,
    deliveries: ReadonlyArray<{ recipient: string; deliveryId: string; sealed: Uint8Array }>,
    records: ReadonlyArray<AnchoredRecord>,
  ): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await deliverIn(tx, deliveries);
      await markAnchoredIn(tx, { claim, run }, records);
    });
  }

  /**
   * Delivers a record anchored by a message's own run, and files it under the message's row if a
   * batch claimed it and left it to wait for its patient (no row: anchored alone, nothing to file).
   */
  async fileAnchoredRecord(
    run: string,
    delivery: { recipient: string; deliveryId: string; sealed: Uint8Array },
    record: AnchoredRecord,
  ): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await deliverIn(tx, [delivery]);
      await markAnchoredIn(tx, { run }, [record]);
    });
  }

  /** Where a message was anchored: what `yilian audit` starts from for one message. */
  async anchoredMessage(messageKey: string): Promise<AnchoredMessage | undefined> {
    const row = await this.db
      .selectFrom('anchored_messages')
      .selectAll()
      .where('message_key', '=', messageKey)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      messageKey: row.message_key,
      claim: row.claim,
      ...(row.anchored_by ? { anchoredBy: row.anchored_by } : {}),
      ...(row.failure ? { failure: row.failure } : {}),
      ...(row.record_id && row.cid && row.anchored_at
        ? {
            record: {
              recordId: row.record_id,
              cid: row.cid,
              transactionHash: row.transaction_hash,
              anchoredAt: row.anchored_at,
            },
          }
        : {}),
    };
  }

  /**
   * Binds the code to `account` for good: true the first time, and again for the same account (a
   * retried redemption), false once another account redeemed it.
   */
  async redeemEnrolmentOffer(codeId: string, account: string): Promise<boolean> {
    await this.db
      .updateTable('enrolment_offers')
      .set({ redeemed_by: account, redeemed_at: now() })
      .where('code_id', '=', codeId)
      .where('redeemed_by', 'is', null)
      .execute();
    return (await this.enrolmentOffer(codeId))?.redeemedBy === account;
  }
  /** Files the public ids of codes this engine generated for `organisation` (never the codes). */
  async issueTraceCodes(organisation: string, traceIds: readonly string[]): Promise<void> {
    const issuedAt = now();
    await this.db.transaction().execute(async (tx) => {
      for (const chunk of inChunks(traceIds))
        await tx
          .insertInto('issued_trace_codes')
          .values(
            chunk.map((id) => ({
              trace_id: id,
              organisation,
              issued_at: issuedAt,
              used_by_event: null,
              used_with_digest: null,
            })),
          )
          .execute();
    });
  }

  /** Codes issued to `organisation` that no event has used yet. */
  async unusedTraceCodes(organisation: string): Promise<number> {
    const row = await this.db
      .selectFrom('issued_trace_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('organisation', '=', organisation)
      .where('used_by_event', 'is', null)
      .executeTakeFirstOrThrow();
    return row.n;
  }

  /**
   * Ties every id to the claimant's event, all or nothing: each must have been issued to its
   * organisation and be unused, or already claimed by the same request (a retry). The ownership is
   * read back inside the transaction, so two events racing for one code cannot both have it.
   */
  async claimTraceCodes(claimant: TraceCodeClaimant, traceIds: readonly string[]): Promise<TraceCodeClaim> {
    type Owner = Pick<EngineTables['issued_trace_codes'], 'organisation' | 'used_by_event' | 'used_with_digest'>;
    const refused = (owners: Map<string, Owner>): TraceCodeClaim => {
      const claim: TraceCodeClaim = { notIssued: [], usedByAnother: [], usedByOtherBody: [] };
      traceIds.forEach((id, position) => {
        const owner = owners.get(id);
        if (owner?.organisation !== claimant.organisation) claim.notIssued.push(position);
        else if (owner.used_by_event === null) return;
        else if (owner.used_by_event !== claimant.eventId) claim.usedByAnother.push(position);
        else if (owner.used_with_digest !== claimant.digest) claim.usedByOtherBody.push(position);
      });
      return claim;
    };
    const owners = async (tx: Transaction<EngineTables>) => {
      const found = new Map<string, Owner>();
      for (const chunk of inChunks(traceIds))
        for (const row of await tx
          .selectFrom('issued_trace_codes')
          .select(['trace_id', 'organisation', 'used_by_event', 'used_with_digest'])
          .where('trace_id', 'in', chunk)
          .execute())
          found.set(row.trace_id, row);
      return found;
    };
    let outcome = refused(new Map());
    await this.db
      .transaction()
      .execute(async (tx) => {
        outcome = refused(await owners(tx));
        if (isRefused(outcome)) return;
        for (const chunk of inChunks(traceIds))
          await tx
            .updateTable('issued_trace_codes')
            .set({ used_by_event: claimant.eventId, used_with_digest: claimant.digest })
            .where('trace_id', 'in', chunk)
            .where('used_by_event', 'is', null)
            .execute();
        outcome = refused(await owners(tx));
        // another request won a race for some code: undo this one's share of the claim
        if (isRefused(outcome)) throw CLAIM_LOST;
      })
      .catch((error: unknown) => {
        if (error !== CLAIM_LOST) throw error;
      });
    return outcome;
  }

  /** Frees the codes a request claimed when its event was not queued after all. */
  async releaseTraceCodes(claimant: TraceCodeClaimant): Promise<void> {
    await this.db
      .updateTable('issued_trace_codes')
      .set({ used_by_event: null, used_with_digest: null })
      .where('organisation', '=', claimant.organisation)
      .where('used_by_event', '=', claimant.eventId)
      .where('used_with_digest', '=', claimant.digest)
      .execute();
  }
}

/** The outcome of claiming codes for an event: positions (in the event's order) refused, by reason. */
export interface TraceCodeClaim {
  /** Not issued by this engine to this organisation. */
  notIssued: number[];
  /** Issued to it, but already in another event. */
  usedByAnother: number[];
  /** Already claimed by this same event with a different request body. */
  usedByOtherBody: number[];
}

/** Who claims: the event, and the digest of the request body that carries it. */
export interface TraceCodeClaimant {
  organisation: string;
  eventId: string;
  digest: string;
}

function toPrekey(row: { prekey_index: number; public_key: Uint8Array; signature: Uint8Array }): SignedPrekey {
  return {
    index: row.prekey_index,
    publicKey: new Uint8Array(row.public_key),
    signature: new Uint8Array(row.signature),
  };
}

const CLAIM_LOST = new Error('a trace code claim lost a race');
const isRefused = (claim: TraceCodeClaim) =>
  claim.notIssued.length + claim.usedByAnother.length + claim.usedByOtherBody.length > 0;

/** Rows per statement: well under any SQL engine's limit on bound parameters. */
function inChunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Merges chain (A merged into B, later B into C): an identifier resolves to the last survivor. */
async function resolveMerges(tx: Transaction<EngineTables>, ref: string): Promise<string> {
  let current = ref;
  // a chain longer than any hospital's merge history means a cycle in hand-edited data
  for (let hop = 0; hop < 64; hop++) {
    const next = await tx
      .selectFrom('patient_merges')
      .select('surviving_ref')
      .where('merged_ref', '=', current)
      .executeTakeFirst();
    if (!next) return current;
    current = next.surviving_ref;
  }
  throw new EngineStateError('MERGE_CONFLICT', 'patient merges form a cycle; an operator must repair the merge table');
}

/** A message's record as `markAnchored` files it. */
export interface AnchoredRecord {
  messageKey: string;
  recordId: string;
  cid: string;
  transactionHash: string | null;
}

/** Files each sealed item in its recipient's inbox, once per delivery id. */
async function deliverIn(
  db: Kysely<EngineTables>,
  deliveries: ReadonlyArray<{ recipient: string; deliveryId: string; sealed: Uint8Array }>,
): Promise<void> {
  const deliveredAt = now();
  for (const { recipient, deliveryId, sealed } of deliveries)
    await db
      .insertInto('inbox')
      .values({ recipient, delivery_id: deliveryId, sealed, delivered_at: deliveredAt })
      .onConflict((oc) => oc.columns(['recipient', 'delivery_id']).doNothing())
      .execute();
}

/** Files each record under its message's row, held by `claim` when one is named, once. */
async function markAnchoredIn(
  tx: Transaction<EngineTables>,
  by: { claim?: string; run: string },
  records: ReadonlyArray<AnchoredRecord>,
): Promise<void> {
  const anchoredAt = now();
  for (const record of records) {
    let update = tx
      .updateTable('anchored_messages')
      .set({
        record_id: record.recordId,
        cid: record.cid,
        transaction_hash: record.transactionHash,
        anchored_at: anchoredAt,
        anchored_by: by.run,
      })
      .where('message_key', '=', record.messageKey)
      .where('anchored_at', 'is', null);
    if (by.claim !== undefined) update = update.where('claim', '=', by.claim);
    await update.execute();
  }
}

/** The prekey `claimKey` holds of `owner`, claiming the next unused one the first time; none when all are used. */
async function claimPrekeyIn(
  tx: Transaction<EngineTables>,
  owner: string,
  claimKey: string,
): Promise<SignedPrekey | undefined> {
  const held = await tx.selectFrom('prekeys').selectAll().where('claimed_by', '=', claimKey).executeTakeFirst();
  if (held) {
    if (held.owner !== owner)
      throw new EngineStateError('PREKEY_CONFLICT', `workflow ${claimKey} already claimed a prekey of ${held.owner}`);
    return toPrekey(held);
  }
  const next = await tx
    .selectFrom('prekeys')
    .selectAll()
    .where('owner', '=', owner)
    .where('claimed_by', 'is', null)
    .orderBy('prekey_index')
    .limit(1)
    .executeTakeFirst();
  if (!next) return undefined;
  await tx
    .updateTable('prekeys')
    .set({ claimed_by: claimKey })
    .where('owner', '=', owner)
    .where('prekey_index', '=', next.prekey_index)
    .execute();
  return toPrekey(next);
}

import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Schema changes in order; applied by kysely's Migrator at start. Only portable column types and
 * constraints, so the same migrations run on PostgreSQL in production.
 */
const migrations: Record<string, Migration> = {
  '0001-engine-state': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('enrolments')
        .addColumn('patient_ref', 'text', (c) => c.primaryKey())
        .addColumn('patient_address', 'text', (c) => c.notNull())
        .addColumn('enrolled_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('enrolment_waits')
        .addColumn('patient_ref', 'text', (c) => c.notNull())
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('since', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('enrolment_waits_pk', ['patient_ref', 'workflow_id'])
        .execute();
      await db.schema
        .createTable('prekeys')
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('prekey_index', 'integer', (c) => c.notNull())
        .addColumn('public_key', 'blob', (c) => c.notNull())
        .addColumn('signature', 'blob', (c) => c.notNull())
        .addColumn('claimed_by', 'text', (c) => c.unique())
        .addPrimaryKeyConstraint('prekeys_pk', ['owner', 'prekey_index'])
        .execute();
      await db.schema
        .createTable('inbox')
        .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('delivery_id', 'text', (c) => c.notNull())
        .addColumn('sealed', 'blob', (c) => c.notNull())
        .addColumn('delivered_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('inbox_delivery', ['recipient', 'delivery_id'])
        .execute();
      await db.schema
        .createTable('local_identities')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('address', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await sql`create index prekeys_unclaimed on prekeys (owner, claimed_by)`.execute(db);
    },
  },
  '0002-patient-merges': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('patient_merges')
        .addColumn('merged_ref', 'text', (c) => c.primaryKey())
        .addColumn('surviving_ref', 'text', (c) => c.notNull())
        .addColumn('merged_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0003-org-credentials': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('org_credentials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('identity_name', 'text', (c) => c.notNull())
        .addColumn('identity_address', 'text', (c) => c.notNull())
        .addColumn('secret_sha256', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
    },
  },
  '0004-registration-requests': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('registration_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('address', 'text', (c) => c.notNull().unique())
        .addColumn('request', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('decided_at', 'text')
        .addColumn('transaction_hash', 'text')
        .execute();
      await sql`create index registration_requests_status on registration_requests (status, received_at)`.execute(db);
    },
  },
  '0005-enrolment-offers': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('enrolment_offers')
        .addColumn('code_id', 'text', (c) => c.primaryKey())
        .addColumn('sealed', 'blob', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('redeemed_by', 'text')
        .addColumn('redeemed_at', 'text')
        .execute();
    },
  },
  '0006-anchored-messages': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('anchored_messages')
        .addColumn('message_key', 'text', (c) => c.primaryKey())
        .addColumn('claim', 'text', (c) => c.notNull())
        .addColumn('claimed_at', 'text', (c) => c.notNull())
        .addColumn('record_id', 'text')
        .addColumn('cid', 'text')
        .addColumn('transaction_hash', 'text')
        .addColumn('anchored_at', 'text')
        .execute();
      await sql`create index anchored_messages_claim on anchored_messages (claim)`.execute(db);
    },
  },
  '0007-issued-trace-codes': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('issued_trace_codes')
        .addColumn('trace_id', 'text', (c) => c.primaryKey())
        .addColumn('organisation', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'text', (c) => c.notNull())
        .addColumn('used_by_event', 'text')
        .addColumn('used_with_digest', 'text')
        .execute();
      await sql`create index issued_trace_codes_unused on issued_trace_codes (organisation, used_by_event)`.execute(db);
    },
  },
  '0008-prekeys-claimed-by': {
    async up(db: Kysely<unknown>): Promise<void> {
      // a claim is looked up by its key alone (a retry finds the prekey it holds): without this,
      // each one read every prekey of every patient
      await sql`create index prekeys_claimed_by on prekeys (claimed_by)`.execute(db);
    },
  },
  '0009-anchored-messages-runs': {
    async up(db: Kysely<unknown>): Promise<void> {
      // a claim names a batch execution's first run: the run that anchored is filed beside it, and
      // the sealed record before its transaction, so that a reset run sends the same record again
      await db.schema.alterTable('anchored_messages').addColumn('wrapped_key', 'text').execute();
      await db.schema.alterTable('anchored_messages').addColumn('anchored_by', 'text').execute();
    },
  },
  '0010-anchored-messages-failure': {
    async up(db: Kysely<unknown>): Promise<void> {
      // why a message left its batch without a record (a poison message), for an operator to see
      await db.schema.alterTable('anchored_messages').addColumn('failure', 'text').execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};

import { z } from 'zod';
import { Role, roleName } from '../roles.js';
import type { ChainEvent, ChainScan } from './chain-scan.js';
import type { Period } from './period.js';

/*
 * The audit report: what a regulator may see without any patient's consent (docs/design.md
 * § Audit and the regulator) — integrity, authorship, counts and timing, never content. It names
 * the organisations and staff who wrote (Directory names are public to the consortium), never a
 * patient: a patient's registration or revocation is counted and timed without account or name.
 * Grants leave no transaction by design (I4), so they come from the engine's closed grantAccess
 * workflows, as times only: neither grantee nor record. Refusals are failed workflows by type and
 * failure category, never their messages or ids.
 */

const time = z.iso.datetime();
const hash = z.string().regex(/^0x[0-9a-f]{64}$/);
const account = z.string().regex(/^0x[0-9a-f]{40}$/);
const identity = z.object({ account, role: z.string(), name: z.string() });

export const auditReportSchema = z.object({
  format: z.literal('yilian/audit-report/v1'),
  period: z.object({ from: time, to: time }),
  /** The period's first and last block (by block time), null if none was sealed in it. */
  blocks: z.object({ first: z.int().nonnegative(), last: z.int().nonnegative() }).nullable(),
  generatedAt: time,
  counts: z.object({
    anchored: z.int().nonnegative(),
    granted: z.int().nonnegative(),
    /** Trace steps appended; `tracedTransactions` pushes carried them. */
    traced: z.int().nonnegative(),
    tracedTransactions: z.int().nonnegative(),
    registered: z.int().nonnegative(),
    revoked: z.int().nonnegative(),
    refused: z.int().nonnegative(),
  }),
  anchored: z.array(z.object({ recordId: hash, block: z.int(), time, transaction: hash, author: identity })),
  granted: z.array(z.object({ time })),
  traced: z.array(
    z.object({
      block: z.int(),
      time,
      transaction: hash,
      sender: identity,
      steps: z.array(z.object({ traceId: hash, index: z.int().nonnegative() })),
    }),
  ),
  identities: z.array(
    z.object({
      event: z.enum(['registered', 'revoked']),
      block: z.int(),
      time,
      transaction: hash,
      role: z.string(),
      /** Absent for patients: a patient is counted, never named. */
      account: account.optional(),
      name: z.string().optional(),
    }),
  ),
  /** Failed workflows, and intake jobs dead-lettered before their workflow started (category `IntakeDeadLetter`). */
  refused: z.array(z.object({ workflowType: z.string(), category: z.string(), time })),
  /** Refusals counted by workflow type, then by category. */
  refusedByType: z.record(z.string(), z.record(z.string(), z.int().positive())),
  /** Whether the intake queue's dead letters were counted (its Redis answered), and whether all of them. */
  intake: z.object({ reachable: z.boolean(), truncated: z.boolean() }),
});

export type AuditReport = z.infer<typeof auditReportSchema>;

/** A closed workflow that did not complete, as Temporal's visibility and its close event tell it. */
export interface Refusal {
  workflowType: string;
  /** The failure's type (`BadRekey`, `DirectoryError.REVOKED`) or how it ended (`TimedOut`, `Terminated`). */
  category: string;
  time: Date;
}

/** Intake jobs that were dead-lettered, with the workflow each was to start. */
export interface IntakeDeadLetters {
  letters: Array<{ workflowType: string; time: Date }>;
  /** More were dead-lettered than were read. */
  truncated: boolean;
}

/** What counts as a dead letter's category among the refusals. */
export const INTAKE_DEAD_LETTER = 'IntakeDeadLetter';

export interface AuditInputs {
  period: Period;
  chain: ChainScan;
  /** The Directory's entry of every account that sent or was named in a chain event. */
  directory: ReadonlyMap<string, { role: number; name: string }>;
  /** When each completed grantAccess closed. */
  grants: readonly Date[];
  refusals: readonly Refusal[];
  /** Undefined when the intake queue was not reachable. */
  intake?: IntakeDeadLetters | undefined;
  generatedAt: Date;
}

/** The report of a period from what the chain, the Directory and the engine's workflows say. */
export function buildAuditReport(inputs: AuditInputs): AuditReport {
  const who = (address: string) => {
    const entry = inputs.directory.get(address);
    return { account: address, role: entry ? roleName(entry.role) : 'not registered', name: entry?.name ?? '' };
  };
  const events = inputs.chain.events;
  const stamp = (event: ChainEvent) => ({
    block: event.block,
    time: event.time.toISOString(),
    transaction: event.transaction,
  });

  const anchored = events.flatMap((event) =>
    event.kind === 'recordCreated' ? [{ recordId: event.recordId, ...stamp(event), author: who(event.sender) }] : [],
  );
  const traced: AuditReport['traced'] = [];
  for (const event of events) {
    if (event.kind !== 'stepAppended') continue;
    const step = { traceId: event.traceId, index: event.index };
    const push = traced.at(-1);
    if (push?.transaction === event.transaction) push.steps.push(step);
    else traced.push({ ...stamp(event), sender: who(event.sender), steps: [step] });
  }
  const identities = events.flatMap((event): AuditReport['identities'] => {
    if (event.kind !== 'identityRegistered' && event.kind !== 'identityRevoked') return [];
    const role = event.kind === 'identityRegistered' ? event.role : inputs.directory.get(event.account)?.role;
    const named =
      role === Role.Patient
        ? {}
        : {
            account: event.account,
            name: event.kind === 'identityRegistered' ? event.name : (inputs.directory.get(event.account)?.name ?? ''),
          };
    return [
      {
        event: event.kind === 'identityRegistered' ? 'registered' : 'revoked',
        ...stamp(event),
        role: role === undefined ? 'not registered' : roleName(role),
        ...named,
      },
    ];
  });
  const deadLetters = (inputs.intake?.letters ?? []).map((letter) => ({ ...letter, category: INTAKE_DEAD_LETTER }));
  const refused = [...inputs.refusals, ...deadLetters]
    .sort((a, b) => a.time.getTime() - b.time.getTime())
    .map((refusal) => ({ ...refusal, time: refusal.time.toISOString() }));
  // Maps, not objects: a type or category is whatever Temporal or Redis holds (even `__proto__`)
  const byType = new Map<string, Map<string, number>>();
  for (const { workflowType, category } of refused) {
    const byCategory = byType.get(workflowType) ?? new Map<string, number>();
    byType.set(workflowType, byCategory.set(category, (byCategory.get(category) ?? 0) + 1));
  }
  const refusedByType = Object.fromEntries([...byType].map(([type, counts]) => [type, Object.fromEntries(counts)]));
  const granted = [...inputs.grants]
    .sort((a, b) => a.getTime() - b.getTime())
    .map((at) => ({ time: at.toISOString() }));

  return {
    format: 'yilian/audit-report/v1',
    period: { from: inputs.period.from.toISOString(), to: inputs.period.to.toISOString() },
    blocks: inputs.chain.blocks,
    generatedAt: inputs.generatedAt.toISOString(),
    counts: {
      anchored: anchored.length,
      granted: granted.length,
      traced: traced.reduce((sum, push) => sum + push.steps.length, 0),
      tracedTransactions: traced.length,
      registered: identities.filter((i) => i.event === 'registered').length,
      revoked: identities.filter((i) => i.event === 'revoked').length,
      refused: refused.length,
    },
    anchored,
    granted,
    traced,
    identities,
    refused,
    refusedByType,
    intake: { reachable: inputs.intake !== undefined, truncated: inputs.intake?.truncated ?? false },
  };
}

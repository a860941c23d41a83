/**
 * One check of an audit: PASS when it held, FAIL naming what is wrong, SKIP when it could not be
 * run (it needs the reader's wallet or the trace code, or an earlier link it stands on did not
 * hold, which that link's own verdict reports). A SKIP is not a failure: each fault is reported
 * once, by the check that catches it.
 */
export type CheckStatus = 'PASS' | 'FAIL' | 'SKIP';

export interface Verdict {
  check: string;
  status: CheckStatus;
  /** For a person to read: what was established, or what is wrong, or why it was not checked. */
  detail: string;
}

export const pass = (check: string, detail: string): Verdict => ({ check, status: 'PASS', detail });
export const fail = (check: string, detail: string): Verdict => ({ check, status: 'FAIL', detail });
export const skip = (check: string, detail: string): Verdict => ({ check, status: 'SKIP', detail });

/** Whether an audit holds: no check failed (skipped ones do not count against it). */
export const holds = (verdicts: readonly Verdict[]): boolean => verdicts.every((v) => v.status !== 'FAIL');

/** The first problems of a list, and how many more: a verdict stays one readable line. */
export function summarize(problems: readonly string[], shown = 3): string {
  const more = problems.length - shown;
  return problems.slice(0, shown).join('; ') + (more > 0 ? `; and ${more} more` : '');
}

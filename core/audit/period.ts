/**
 * Times an auditor types: an ISO-8601 date (midnight UTC) or date and time with its zone, or a
 * duration ago (`90s`, `30m`, `24h`, `7d`). A time without a zone is refused rather than read in
 * whatever zone the machine happens to be in.
 */
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const AGO = /^(\d{1,6})(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The longest period one report covers: its chain scan and its Temporal listing grow with it. */
export const MAX_PERIOD_DAYS = 366;

export class PeriodError extends Error {
  override name = 'PeriodError';
}

export function parseTime(text: string, what: string, now: number = Date.now()): Date {
  const ago = AGO.exec(text);
  if (ago) return new Date(now - Number(ago[1]) * UNIT_MS[ago[2] as keyof typeof UNIT_MS]);
  const time = ISO.test(text) ? new Date(text) : undefined;
  if (!time || Number.isNaN(time.getTime()))
    throw new PeriodError(
      `${what} must be an ISO-8601 date or time with its zone (2026-12-01, 2026-12-01T08:00:00Z) or a duration ago (90s, 30m, 24h, 7d), not ${JSON.stringify(text.slice(0, 40))}`,
    );
  return time;
}

export interface Period {
  from: Date;
  to: Date;
}

/** `from` ≤ `to`, at most {@link MAX_PERIOD_DAYS} apart. */
export function parsePeriod(from: string, to: string, names = { from: 'from', to: 'to' }, now = Date.now()): Period {
  const period = { from: parseTime(from, names.from, now), to: parseTime(to, names.to, now) };
  if (period.from > period.to)
    throw new PeriodError(
      `${names.from} (${period.from.toISOString()}) is after ${names.to} (${period.to.toISOString()})`,
    );
  if (period.to.getTime() - period.from.getTime() > MAX_PERIOD_DAYS * UNIT_MS.d)
    throw new PeriodError(`a report covers at most ${MAX_PERIOD_DAYS} days; split the period`);
  return period;
}

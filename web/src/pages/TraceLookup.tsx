import { useEffect, useId, useRef, useState, type SyntheticEvent } from 'react';
import { Alert, Button, Card, Descriptions, Input, Tag, Timeline, Typography } from 'antd';
import { CryptoError } from '../../../core/crypto/errors';
import { normalizeTraceCode } from '../../../core/crypto/trace-step';
import { roleName } from '../../../core/roles';
import { QrScanner } from '../components/QrScanner';
import { HTML_LANG, useLanguage, type Dictionary } from '../i18n';
import { loadTraceIdModule, lookUpTrace, type TraceLookup as Found, type TraceStepView } from '../trace/lookup';

/** The printed form is 35 characters; anything much longer is not a code, and is not kept. */
const MAX_TYPED = 64;
const VERIFIED = '#15803d';

type Outcome =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'badCode'; message: string }
  | { kind: 'failed'; why: string }
  | { kind: 'found'; lookup: Found };

/** normalizeTraceCode's message names a position or a count, never a symbol; this says the same in the page's language. */
function badCodeMessage(error: CryptoError, t: Dictionary): string {
  const symbol = /symbol (\d+)/.exec(error.message);
  if (symbol?.[1] !== undefined) return t.traceBadSymbol(symbol[1]);
  const count = /got (\d+)/.exec(error.message);
  if (count?.[1] !== undefined) return t.traceBadCount(count[1]);
  return error.message;
}

/** The step data's fields the page names (docs/formats.md § ERP step data); others are shown by their key. */
const SHOWN_APART = new Set(['event', 'by', 'at', 'item']);

function StepDetails({ data, t, language }: { data: Record<string, unknown>; t: Dictionary; language: string }) {
  // the product first, then the way through the chain, whatever order the signer wrote them in
  const order = Object.keys(t.traceFields);
  const rank = (key: string) => (order.includes(key) ? order.indexOf(key) : order.length);
  const items = Object.entries(data)
    .filter(([key, value]) => !SHOWN_APART.has(key) && (typeof value === 'string' || typeof value === 'number'))
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([key, value]) => ({
      key,
      label: Object.hasOwn(t.traceFields, key) ? t.traceFields[key as keyof Dictionary['traceFields']] : key,
      children: key === 'arrivedAt' && typeof value === 'string' ? formatTime(value, language) : String(value),
    }));
  return items.length === 0 ? null : <Descriptions size="small" column={{ xs: 1, sm: 2 }} items={items} />;
}

function formatTime(value: string | number, language: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  // a day without a time (a batch's `at` is its manufacturedOn) is that day everywhere, not UTC midnight moved
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value))
    return date.toLocaleDateString(language, { dateStyle: 'medium', timeZone: 'UTC' });
  return date.toLocaleString(language, { dateStyle: 'medium', timeStyle: 'short' });
}

function parseData(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // signed data that is not a JSON object: shown as the text it is
  }
  return { data: text };
}

function Step({ step, t, language }: { step: TraceStepView; t: Dictionary; language: string }) {
  const data = parseData(step.data);
  const event = typeof data.event === 'string' ? data.event : '';
  const role = roleName(step.signerRole);
  const roleLabel = Object.hasOwn(t.traceRoles, role) ? t.traceRoles[role as keyof Dictionary['traceRoles']] : role;
  const reportedAt = typeof data.at === 'string' ? data.at : undefined;
  return (
    <article data-testid="trace-step" data-event={event} aria-labelledby={`trace-step-${step.index}`}>
      <h3 id={`trace-step-${step.index}`} className="!m-0 text-base font-semibold">
        {Object.hasOwn(t.traceEvents, event) ? t.traceEvents[event as keyof Dictionary['traceEvents']] : event}
      </h3>
      <p className="m-0" data-testid="trace-step-actor">
        {t.traceBy(step.signerName, roleLabel)}
      </p>
      {reportedAt !== undefined && (
        <p className="m-0 text-gray-700">
          {t.traceReportedAt}
          <time dateTime={reportedAt}>{formatTime(reportedAt, language)}</time>
        </p>
      )}
      <div className="my-1 flex flex-wrap items-center gap-2">
        <Tag variant="solid" color={VERIFIED} data-testid="trace-step-verified" title={t.traceSignatureHelp}>
          ✓ {t.traceSignatureVerified}
        </Tag>
        <span className="text-gray-700">{t.traceOnChain(step.block, formatTime(step.blockTime, language))}</span>
      </div>
      {step.signerRevokedAt !== null && (
        <p className="m-0 text-amber-800">{t.traceRevokedLater(step.signerRevokedAt)}</p>
      )}
      <StepDetails data={data} t={t} language={language} />
    </article>
  );
}

function History({ lookup, t, language }: { lookup: Found; t: Dictionary; language: string }) {
  if (lookup.steps.length === 0 && lookup.invalid.length === 0) {
    return (
      <Alert
        type="info"
        showIcon
        data-testid="trace-nothing"
        title={t.traceNothing}
        description={t.traceNothingDetail}
      />
    );
  }
  return (
    <div className="flex flex-col gap-4">
      {lookup.steps.length > 0 && (
        <section aria-labelledby="trace-history-title">
          <Card
            title={
              <h2 id="trace-history-title" className="!m-0 text-lg">
                {t.traceHistoryTitle}
              </h2>
            }
            extra={<span data-testid="trace-step-count">{t.traceHistoryCount(lookup.steps.length)}</span>}
          >
            <Timeline
              items={lookup.steps.map((step) => ({
                key: step.index,
                color: VERIFIED,
                content: <Step step={step} t={t} language={language} />,
              }))}
            />
            <p className="mb-0 mt-2 text-gray-700">{t.traceProofNote}</p>
          </Card>
        </section>
      )}
      {lookup.invalid.length > 0 && (
        <Alert
          type="warning"
          showIcon
          data-testid="trace-invalid"
          title={t.traceInvalidTitle(lookup.invalid.length)}
          description={
            <>
              <p className="m-0">{t.traceInvalidDetail}</p>
              <ul className="m-0 pl-5">
                {lookup.invalid.map((step) => (
                  <li key={step.index}>
                    {t.traceInvalidStep(step.index, step.block, t.traceInvalidReasons[step.reason])}
                  </li>
                ))}
              </ul>
            </>
          }
        />
      )}
    </div>
  );
}

/**
 * The public trace lookup: no login. A trace code is a secret, so the field never shows it (not
 * even while typing), has no name (a form that submitted itself would carry nothing), is not
 * remembered by the browser, and is emptied as soon as the lookup starts; only the public id the
 * page computes from it is sent. A code scanned from the box's QR code goes to the same lookup,
 * which never shows it either.
 */
export function TraceLookup() {
  const { language, t } = useLanguage();
  const [code, setCode] = useState('');
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'idle' });
  const resultRef = useRef<HTMLDivElement>(null);
  const inputId = useId();
  const helpId = useId();
  useEffect(() => void loadTraceIdModule().catch(() => undefined), []);

  const lookUp = (typed: string) => {
    setCode('');
    let normalized: string;
    try {
      normalized = normalizeTraceCode(typed);
    } catch (error) {
      if (!(error instanceof CryptoError)) throw error;
      setOutcome({ kind: 'badCode', message: badCodeMessage(error, t) });
      return;
    }
    setOutcome({ kind: 'loading' });
    lookUpTrace(normalized).then(
      (lookup) => setOutcome({ kind: 'found', lookup }),
      (error: unknown) => setOutcome({ kind: 'failed', why: error instanceof Error ? error.message : String(error) }),
    );
  };
  useEffect(() => {
    if (outcome.kind !== 'idle' && outcome.kind !== 'loading') resultRef.current?.focus();
  }, [outcome]);
  const onSubmit = (event: SyntheticEvent) => {
    event.preventDefault();
    lookUp(code);
  };

  return (
    <div className="flex flex-col gap-6">
      <div>
        <Typography.Title level={1} className="!mb-1">
          {t.traceTitle}
        </Typography.Title>
        <Typography.Paragraph className="!mb-0 max-w-3xl">{t.traceIntro}</Typography.Paragraph>
      </div>
      <Card>
        <form onSubmit={onSubmit} autoComplete="off" className="flex flex-col gap-2" data-testid="trace-form">
          <label htmlFor={inputId} className="font-medium">
            {t.traceCodeLabel}
          </label>
          <div className="flex flex-wrap items-center gap-2">
            <Input.Password
              id={inputId}
              data-testid="trace-code"
              className="!w-full sm:!w-[28rem]"
              value={code}
              onChange={(event) => setCode(event.target.value.slice(0, MAX_TYPED))}
              maxLength={MAX_TYPED}
              visibilityToggle={false}
              autoComplete="off"
              spellCheck={false}
              autoCapitalize="characters"
              aria-describedby={helpId}
            />
            <Button type="primary" htmlType="submit" loading={outcome.kind === 'loading'} data-testid="trace-submit">
              {outcome.kind === 'loading' ? t.traceLookingUp : t.traceLookUp}
            </Button>
          </div>
          <span id={helpId} className="text-gray-700">
            {t.traceCodeHelp}
          </span>
          <QrScanner secret onValue={lookUp} />
        </form>
      </Card>
      <div ref={resultRef} tabIndex={-1} aria-live="polite" data-testid="trace-result" className="outline-none">
        {outcome.kind === 'badCode' && (
          <Alert type="error" showIcon data-testid="trace-bad-code" title={outcome.message} />
        )}
        {outcome.kind === 'failed' && (
          <Alert type="error" showIcon data-testid="trace-failed" title={t.traceFailed(outcome.why)} />
        )}
        {outcome.kind === 'found' && <History lookup={outcome.lookup} t={t} language={HTML_LANG[language]} />}
      </div>
    </div>
  );
}

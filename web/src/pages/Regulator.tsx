import { useState } from 'react';
import { Alert, Button, Descriptions, Input, Space, Table, Tag, Typography } from 'antd';
import { bytesToHex } from '@noble/hashes/utils.js';
import { CryptoError } from '../../../core/crypto/errors';
import { messageKeyProblem } from '../../../core/audit/message-audit';
import { QrScanner } from '../components/QrScanner';
import { loadTraceIdModule } from '../trace/lookup';
import { HTML_LANG, useLanguage, type Dictionary } from '../i18n';
import {
  AuditApiError,
  CREDENTIAL,
  fetchReport,
  ID,
  reportFile,
  verify,
  verifyMessage,
  type AuditAnswer,
  type MessageAnswer,
  type AuditReport,
  type Verdict,
} from '../regulator-api';
import { Panel } from './Operator';

/** Session storage only: gone with the tab, never in localStorage, a URL or a cookie. */
const STORAGE_KEY = 'yilian.regulator.credential';
const DAY_MS = 24 * 60 * 60 * 1000;
/** Solid tags with white text (contrast above 4.5:1), each with its own symbol and word. */
const VERDICT_STYLE = {
  PASS: { color: '#15803d', symbol: '✓' },
  FAIL: { color: '#b91c1c', symbol: '✗' },
  SKIP: { color: '#4b5563', symbol: '–' },
} as const;
const heading = (text: string) => <span className="whitespace-nowrap">{text}</span>;

/** A `datetime-local` value (local time, minutes) for a moment. */
const localInput = (time: Date) => {
  const local = new Date(time.getTime() - time.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
};

type Outcome<T> =
  | { kind: 'idle' }
  | { kind: 'busy' }
  | { kind: 'done'; value: T }
  | { kind: 'failed'; message: (t: Dictionary) => string };

/**
 * The audit API for a regulator: sign in with the credential `yilian org issue` gave, verify a
 * record or a trace by id or a hospital's message by its key, read a period's report and download it. Integrity, authorship and
 * timing only: the API has no patient content to give, and a trace code is never asked for.
 */
export function Regulator() {
  const { language, t } = useLanguage();
  const [credential, setCredential] = useState(() => sessionStorage.getItem(STORAGE_KEY) ?? '');
  const [record, setRecord] = useState<Outcome<AuditAnswer>>({ kind: 'idle' });
  const [trace, setTrace] = useState<Outcome<AuditAnswer>>({ kind: 'idle' });
  const [message, setMessage] = useState<Outcome<MessageAnswer>>({ kind: 'idle' });
  const [messageKey, setMessageKey] = useState('');
  const [report, setReport] = useState<Outcome<AuditReport>>({ kind: 'idle' });
  const [recordId, setRecordId] = useState('');
  const [period, setPeriod] = useState(() => ({
    from: localInput(new Date(Date.now() - DAY_MS)),
    to: localInput(new Date()),
  }));
  const time = (iso: string) => new Date(iso).toLocaleString(HTML_LANG[language]);

  /** A failure in the language shown when it is read (the engine's own words stay as sent). */
  const problem =
    (error: unknown) =>
    (t: Dictionary): string =>
      error instanceof AuditApiError && (error.status === 401 || error.status === 403)
        ? t.regRefused(error.message)
        : t.regFailed(error instanceof Error ? error.message : String(error));
  async function run<T>(set: (outcome: Outcome<T>) => void, work: () => Promise<T>) {
    set({ kind: 'busy' });
    try {
      set({ kind: 'done', value: await work() });
    } catch (error) {
      set({ kind: 'failed', message: problem(error) });
    }
  }
  const verifyRecord = (id: string) => {
    setRecordId(id);
    if (!ID.test(id.trim())) {
      setRecord({ kind: 'failed', message: (t) => t.regIdMalformed });
      return;
    }
    void run(setRecord, () => verify('record', id.trim(), credential));
  };
  const verifyMessageKey = () => {
    const key = messageKey.trim();
    if (messageKeyProblem(key)) {
      setMessage({ kind: 'failed', message: (t) => t.regMessageMalformed });
      return;
    }
    void run(setMessage, () => verifyMessage(key, credential));
  };
  /** An id is audited as it is; a printed code is turned into its public id here, and only the id is sent. */
  const verifyTrace = async (value: string) => {
    let id = value;
    if (!ID.test(value)) {
      try {
        id = `0x${bytesToHex((await loadTraceIdModule())(value))}`;
      } catch (error) {
        setTrace({ kind: 'failed', message: error instanceof CryptoError ? (t) => t.regTraceNeither : problem(error) });
        return;
      }
    }
    void run(setTrace, () => verify('trace', id, credential));
  };
  const periodDates = () => ({ from: new Date(period.from), to: new Date(period.to) });
  const download = async (format: 'json' | 'fhir') => {
    const { from, to } = periodDates();
    try {
      const blob = await reportFile(from, to, format, credential);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `yilian-audit-report-${period.from}-${period.to}${format === 'fhir' ? '.fhir' : ''}.json`.replace(
        /:/g,
        '',
      );
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      setReport({ kind: 'failed', message: problem(error) });
    }
  };
  const signOut = () => {
    sessionStorage.removeItem(STORAGE_KEY);
    setCredential('');
    for (const reset of [setRecord, setTrace]) reset({ kind: 'idle' });
    setMessage({ kind: 'idle' });
    setReport({ kind: 'idle' });
    setRecordId('');
    setMessageKey('');
  };

  return (
    <div className="flex flex-col gap-6">
      <div>
        <Typography.Title level={1} className="!mb-1">
          {t.regTitle}
        </Typography.Title>
        <Typography.Paragraph className="!mb-0">{t.regIntro}</Typography.Paragraph>
      </div>

      {credential === '' ? (
        <SignIn
          t={t}
          onCredential={(value) => {
            sessionStorage.setItem(STORAGE_KEY, value);
            setCredential(value);
          }}
        />
      ) : (
        <>
          <Alert
            type="info"
            showIcon
            title={t.regSignedIn}
            action={
              <Button onClick={signOut} data-testid="sign-out">
                {t.regSignOut}
              </Button>
            }
          />

          <Panel id="verify-record" title={t.regRecordTitle}>
            <IdForm
              id="record-id"
              label={t.regRecordLabel}
              value={recordId}
              onChange={setRecordId}
              busy={record.kind === 'busy'}
              onSubmit={() => verifyRecord(recordId)}
              t={t}
            />
            <Verdicts outcome={record} kind="record" t={t} />
          </Panel>

          <Panel id="verify-message" title={t.regMessageTitle}>
            <Typography.Paragraph>{t.regMessageHelp}</Typography.Paragraph>
            <IdForm
              id="message-key"
              label={t.regMessageLabel}
              value={messageKey}
              onChange={setMessageKey}
              busy={message.kind === 'busy'}
              onSubmit={verifyMessageKey}
              t={t}
            />
            <MessageVerdicts outcome={message} t={t} />
          </Panel>

          <Panel id="verify-trace" title={t.regTraceTitle}>
            <Typography.Paragraph>{t.regTraceHelp}</Typography.Paragraph>
            <QrScanner secret label={t.regTraceLabel} onValue={(value) => void verifyTrace(value.trim())} />
            <Verdicts outcome={trace} kind="trace" t={t} />
          </Panel>

          <Panel id="report" title={t.regReportTitle}>
            <form
              className="flex flex-wrap items-end gap-4"
              onSubmit={(event) => {
                event.preventDefault();
                const { from, to } = periodDates();
                void run(setReport, () => fetchReport(from, to, credential));
              }}
            >
              {(['from', 'to'] as const).map((end) => (
                <div key={end} className="flex flex-col gap-1">
                  <label htmlFor={`report-${end}`}>{end === 'from' ? t.regFrom : t.regTo}</label>
                  <Input
                    id={`report-${end}`}
                    type="datetime-local"
                    required
                    value={period[end]}
                    onChange={(event) => setPeriod({ ...period, [end]: event.target.value })}
                    data-testid={`report-${end}`}
                  />
                </div>
              ))}
              <Button type="primary" htmlType="submit" loading={report.kind === 'busy'} data-testid="show-report">
                {t.regShowReport}
              </Button>
              <Button onClick={() => void download('json')} data-testid="download-json">
                {t.regDownloadJson}
              </Button>
              <Button onClick={() => void download('fhir')} data-testid="download-fhir">
                {t.regDownloadFhir}
              </Button>
            </form>
            {report.kind === 'failed' && <Alert className="!mt-4" type="error" showIcon title={report.message(t)} />}
            {report.kind === 'done' && (
              <Report
                report={report.value}
                t={t}
                time={time}
                onVerify={(id) => {
                  verifyRecord(id);
                  // the verdicts appear in the panel above: take the reader there
                  document.getElementById('verify-record-title')?.scrollIntoView({ block: 'start' });
                }}
              />
            )}
          </Panel>
        </>
      )}
    </div>
  );
}

/** An id or key to verify: its field (test id `id`) and the Verify button (`verify-<what the id names>`). */
function IdForm(props: {
  id: 'record-id' | 'message-key';
  label: string;
  value: string;
  onChange: (value: string) => void;
  busy: boolean;
  onSubmit: () => void;
  t: Dictionary;
}) {
  return (
    <form
      className="flex flex-col gap-1"
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit();
      }}
    >
      <label htmlFor={props.id}>{props.label}</label>
      <Space.Compact className="w-full max-w-3xl">
        <Input
          id={props.id}
          value={props.value}
          onChange={(event) => props.onChange(event.target.value)}
          spellCheck={false}
          autoComplete="off"
          className="font-mono"
          data-testid={props.id}
        />
        <Button
          type="primary"
          htmlType="submit"
          loading={props.busy}
          data-testid={props.id === 'record-id' ? 'verify-record' : 'verify-message'}
        >
          {props.t.regVerify}
        </Button>
      </Space.Compact>
    </form>
  );
}

function SignIn({ t, onCredential }: { t: Dictionary; onCredential: (value: string) => void }) {
  const [value, setValue] = useState('');
  const [malformed, setMalformed] = useState(false);
  return (
    <Panel id="sign-in" title={t.regSignInTitle}>
      <form
        className="flex flex-col gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          const credential = value.trim();
          if (!CREDENTIAL.test(credential)) {
            setMalformed(true);
            return;
          }
          setValue('');
          onCredential(credential);
        }}
      >
        <label htmlFor="credential">{t.regCredentialLabel}</label>
        <Space.Compact className="w-full max-w-2xl">
          <Input.Password
            id="credential"
            value={value}
            onChange={(event) => {
              setValue(event.target.value);
              setMalformed(false);
            }}
            autoComplete="off"
            aria-describedby="credential-help"
            aria-invalid={malformed}
            data-testid="credential"
          />
          <Button type="primary" htmlType="submit" data-testid="sign-in">
            {t.regSignIn}
          </Button>
        </Space.Compact>
        <Typography.Text id="credential-help" type="secondary">
          {t.regCredentialHelp}
        </Typography.Text>
        {malformed && <Alert type="error" showIcon title={t.regCredentialMalformed} />}
      </form>
    </Panel>
  );
}

/** A message's audit: once anchored, its record and the verdicts; before, where it is, in the engine's words. */
function MessageVerdicts({ outcome, t }: { outcome: Outcome<MessageAnswer>; t: Dictionary }) {
  if (outcome.kind !== 'done') return <Verdicts outcome={outcome} kind="message" t={t} />;
  const answer = outcome.value;
  if (answer.state === 'anchored')
    return (
      <>
        <Typography.Paragraph className="!mb-0 !mt-4 break-all" data-testid="message-record">
          {t.regMessageRecord(answer.recordId)}
        </Typography.Paragraph>
        <Verdicts outcome={{ kind: 'done', value: answer }} kind="message" t={t} />
      </>
    );
  return (
    <Alert
      className="!mt-4"
      type={answer.state === 'ended' ? 'error' : 'info'}
      showIcon
      data-testid="message-state"
      data-state={answer.state}
      title={t.regMessageStates[answer.state]}
      description={
        <div className="flex flex-col gap-1">
          <span className="break-words">{answer.detail}</span>
          <span>
            {t.regMessageRun}:{' '}
            <code className="break-all">
              {answer.run.workflowId}
              {answer.run.runId ? ` / ${answer.run.runId}` : ''}
            </code>
          </span>
        </div>
      }
    />
  );
}

function Verdicts({
  outcome,
  kind,
  t,
}: {
  outcome: Outcome<Pick<AuditAnswer, 'holds' | 'verdicts'>>;
  kind: 'record' | 'trace' | 'message';
  t: Dictionary;
}) {
  if (outcome.kind === 'idle' || outcome.kind === 'busy')
    return outcome.kind === 'busy' ? <p className="mt-4">{t.regVerifying}</p> : null;
  if (outcome.kind === 'failed')
    return <Alert className="!mt-4" type="error" showIcon title={outcome.message(t)} data-testid={`${kind}-problem`} />;
  const { holds, verdicts } = outcome.value;
  // a message's verdicts are its own check, then its record's
  const meanings: Record<string, string> =
    kind === 'message' ? { ...t.regChecks.message, ...t.regChecks.record } : t.regChecks[kind];
  return (
    <div className="mt-4 flex flex-col gap-3" data-testid={`${kind}-verdicts`} data-holds={String(holds)}>
      <Alert type={holds ? 'success' : 'error'} showIcon title={holds ? t.regHolds : t.regFails} />
      <Table<Verdict>
        size="small"
        pagination={false}
        rowKey="check"
        scroll={{ x: true }}
        dataSource={verdicts}
        columns={[
          {
            title: heading(t.regCheck),
            dataIndex: 'check',
            render: (check: string) => <code className="whitespace-nowrap">{check}</code>,
          },
          {
            title: heading(t.regVerdict),
            dataIndex: 'status',
            render: (status: Verdict['status']) => (
              <Tag variant="solid" color={VERDICT_STYLE[status].color} data-testid="verdict" data-status={status}>
                <span aria-hidden="true">{VERDICT_STYLE[status].symbol} </span>
                {t.regStatus[status]}
              </Tag>
            ),
          },
          // wide enough that a sentence (Chinese above all) does not break every few characters
          {
            title: heading(t.regMeaning),
            key: 'meaning',
            width: '32%',
            render: (_, verdict) => meanings[verdict.check],
          },
          {
            title: heading(t.regDetail),
            dataIndex: 'detail',
            render: (detail: string) => <span className="break-words text-gray-700">{detail}</span>,
          },
        ]}
      />
      <Typography.Text type="secondary">{t.regStatusHelp}</Typography.Text>
    </div>
  );
}

function Report({
  report,
  t,
  time,
  onVerify,
}: {
  report: AuditReport;
  t: Dictionary;
  time: (iso: string) => string;
  onVerify: (id: string) => void;
}) {
  const counts = Object.entries(report.counts) as Array<[keyof AuditReport['counts'], number]>;
  const who = (identity: { name: string; role: string }) => `${identity.name} · ${identity.role}`;
  const refused = Object.entries(report.refusedByType).flatMap(([workflowType, categories]) =>
    Object.entries(categories).map(([category, count]) => ({
      key: `${workflowType}/${category}`,
      workflowType,
      category,
      count,
    })),
  );
  const subheading = (text: string) => <h3 className="!mt-4 text-base font-semibold">{text}</h3>;
  return (
    <div className="mt-4 flex flex-col gap-2" data-testid="report">
      <Typography.Text>
        {t.regReportPeriod(time(report.period.from), time(report.period.to))} ·{' '}
        {report.blocks ? t.regBlocks(report.blocks.first, report.blocks.last) : t.regNoBlocks}
      </Typography.Text>
      {!report.intake.reachable && <Alert type="warning" showIcon title={t.regIntakeUnreachable} />}
      <Descriptions
        data-testid="report-counts"
        size="small"
        bordered
        column={{ xs: 1, sm: 2, lg: 4 }}
        items={counts.map(([key, count]) => ({
          key,
          label: t.regCounts[key],
          children: <span data-testid={`count-${key}`}>{count}</span>,
        }))}
      />
      {subheading(t.regAnchored)}
      <Table
        size="small"
        rowKey="recordId"
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: true }}
        dataSource={report.anchored}
        columns={[
          {
            title: heading(t.regTime),
            dataIndex: 'time',
            render: (at: string) => <span className="whitespace-nowrap">{time(at)}</span>,
          },
          { title: heading(t.regAuthor), dataIndex: 'author', render: who },
          {
            title: heading(t.regRecordId),
            dataIndex: 'recordId',
            render: (id: string) => <code className="break-all">{id}</code>,
          },
          {
            title: '',
            key: 'verify',
            render: (_, row) => (
              <Button
                size="small"
                onClick={() => onVerify(row.recordId)}
                aria-label={`${t.regVerifyThis} ${row.recordId}`}
              >
                {t.regVerifyThis}
              </Button>
            ),
          },
        ]}
      />
      {subheading(t.regTraced)}
      <Table
        size="small"
        rowKey="transaction"
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: true }}
        dataSource={report.traced}
        columns={[
          {
            title: heading(t.regTime),
            dataIndex: 'time',
            render: (at: string) => <span className="whitespace-nowrap">{time(at)}</span>,
          },
          { title: heading(t.regSender), dataIndex: 'sender', render: who },
          {
            title: heading(t.regSteps),
            dataIndex: 'steps',
            align: 'right',
            render: (steps: unknown[]) => steps.length,
          },
        ]}
      />
      {subheading(t.regIdentities)}
      <Table
        size="small"
        rowKey="transaction"
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: true }}
        dataSource={report.identities}
        columns={[
          {
            title: heading(t.regTime),
            dataIndex: 'time',
            render: (at: string) => <span className="whitespace-nowrap">{time(at)}</span>,
          },
          {
            title: heading(t.regEvent),
            dataIndex: 'event',
            render: (event: 'registered' | 'revoked') => t.regEvents[event],
          },
          { title: heading(t.regRole), dataIndex: 'role' },
          { title: heading(t.regName), dataIndex: 'name', render: (name?: string) => name ?? t.regPatientUnnamed },
        ]}
      />
      {refused.length > 0 && (
        <>
          {subheading(t.regRefusedTitle)}
          <Table
            size="small"
            pagination={false}
            dataSource={refused}
            columns={[
              { title: heading(t.regWorkflow), dataIndex: 'workflowType' },
              { title: heading(t.regCategory), dataIndex: 'category' },
              { title: heading(t.regCount), dataIndex: 'count', align: 'right' },
            ]}
          />
        </>
      )}
    </div>
  );
}

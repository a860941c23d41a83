import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Descriptions, Form, Input, List, Tag, Typography } from 'antd';
import { ActionResult, type Outcome } from '../components/ActionResult';
import type { Wallet as WalletKeys } from '../../../wallet/wallet.js';
import { granteeCard, GranteeCardError, parseGranteeCard } from '../../../wallet/grantee-card.js';
import { QrCode } from '../components/QrCode';
import { QrScanner } from '../components/QrScanner';
import { RecordView } from '../components/RecordView';
import { useLanguage } from '../i18n';
import type { EngineLink, EngineList } from '../../../wallet/engine-list.js';
import {
  byline,
  grantRecord,
  readWalletTimeline,
  type ReceivedItem,
  type Timeline,
  type TimelineEntry,
  type TimelineProblem,
} from '../wallet/records';
import { EngineSelect, useEngineChoice } from './WalletEngines';
import { publishMorePrekeys } from '../wallet/engines';
import { Panel as Section } from './Operator';

const MORE_PREKEYS = 20;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
/** HL7 v2 starts with its MSH segment; anything else the engine anchors is FHIR JSON. */
const contentTypeOf = (text: string) => (text.startsWith('MSH') ? 'application/hl7-v2' : 'application/fhir+json');

interface GrantValues {
  grantee: string;
  granteeKey: string;
  engine: string;
}

/**
 * One of this wallet's own records to one grantee, with the key the grantee made for it, sent to
 * one of the wallet's engines: the grantee's, which delivers it to them, or by default the one that
 * delivered the record.
 */
function GrantForm(props: {
  wallet: WalletKeys;
  engines: readonly EngineLink[];
  entry: TimelineEntry & { item: Extract<ReceivedItem, { kind: 'record' }> };
}) {
  const { t } = useLanguage();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Outcome<{ name: string }>>();
  const [card, setCard] = useState<{ ok: true } | { ok: false; error: string }>();
  const [form] = Form.useForm<GrantValues>();
  const takeCard = (text: string) => {
    try {
      const { account, granteeKey } = parseGranteeCard(text);
      form.setFieldsValue({ grantee: account, granteeKey });
      setCard({ ok: true });
    } catch (error) {
      if (!(error instanceof GranteeCardError)) throw error;
      setCard({ ok: false, error: error.message });
    }
  };
  const submit = async (values: GrantValues) => {
    setBusy(true);
    setResult(undefined);
    try {
      const granted = await grantRecord(
        props.wallet,
        values.engine,
        props.entry.item,
        values.grantee,
        values.granteeKey,
      );
      setResult({ ok: true, name: granted.granteeName });
    } catch (error) {
      setResult({ ok: false, error: messageOf(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Form
      form={form}
      layout="vertical"
      className="mt-3"
      disabled={busy}
      initialValues={{ engine: props.entry.engine.apiUrl }}
      onFinish={(values: GrantValues) => void submit(values)}
    >
      <Typography.Title level={3} className="!mb-3 border-t border-gray-200 pt-4 !text-base">
        {t.grantRecord}
      </Typography.Title>
      <div className="mb-4" data-testid="grant-card">
        <QrScanner label={t.granteeCardScan} onValue={takeCard} />
        <div aria-live="polite" className="mt-2">
          {card?.ok === true && <Alert type="info" showIcon title={t.granteeCardTaken} />}
          {card?.ok === false && <Alert type="error" showIcon title={t.granteeCardInvalid(card.error)} />}
        </div>
      </div>
      <Form.Item
        name="grantee"
        label={t.granteeAccount}
        rules={[{ required: true, pattern: /^\s*0x[0-9a-fA-F]{40}\s*$/, message: t.granteeAccountInvalid }]}
      >
        <Input autoComplete="off" spellCheck={false} className="font-mono" data-testid="grant-account" />
      </Form.Item>
      <Form.Item
        name="granteeKey"
        label={t.granteeKey}
        extra={t.granteeKeyHelp}
        rules={[{ required: true, pattern: /^\s*0x[0-9a-fA-F]{192}\s*$/, message: t.granteeKeyInvalid }]}
      >
        <Input.TextArea autoComplete="off" spellCheck={false} rows={3} className="font-mono" data-testid="grant-key" />
      </Form.Item>
      <Form.Item name="engine" label={t.grantEngine} extra={t.grantEngineHelp}>
        <EngineSelect engines={props.engines} testId="grant-engine" />
      </Form.Item>
      <Button type="primary" htmlType="submit" loading={busy} data-testid="grant-submit">
        {t.grantButton}
      </Button>
      <ActionResult testId="grant-result" result={result} success={(done) => t.granted(done.name)} />
    </Form>
  );
}

const isOwnRecord = (
  entry: TimelineEntry,
): entry is TimelineEntry & { item: Extract<ReceivedItem, { kind: 'record' }> } => entry.item.kind === 'record';

/** One verified record: who wrote it and at which hospital (by the Directory), and which engine delivered it. */
function Entry(props: { wallet: WalletKeys; engines: readonly EngineLink[]; entry: TimelineEntry }) {
  const { t } = useLanguage();
  const { entry } = props;
  const { record, item, engine } = entry;
  const [shown, setShown] = useState(false);
  const [granting, setGranting] = useState(false);
  return (
    <List.Item
      className="!block"
      data-testid="timeline-entry"
      data-record-id={record.recordId}
      data-engine={engine.apiUrl}
    >
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <Tag>{item.kind === 'record' ? t.kindRecord : t.kindGrant}</Tag>
        <strong data-testid="entry-byline">{byline(record)}</strong>
        <span className="text-gray-700" data-testid="entry-engine">
          {t.recordVia(engine.name)}
        </span>
        <span className="text-gray-700">{t.inBlock(record.createdAt)}</span>
      </div>
      <code className="mt-1 block text-xs break-all text-gray-700">{record.recordId}</code>
      <div className="mt-2 flex flex-wrap gap-3">
        <Button onClick={() => setShown(!shown)} aria-expanded={shown} data-testid="entry-show">
          {shown ? t.hideRecord : t.showRecord}
        </Button>
        {isOwnRecord(entry) && (
          <Button onClick={() => setGranting(!granting)} aria-expanded={granting} data-testid="entry-grant">
            {t.grantRecord}
          </Button>
        )}
      </div>
      {shown && (
        <div className="mt-3 flex flex-col gap-3" data-testid="entry-record">
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label={t.verifiedAuthor}>
              <span data-testid="record-author">{t.signedBy(byline(record), record.author.address)}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t.deliveredBy}>
              {engine.name} ({engine.apiUrl})
            </Descriptions.Item>
            <Descriptions.Item label={t.anchoredInBlock}>{record.createdAt}</Descriptions.Item>
          </Descriptions>
          <RecordView text={record.record} contentType={contentTypeOf(record.record)} />
        </div>
      )}
      {granting && isOwnRecord(entry) && <GrantForm wallet={props.wallet} engines={props.engines} entry={entry} />}
    </List.Item>
  );
}

/** What the wallet would not show, said plainly: an engine it could not read, an item that did not verify. */
function Problem(props: { problem: TimelineProblem }) {
  const { t } = useLanguage();
  const { problem } = props;
  const whole = problem.item === undefined;
  return (
    <Alert
      type={whole ? 'warning' : 'error'}
      showIcon
      data-testid="timeline-problem"
      data-engine={problem.engine.apiUrl}
      data-step={problem.step}
      title={
        whole ? t.problemEngine(problem.engine.name) : t.problemItem(problem.engine.name, t.problemSteps[problem.step])
      }
      description={<span className="break-all">{problem.message}</span>}
    />
  );
}

/**
 * One timeline across every engine the wallet is enrolled with: records anchored for it and granted
 * to it, each opened and verified in this browser before it is shown, and each problem said.
 */
export function TimelineSection(props: { wallet: WalletKeys; engines: readonly EngineLink[]; list: EngineList }) {
  const { t } = useLanguage();
  const { wallet, list } = props;
  const [timeline, setTimeline] = useState<Timeline>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const refresh = useCallback(async () => {
    setBusy(true);
    setError(undefined);
    try {
      setTimeline(await readWalletTimeline(wallet, list));
    } catch (cause) {
      setError(messageOf(cause));
    } finally {
      setBusy(false);
    }
  }, [wallet, list]);
  // read once the wallet has engines, and again when one is added
  const count = props.engines.length;
  useEffect(() => {
    if (count > 0) void refresh();
  }, [count, refresh]);
  return (
    <Section id="timeline" title={t.timelineTitle}>
      <Typography.Paragraph>{t.timelineHelp}</Typography.Paragraph>
      <Button onClick={() => void refresh()} loading={busy} disabled={count === 0} data-testid="timeline-refresh">
        {t.timelineRefresh}
      </Button>
      {count === 0 && <Typography.Paragraph className="!mt-3 !mb-0">{t.timelineNoEngine}</Typography.Paragraph>}
      {error !== undefined && <Alert className="!mt-3" type="error" showIcon title={t.failed(error)} />}
      {timeline && (
        <div data-testid="timeline" data-busy={busy}>
          {timeline.problems.length > 0 && (
            <div className="mt-3 flex flex-col gap-2">
              {timeline.problems.map((problem) => (
                <Problem key={`${problem.engine.apiUrl}:${problem.item?.seq ?? ''}`} problem={problem} />
              ))}
            </div>
          )}
          <List
            className="!mt-3"
            locale={{ emptyText: t.timelineEmpty }}
            dataSource={timeline.entries}
            rowKey={(entry) => `${entry.engine.apiUrl}:${entry.item.seq}`}
            renderItem={(entry) => <Entry wallet={wallet} engines={props.engines} entry={entry} />}
          />
        </div>
      )}
    </Section>
  );
}

/** A doctor's (or pharmacist's) one-time key to receive one grant; the secret stays in this wallet. */
export function GranteeKeySection(props: { wallet: WalletKeys }) {
  const { t } = useLanguage();
  const [key, setKey] = useState<`0x${string}`>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const make = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setKey((await props.wallet.newGranteeKey()).publicKey);
    } catch (cause) {
      setError(messageOf(cause));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section id="grantee-key" title={t.granteeKeyTitle}>
      <Typography.Paragraph>{t.granteeKeyIntro}</Typography.Paragraph>
      <Button onClick={() => void make()} loading={busy} data-testid="grantee-key-new">
        {t.granteeKeyNew}
      </Button>
      {key && (
        <div className="!mt-3">
          <QrCode
            value={granteeCard({ account: props.wallet.identity.address, granteeKey: key })}
            label={t.granteeCardLabel}
          />
        </div>
      )}
      {key && (
        <Descriptions className="!mt-3" column={1} bordered size="small">
          <Descriptions.Item label={t.address}>
            <Typography.Text code copyable data-testid="grantee-account">
              {props.wallet.identity.address}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t.granteeKey}>
            <Typography.Text code copyable className="break-all" data-testid="grantee-key">
              {key}
            </Typography.Text>
          </Descriptions.Item>
        </Descriptions>
      )}
      {error !== undefined && <Alert className="!mt-3" type="error" showIcon title={t.failed(error)} />}
    </Section>
  );
}

/** More one-time prekeys for a patient, to one engine alone: each record a hospital anchors uses one up. */
export function PrekeysSection(props: {
  wallet: WalletKeys;
  engines: readonly EngineLink[];
  list: EngineList;
  onChange: () => void;
}) {
  const { t } = useLanguage();
  const [busy, setBusy] = useState(false);
  const [engine, setChosen] = useEngineChoice(props.engines);
  const [result, setResult] = useState<Outcome<{ unclaimed: number }>>();
  const publish = async () => {
    if (engine === undefined) return;
    setBusy(true);
    setResult(undefined);
    try {
      setResult({ ok: true, ...(await publishMorePrekeys(props.list, props.wallet, engine, MORE_PREKEYS)) });
    } catch (error) {
      setResult({ ok: false, error: messageOf(error) });
    } finally {
      props.onChange();
      setBusy(false);
    }
  };
  return (
    <Section id="prekeys" title={t.prekeysTitle}>
      <Typography.Paragraph>{t.prekeysHelp}</Typography.Paragraph>
      <div className="flex flex-wrap items-center gap-3">
        <label htmlFor="prekeys-engine">{t.prekeysEngine}</label>
        <div className="min-w-72">
          <EngineSelect
            id="prekeys-engine"
            engines={props.engines}
            value={engine}
            onChange={setChosen}
            testId="prekeys-engine"
          />
        </div>
        <Button
          onClick={() => void publish()}
          loading={busy}
          disabled={engine === undefined}
          data-testid="prekeys-publish"
        >
          {t.prekeysPublish(MORE_PREKEYS)}
        </Button>
      </div>
      <ActionResult testId="prekeys-result" result={result} success={(done) => t.prekeysPublished(done.unclaimed)} />
    </Section>
  );
}

import { useState } from 'react';
import { Alert, Button, Descriptions, Form, Input, List, Tag, Typography } from 'antd';
import type { Wallet as WalletKeys } from '../../../wallet/wallet.js';
import { granteeCard, GranteeCardError, parseGranteeCard } from '../../../wallet/grantee-card.js';
import { QrCode } from '../components/QrCode';
import { QrScanner } from '../components/QrScanner';
import { RecordView } from '../components/RecordView';
import { useLanguage } from '../i18n';
import {
  byline,
  grantRecord,
  publishPrekeys,
  readInbox,
  readRecord,
  type OpenedRecord,
  type ReceivedItem,
} from '../wallet/records';
import { Panel as Section } from './Operator';

const MORE_PREKEYS = 20;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
/** HL7 v2 starts with its MSH segment; anything else the engine anchors is FHIR JSON. */
const contentTypeOf = (text: string) => (text.startsWith('MSH') ? 'application/hl7-v2' : 'application/fhir+json');

/** One of this wallet's own records to one grantee, with the key the grantee made for it. */
function GrantForm(props: { wallet: WalletKeys; item: Extract<ReceivedItem, { kind: 'record' }> }) {
  const { t } = useLanguage();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: true; name: string } | { ok: false; error: string }>();
  const [card, setCard] = useState<{ ok: true } | { ok: false; error: string }>();
  const [form] = Form.useForm<{ grantee: string; granteeKey: string }>();
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
  const submit = async (values: { grantee: string; granteeKey: string }) => {
    setBusy(true);
    setResult(undefined);
    try {
      const granted = await grantRecord(props.wallet, props.item, values.grantee, values.granteeKey);
      setResult({ ok: true, name: granted.granteeName });
    } catch (error) {
      setResult({ ok: false, error: messageOf(error) });
    } finally {
      setBusy(false);
    }
  };
  const prefix = `grant-${props.item.seq}`;
  return (
    <Form
      form={form}
      layout="vertical"
      className="mt-3"
      disabled={busy}
      onFinish={(values: { grantee: string; granteeKey: string }) => void submit(values)}
    >
      <Typography.Title level={3} className="!mb-3 border-t border-gray-200 pt-4 !text-base">
        {t.grantRecord}
      </Typography.Title>
      <div className="mb-4" data-testid={`${prefix}-card`}>
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
        <Input autoComplete="off" spellCheck={false} className="font-mono" data-testid={`${prefix}-account`} />
      </Form.Item>
      <Form.Item
        name="granteeKey"
        label={t.granteeKey}
        extra={t.granteeKeyHelp}
        rules={[{ required: true, pattern: /^\s*0x[0-9a-fA-F]{192}\s*$/, message: t.granteeKeyInvalid }]}
      >
        <Input.TextArea
          autoComplete="off"
          spellCheck={false}
          rows={3}
          className="font-mono"
          data-testid={`${prefix}-key`}
        />
      </Form.Item>
      <Button type="primary" htmlType="submit" loading={busy} data-testid={`${prefix}-submit`}>
        {t.grantButton}
      </Button>
      <div aria-live="polite" className="mt-3" data-testid={`${prefix}-result`}>
        {result?.ok === true && <Alert type="success" showIcon title={t.granted(result.name)} />}
        {result?.ok === false && <Alert type="error" showIcon title={t.failed(result.error)} />}
      </div>
    </Form>
  );
}

function InboxItem(props: { wallet: WalletKeys; item: ReceivedItem }) {
  const { t } = useLanguage();
  const { item } = props;
  const [opened, setOpened] = useState<{ ok: true; record: OpenedRecord } | { ok: false; error: string }>();
  const [busy, setBusy] = useState(false);
  const [granting, setGranting] = useState(false);
  const open = async () => {
    setBusy(true);
    try {
      setOpened({ ok: true, record: await readRecord(props.wallet, item) });
    } catch (error) {
      setOpened({ ok: false, error: messageOf(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <List.Item className="!block" data-testid={`inbox-item-${item.seq}`}>
      <div className="flex flex-wrap items-center gap-3">
        <Tag>{item.kind === 'record' ? t.kindRecord : t.kindGrant}</Tag>
        <code className="text-sm break-all">{item.recordId}</code>
        <Button onClick={() => void open()} loading={busy} data-testid={`open-${item.seq}`}>
          {t.openRecord}
        </Button>
        {item.kind === 'record' && (
          <Button onClick={() => setGranting(!granting)} aria-expanded={granting} data-testid={`grant-${item.seq}`}>
            {t.grantRecord}
          </Button>
        )}
      </div>
      {opened?.ok === true && (
        <div className="mt-3 flex flex-col gap-3" data-testid={`record-${item.seq}`}>
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label={t.verifiedAuthor}>
              <span data-testid="record-author">{t.signedBy(byline(opened.record), opened.record.author.address)}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t.anchoredInBlock}>{opened.record.createdAt}</Descriptions.Item>
          </Descriptions>
          <RecordView text={opened.record.record} contentType={contentTypeOf(opened.record.record)} />
        </div>
      )}
      {opened?.ok === false && <Alert className="!mt-3" type="error" showIcon title={t.notVerified(opened.error)} />}
      {granting && item.kind === 'record' && <GrantForm wallet={props.wallet} item={item} />}
    </List.Item>
  );
}

/** Records anchored for this wallet and granted to it: fetched with a signed request, opened here. */
export function InboxSection(props: { wallet: WalletKeys }) {
  const { t } = useLanguage();
  const [items, setItems] = useState<ReceivedItem[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const refresh = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setItems(await readInbox(props.wallet));
    } catch (cause) {
      setError(messageOf(cause));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section id="inbox" title={t.inboxTitle}>
      <Typography.Paragraph>{t.inboxHelp}</Typography.Paragraph>
      <Button onClick={() => void refresh()} loading={busy} data-testid="inbox-refresh">
        {t.inboxRefresh}
      </Button>
      {error !== undefined && <Alert className="!mt-3" type="error" showIcon title={t.failed(error)} />}
      {items && (
        <List
          className="!mt-3"
          locale={{ emptyText: t.inboxEmpty }}
          dataSource={items}
          rowKey={(item) => String(item.seq)}
          renderItem={(item) => <InboxItem wallet={props.wallet} item={item} />}
        />
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

/** More one-time prekeys for a patient: each record a hospital anchors uses one up. */
export function PrekeysSection(props: { wallet: WalletKeys }) {
  const { t } = useLanguage();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: true; unclaimed: number } | { ok: false; error: string }>();
  const publish = async () => {
    setBusy(true);
    setResult(undefined);
    try {
      setResult({ ok: true, ...(await publishPrekeys(props.wallet, MORE_PREKEYS)) });
    } catch (error) {
      setResult({ ok: false, error: messageOf(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section id="prekeys" title={t.prekeysTitle}>
      <Typography.Paragraph>{t.prekeysHelp}</Typography.Paragraph>
      <Button onClick={() => void publish()} loading={busy} data-testid="prekeys-publish">
        {t.prekeysPublish(MORE_PREKEYS)}
      </Button>
      <div aria-live="polite" className="mt-3" data-testid="prekeys-result">
        {result?.ok === true && <Alert type="success" showIcon title={t.prekeysPublished(result.unclaimed)} />}
        {result?.ok === false && <Alert type="error" showIcon title={t.failed(result.error)} />}
      </div>
    </Section>
  );
}

import { useCallback, useEffect, useState } from 'react';
import { Button, Form, Input, List, Select, Tag, Typography } from 'antd';
import { ActionResult, type Outcome } from '../components/ActionResult';
import type { Wallet as WalletKeys } from '../../../wallet/wallet.js';
import { EngineNotAdded } from '../../../wallet/add-engine.js';
import { EngineRefusal } from '../../../wallet/engine-api.js';
import { LedgerError } from '../../../core/ledger/errors.js';
import { useLanguage, type Dictionary } from '../i18n';
import { addEngineHere, openEngineList, pageEngine, type EngineLink, type EngineList } from '../wallet/engines';
import { Panel as Section } from './Operator';

/** The wallet's engine list as the page shows it: re-read after every change the page makes. */
export interface Engines {
  list: EngineList;
  engines: readonly EngineLink[];
  changed: () => void;
}

/** This wallet's engine list from this browser; undefined while it is read, or if it could not be. */
export function useEngines(wallet: WalletKeys): { engines?: Engines; error?: string } {
  const [list, setList] = useState<EngineList>();
  const [engines, setEngines] = useState<readonly EngineLink[]>([]);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let stopped = false;
    setList(undefined);
    openEngineList(wallet)
      .then((opened) => {
        if (stopped) return;
        setList(opened);
        setEngines(opened.engines);
      })
      .catch((cause: unknown) => {
        if (!stopped) setError(cause instanceof Error ? cause.message : String(cause));
      });
    return () => {
      stopped = true;
    };
  }, [wallet]);
  const changed = useCallback(() => {
    if (list) setEngines(list.engines);
  }, [list]);
  return { engines: list ? { list, engines, changed } : undefined, error };
}

/** Why an engine was not added, in the reader's language where the page knows the reason. */
function notAdded(t: Dictionary, error: unknown): string {
  if (error instanceof EngineNotAdded)
    return error.reason === 'organisation' ? t.engineNotOrganisation : t.engineSelfNotRegistered;
  // its chain gateway (the first thing asked) or its prekey door did not answer
  if (error instanceof LedgerError && error.code === 'UNAVAILABLE') return t.engineUnreachable;
  if (error instanceof EngineRefusal && error.status === 0) return t.engineUnreachable;
  return error instanceof Error ? error.message : String(error);
}

/** A choice among the wallet's engines, each by its Directory name. */
export function EngineSelect(props: {
  engines: readonly EngineLink[];
  value?: string;
  onChange?: (apiUrl: string) => void;
  testId: string;
  id?: string;
}) {
  const { t } = useLanguage();
  return (
    <Select
      id={props.id}
      value={props.value}
      onChange={props.onChange}
      data-testid={props.testId}
      options={props.engines.map((engine) => ({
        value: engine.apiUrl,
        label: `${engine.name} (${engine.apiUrl})${engine.apiUrl === pageEngine() ? ` · ${t.engineThisPage}` : ''}`,
      }))}
    />
  );
}

/** The engine an action goes to: the one chosen in its EngineSelect, else the wallet's first. */
export function useEngineChoice(engines: readonly EngineLink[]): [string | undefined, (apiUrl: string) => void] {
  const [chosen, setChosen] = useState<string>();
  return [chosen ?? engines[0]?.apiUrl, setChosen];
}

interface AddValues {
  apiUrl: string;
  organisation: string;
}

/**
 * The organisations this wallet is enrolled with, by their engines, and the form to add one: its
 * API URL and its Directory account as the organisation gave them; its name is read from the
 * Directory. The page's own engine is offered first.
 */
export function EnginesSection(props: {
  wallet: WalletKeys;
  engines: Engines;
  /** An account to offer for this page's engine (a doctor's hospital, by the Directory). */
  suggestedOrganisation?: string;
}) {
  const { t } = useLanguage();
  const { list, engines, changed } = props.engines;
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Outcome<{ name: string; unclaimed: number | null }>>();
  const [form] = Form.useForm<AddValues>();
  const ownAdded = engines.some((engine) => engine.apiUrl === pageEngine());
  useEffect(() => {
    // the page's own engine first: the form is filled in for it until it is in the list
    if (!ownAdded) form.setFieldsValue({ apiUrl: pageEngine(), organisation: props.suggestedOrganisation ?? '' });
  }, [form, ownAdded, props.suggestedOrganisation]);
  const submit = async (values: AddValues) => {
    setBusy(true);
    setResult(undefined);
    try {
      const { link, unclaimed } = await addEngineHere(list, props.wallet, values);
      setResult({ ok: true, name: link.name, unclaimed });
      form.resetFields();
    } catch (error) {
      setResult({ ok: false, error: notAdded(t, error) });
    } finally {
      changed();
      setBusy(false);
    }
  };
  return (
    <Section id="engines" title={t.enginesTitle}>
      <Typography.Paragraph>{t.enginesHelp}</Typography.Paragraph>
      <List
        bordered
        size="small"
        locale={{ emptyText: t.enginesEmpty }}
        dataSource={[...engines]}
        rowKey={(engine) => engine.apiUrl}
        renderItem={(engine) => (
          <List.Item data-testid="engine" data-engine={engine.apiUrl}>
            <div className="flex flex-col gap-1">
              <div className="flex flex-wrap items-center gap-2">
                <strong data-testid="engine-name">{engine.name}</strong>
                {engine.apiUrl === pageEngine() && <Tag>{t.engineThisPage}</Tag>}
              </div>
              <span className="text-sm text-gray-700">
                {t.engineAt(engine.apiUrl)} · <code className="break-all">{engine.organisation}</code>
                {engine.prekeys.length > 0 && ` · ${t.enginePrekeys(engine.prekeys.length)}`}
              </span>
            </div>
          </List.Item>
        )}
      />
      <Form
        form={form}
        layout="vertical"
        className="!mt-4"
        disabled={busy}
        onFinish={(values: AddValues) => void submit(values)}
      >
        <Typography.Title level={3} className="!mb-3 !text-base">
          {ownAdded ? t.engineAddTitle : t.engineAddOwnTitle}
        </Typography.Title>
        <Form.Item
          name="apiUrl"
          label={t.engineApiUrl}
          rules={[
            { required: true, pattern: /^\s*https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?\s*$/, message: t.engineApiUrlInvalid },
          ]}
        >
          <Input autoComplete="off" spellCheck={false} className="font-mono" data-testid="engine-url" />
        </Form.Item>
        <Form.Item
          name="organisation"
          label={t.engineOrganisation}
          extra={t.engineOrganisationHelp}
          rules={[{ required: true, pattern: /^\s*0x[0-9a-fA-F]{40}\s*$/, message: t.organisationInvalid }]}
        >
          <Input autoComplete="off" spellCheck={false} className="font-mono" data-testid="engine-organisation" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} data-testid="engine-add">
          {t.engineAddButton}
        </Button>
      </Form>
      <ActionResult
        testId="engine-result"
        result={result}
        success={(added) => t.engineAdded(added.name, added.unclaimed)}
      />
    </Section>
  );
}

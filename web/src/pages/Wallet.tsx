import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Descriptions, Form, Input, Radio, Tag, Typography, Upload } from 'antd';
import { ActionResult, type Outcome } from '../components/ActionResult';
import type { Wallet as WalletKeys } from '../../../wallet/wallet.js';
import { REQUESTABLE_ROLES } from '../../../core/registration/request.js';
import { CryptoError } from '../../../core/crypto/errors.js';
import { Role } from '../../../core/roles.js';
import { useLanguage, type Dictionary } from '../i18n';
import { Panel as Section } from './Operator';
import { GranteeKeySection, PrekeysSection, TimelineSection } from './WalletRecords';
import { EngineSelect, EnginesSection, useEngineChoice, useEngines, type Engines } from './WalletEngines';
import { directoryEntry } from '../wallet/records';
import { EngineRefusal, redeemEnrolmentCode } from '../../../wallet/engine-api.js';
import type { DirectoryEntry } from '../../../core/ledger/directory.js';
import { storedKeystore } from '../wallet/keystore-slot';
import {
  createWallet,
  exportKeystore,
  importKeystore,
  openWallet,
  registrationStatus,
  rememberedRegistration,
  type RegistrationState,
} from '../wallet/browser-wallet';

const MIN_PASSPHRASE = 10;
const POLL_MS = 2000;
type RoleName = keyof typeof REQUESTABLE_ROLES;
type Step = 'keys' | 'prekeys' | 'request';

const stepText = (t: Dictionary, step: Step) =>
  ({ keys: t.stepKeys, prekeys: t.stepPrekeys, request: t.stepRequest })[step];
/** A wrong passphrase or file in the reader's language; anything else as the wallet said it. */
function useProblem() {
  const { t } = useLanguage();
  return (error: unknown) => {
    if (error instanceof CryptoError && error.code === 'WRONG_PASSWORD') return t.wrongPassphrase;
    if (error instanceof CryptoError && error.code === 'KEYSTORE_CORRUPT') return t.notAKeystore;
    return error instanceof Error ? error.message : String(error);
  };
}

interface CreateValues {
  name: string;
  role: RoleName;
  passphrase: string;
  /** A doctor's hospital account. */
  organisation?: string;
}

function CreateForm(props: { onOpened: (wallet: WalletKeys) => void }) {
  const { t } = useLanguage();
  const problem = useProblem();
  const [step, setStep] = useState<Step>();
  const [error, setError] = useState<string>();
  const [form] = Form.useForm<CreateValues>();
  const role = Form.useWatch('role', form);
  const submit = async (values: CreateValues) => {
    setError(undefined);
    const organisation = values.role === 'doctor' ? values.organisation?.trim().toLowerCase() : undefined;
    try {
      const { wallet } = await createWallet(
        {
          name: values.name.trim(),
          role: REQUESTABLE_ROLES[values.role],
          passphrase: values.passphrase,
          ...(organisation ? { organisation: organisation as `0x${string}` } : {}),
        },
        setStep,
      );
      props.onOpened(wallet);
    } catch (cause) {
      setError(problem(cause));
    } finally {
      setStep(undefined);
    }
  };
  return (
    <Section id="create" title={t.createTitle}>
      <Form
        form={form}
        layout="vertical"
        onFinish={(values: CreateValues) => void submit(values)}
        initialValues={{ role: 'patient' }}
        disabled={step !== undefined}
      >
        <Form.Item
          name="name"
          label={t.walletName}
          rules={[{ required: true, whitespace: true, message: t.nameRequired }]}
        >
          <Input autoComplete="name" maxLength={100} data-testid="wallet-name" />
        </Form.Item>
        <Form.Item name="role" label={t.walletRole}>
          <Radio.Group
            data-testid="wallet-role"
            options={(Object.keys(REQUESTABLE_ROLES) as RoleName[]).map((role) => ({
              value: role,
              label: t.roleNames[role],
            }))}
          />
        </Form.Item>
        {role === 'doctor' && (
          <Form.Item
            name="organisation"
            label={t.walletOrganisation}
            extra={t.walletOrganisationHelp}
            rules={[{ pattern: /^\s*0x[0-9a-fA-F]{40}\s*$/, message: t.organisationInvalid }]}
          >
            <Input spellCheck={false} data-testid="wallet-organisation" />
          </Form.Item>
        )}
        <Form.Item
          name="passphrase"
          label={t.passphrase}
          extra={t.passphraseHelp}
          rules={[{ required: true, min: MIN_PASSPHRASE, message: t.passphraseTooShort }]}
        >
          <Input.Password autoComplete="new-password" data-testid="wallet-passphrase" />
        </Form.Item>
        <Form.Item
          name="again"
          label={t.passphraseAgain}
          dependencies={['passphrase']}
          required
          rules={[
            ({ getFieldValue }) => ({
              validator: (_rule, value) =>
                value === getFieldValue('passphrase')
                  ? Promise.resolve()
                  : Promise.reject(new Error(t.passphraseMismatch)),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" data-testid="wallet-passphrase-again" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={step !== undefined} data-testid="wallet-create">
          {t.createButton}
        </Button>
        <p aria-live="polite" className="mt-3 mb-0 text-gray-700" data-testid="wallet-step">
          {step ? stepText(t, step) : ''}
        </p>
        {error !== undefined && <Alert type="error" showIcon title={t.failed(error)} />}
      </Form>
    </Section>
  );
}

/** A passphrase form: opening the stored wallet, or an imported file with the file chosen first. */
function PassphraseForm(props: {
  id: string;
  title: string;
  help?: string;
  button: string;
  file?: boolean;
  onSubmit: (passphrase: string, file: string | undefined) => Promise<WalletKeys>;
  onOpened: (wallet: WalletKeys) => void;
}) {
  const { t } = useLanguage();
  const problem = useProblem();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [file, setFile] = useState<{ name: string; text: string }>();
  const submit = async (values: { passphrase: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      props.onOpened(await props.onSubmit(values.passphrase, file?.text));
    } catch (cause) {
      setError(problem(cause));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section id={props.id} title={props.title}>
      {props.help && <Typography.Paragraph>{props.help}</Typography.Paragraph>}
      <Form layout="vertical" onFinish={(values: Parameters<typeof submit>[0]) => void submit(values)} disabled={busy}>
        {props.file && (
          <Form.Item label={t.importFile} required>
            <Upload
              accept=".json,application/json"
              maxCount={1}
              showUploadList={false}
              beforeUpload={async (chosen) => {
                setFile({ name: chosen.name, text: await chosen.text() });
                return false;
              }}
            >
              <Button data-testid={`${props.id}-file`}>{file ? file.name : t.importFile}</Button>
            </Upload>
          </Form.Item>
        )}
        <Form.Item name="passphrase" label={t.passphrase} rules={[{ required: true }]}>
          <Input.Password autoComplete="current-password" data-testid={`${props.id}-passphrase`} />
        </Form.Item>
        <Button
          type="primary"
          htmlType="submit"
          loading={busy}
          disabled={props.file && !file}
          data-testid={`${props.id}-submit`}
        >
          {props.button}
        </Button>
        <p aria-live="polite" className="mt-3 mb-0 text-gray-700">
          {busy ? t.unlocking : ''}
        </p>
        {error !== undefined && <Alert type="error" showIcon title={t.failed(error)} />}
      </Form>
    </Section>
  );
}

/** Downloads the stored keystore as `<address>.json`, the file the CLI reads from a wallet folder. */
async function download(): Promise<void> {
  const { fileName, text } = await exportKeystore();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  link.download = fileName;
  link.click();
  URL.revokeObjectURL(link.href);
}

function useRegistration(): RegistrationState | undefined {
  const [state, setState] = useState<RegistrationState>();
  useEffect(() => {
    const note = rememberedRegistration();
    if (!note) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const poll = async () => {
      const next = await registrationStatus(note.id).catch(() => undefined);
      if (stopped) return;
      if (next) setState(next);
      if (next?.status !== 'registered' && next?.status !== 'rejected') timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  return state;
}

/**
 * The hospital's one-time code, typed or pasted, redeemed at the engine of the hospital that gave
 * it (one of the wallet's engines); the records waiting for the patient there are anchored at once.
 */
function EnrolForm(props: { wallet: WalletKeys; engines: Engines['engines'] }) {
  const { t } = useLanguage();
  const problem = useProblem();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Outcome<{ woken: number }>>();
  const [form] = Form.useForm<{ code: string }>();
  const [engine, setChosen] = useEngineChoice(props.engines);
  const submit = async (values: { code: string }) => {
    if (engine === undefined) return;
    setBusy(true);
    setResult(undefined);
    try {
      setResult({ ok: true, ...(await redeemEnrolmentCode(engine, props.wallet, values.code)) });
      // used up, and not something to leave on the screen
      form.resetFields();
    } catch (cause) {
      const known =
        cause instanceof CryptoError && cause.code === 'BAD_FORMAT'
          ? t.enrolCodeMalformed
          : cause instanceof EngineRefusal
            ? {
                0: t.engineUnreachable,
                404: t.enrolWrongCode,
                409: t.enrolUsed,
                410: t.enrolExpired,
                429: t.enrolTooMany,
              }[cause.status]
            : undefined;
      setResult({ ok: false, error: known ?? problem(cause) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section id="enrol" title={t.enrolTitle}>
      <Typography.Paragraph>{t.enrolHelp}</Typography.Paragraph>
      <Form
        form={form}
        layout="vertical"
        onFinish={(values: { code: string }) => void submit(values)}
        disabled={busy || engine === undefined}
      >
        <Form.Item
          label={t.enrolEngine}
          htmlFor="enrol-engine"
          extra={engine === undefined ? t.enrolNeedsEngine : undefined}
        >
          <EngineSelect
            id="enrol-engine"
            engines={props.engines}
            value={engine}
            onChange={setChosen}
            testId="enrol-engine"
          />
        </Form.Item>
        <Form.Item name="code" label={t.enrolCode} rules={[{ required: true, message: t.enrolCodeRequired }]}>
          <Input
            autoComplete="off"
            spellCheck={false}
            maxLength={40}
            placeholder="XXXXX-XXXXX-XXXXX-XXXXX"
            className="font-mono"
            data-testid="enrol-code"
          />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} data-testid="enrol-submit">
          {t.enrolButton}
        </Button>
      </Form>
      <ActionResult testId="enrol-result" result={result} success={(done) => t.enrolled(done.woken)} />
    </Section>
  );
}

const STATUS_COLOURS = { none: '#4b5563', pending: '#b45309', registered: '#15803d', rejected: '#b91c1c' } as const;

function OpenWallet(props: { wallet: WalletKeys; inDirectory: boolean; onLock: () => void }) {
  const { t } = useLanguage();
  const registration = useRegistration();
  const status = registration?.status ?? (props.inDirectory ? 'registered' : 'none');
  return (
    <Section id="wallet" title={t.walletTitle}>
      <Descriptions column={1} bordered size="small">
        <Descriptions.Item label={t.address}>
          <Typography.Text code copyable data-testid="wallet-address">
            {props.wallet.identity.address}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t.registration}>
          <span role="status" aria-live="polite">
            <Tag variant="solid" color={STATUS_COLOURS[status]} data-testid="registration-status" data-status={status}>
              {t.registrationStates[status]}
            </Tag>
          </span>
          {registration && (
            <span className="ml-2 text-gray-700">
              {t.registrationId} <code data-testid="registration-id">{registration.id}</code>
            </span>
          )}
        </Descriptions.Item>
      </Descriptions>
      <div className="mt-4 flex flex-wrap gap-3">
        <Button onClick={() => void download()} data-testid="wallet-export">
          {t.exportButton}
        </Button>
        <Button onClick={props.onLock}>{t.lockButton}</Button>
      </div>
      <Typography.Paragraph className="!mt-2 !mb-0 text-gray-700">{t.exportHelp}</Typography.Paragraph>
    </Section>
  );
}

/** An open wallet: its account, its engines, enrolment, the one timeline, and keys to publish or give. */
function WalletSections(props: {
  wallet: WalletKeys;
  role: number | undefined;
  entry: DirectoryEntry | undefined;
  onLock: () => void;
}) {
  const { t } = useLanguage();
  const { wallet, role } = props;
  const { engines, error } = useEngines(wallet);
  return (
    <>
      <OpenWallet wallet={wallet} inDirectory={props.entry !== undefined} onLock={props.onLock} />
      {error !== undefined && <Alert type="error" showIcon title={t.failed(error)} />}
      {engines && (
        <>
          <EnginesSection
            wallet={wallet}
            engines={engines}
            suggestedOrganisation={rememberedRegistration()?.organisation ?? props.entry?.organisation ?? undefined}
          />
          {role !== Role.Doctor && role !== Role.Pharmacy && <EnrolForm wallet={wallet} engines={engines.engines} />}
          <TimelineSection wallet={wallet} engines={engines.engines} list={engines.list} />
          {role !== Role.Doctor && role !== Role.Pharmacy && (
            <PrekeysSection wallet={wallet} engines={engines.engines} list={engines.list} onChange={engines.changed} />
          )}
        </>
      )}
      {role !== Role.Patient && <GranteeKeySection wallet={wallet} />}
    </>
  );
}

export function WalletPage() {
  const { t } = useLanguage();
  const [stored, setStored] = useState<boolean>();
  const [wallet, setWallet] = useState<WalletKeys>();
  const refresh = useCallback(() => {
    void storedKeystore().then((json) => setStored(json !== undefined));
  }, []);
  useEffect(refresh, [refresh]);
  // a wallet imported from elsewhere has no note of its request here: the Directory says who it is
  const [entry, setEntry] = useState<DirectoryEntry>();
  useEffect(() => {
    setEntry(undefined);
    if (wallet && !rememberedRegistration())
      void directoryEntry(wallet.identity.address)
        .then(setEntry)
        .catch(() => undefined);
  }, [wallet]);
  // unknown (not registered yet, or the chain away): every section is shown
  const role = wallet ? (rememberedRegistration()?.role ?? entry?.role) : undefined;
  const opened = (next: WalletKeys) => {
    setWallet(next);
    setStored(true);
  };

  return (
    <div className="flex flex-col gap-6">
      <div>
        <Typography.Title level={1} className="!mb-1">
          {t.walletTitle}
        </Typography.Title>
        <Typography.Paragraph className="!mb-0">{t.walletIntro}</Typography.Paragraph>
      </div>
      {wallet ? (
        <WalletSections wallet={wallet} role={role} entry={entry} onLock={() => setWallet(undefined)} />
      ) : stored === undefined ? null : (
        <div className="grid gap-6 md:grid-cols-2">
          {stored ? (
            <PassphraseForm
              id="unlock"
              title={t.unlockTitle}
              button={t.unlockButton}
              onSubmit={(passphrase) => openWallet(passphrase)}
              onOpened={opened}
            />
          ) : (
            <CreateForm onOpened={opened} />
          )}
          <PassphraseForm
            id="import"
            title={t.importTitle}
            help={t.importHelp}
            button={t.importButton}
            file
            onSubmit={(passphrase, file) => importKeystore(file ?? '', passphrase)}
            onOpened={opened}
          />
        </div>
      )}
    </div>
  );
}

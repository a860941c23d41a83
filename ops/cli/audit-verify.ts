import type { Command } from 'commander';
import type { Hex } from 'viem';
import { Client, Connection } from '@temporalio/client';
import { apiUrlOf, type Config } from '../config/index.js';
import { chainClient } from '../chain/connect.js';
import { requireDeployment } from '../chain/deployment.js';
import { codecKeyringFromConfig } from '../codec/from-config.js';
import { EncryptionCodec } from '../codec/encryption-codec.js';
import { contentStoreFromConfig } from '../engine/content-store.js';
import { holds, type Verdict } from '../../core/audit/verdict.js';
import type { ReaderAccess } from '../../core/audit/record-checks.js';
import { fetchInbox } from '../../wallet/inbox-client.js';
import { walletDir } from '../../wallet/node/wallet-dir.js';
import { Wallet } from '../../wallet/wallet.js';
import { verifyRecord, type AuditSources } from '../audit/verify-record.js';
import { TRACE_CODE_ARGUMENT_HELP, traceCodeFrom } from './trace-code-input.js';
import { verifyTraceByCode } from '../audit/verify-trace.js';
import { verifyMessage } from '../audit/verify-message.js';
import { messageAnswer, messageKeyProblem } from '../../core/audit/message-audit.js';
import { withEngineState } from '../engine/open.js';

const RECORD_ID = /^0x[0-9a-fA-F]{64}$/;
const NOT_ANCHORED = {
  waiting: 'is not anchored yet',
  claimed: 'is being anchored',
  ended: 'was not anchored',
} as const;

/**
 * `yilian audit verify record|trace|message`: an audit that re-derives every link from the chain and the
 * content store (core/audit). One verdict line per check; exit 0 when none failed, 1 when one
 * did, 2 when the audit could not run (bad input, a service away).
 */
export function auditVerifyCommands(audit: Command, config: () => Config): void {
  const verify = audit
    .command('verify')
    .description(
      're-derive a record or a trace from the chain and the content store, trusting nothing the engine says',
    );

  verify
    .command('record')
    .argument('<recordId>', 'the record id on chain (0x and 64 hex digits)')
    .option(
      '--wallet <dir>',
      "the reader's wallet (the patient's, or a grantee's holding a grant): adds decryption and the author's signature",
    )
    .option(
      '--workflow <id>',
      'the anchoring workflow (anchorRecord or anchorBatch), when known (default: found by the record block’s time)',
    )
    .option('--run-id <runId>', 'with --workflow: its run (a batch execution has many; default: the latest)')
    .option('--json', 'print the verdicts as one JSON object')
    .description(
      'check a record: its chain entry and creating transaction, the id bound to the CID under that sender, the sender in the Directory as of the block, the content against its CID, the wrapped key and ciphertext well formed, the anchoring workflow’s history; with --wallet, decryption and the signature. ' +
        'The CID comes from the reader’s inbox with --wallet, else from the anchoring workflow’s history; the id binds it either way',
    )
    .action(
      async (recordId: string, options: { wallet?: string; workflow?: string; runId?: string; json?: boolean }) => {
        if (!RECORD_ID.test(recordId))
          throw new Error(`a record id is 0x and 64 hex digits, not ${JSON.stringify(recordId.slice(0, 80))}`);
        if (options.runId !== undefined && options.workflow === undefined)
          throw new Error('--run-id goes with --workflow');
        const id = recordId.toLowerCase() as Hex;
        const settings = config();
        const reader = options.wallet ? await readerAccess(settings, options.wallet, id) : undefined;
        const verdicts = await withAuditSources(settings, (sources) =>
          verifyRecord(sources, {
            recordId: id,
            ...(options.workflow
              ? { anchoring: { workflowId: options.workflow, ...(options.runId ? { runId: options.runId } : {}) } }
              : {}),
            ...(reader ? { reader } : {}),
          }),
        );
        report({ kind: 'record', id }, verdicts, options.json === true);
      },
    );

  verify
    .command('message')
    .argument('<messageKey>', 'the message key, as the intake names it: hl7:<MSH-4>:<MSH-10> (or fhir:…, erp:…)')
    .option('--json', 'print the outcome as one JSON object')
    .description(
      "check one message: the engine's record of where it was anchored (a batch run, or its own anchorRecord run) against that run's history, then every record check on its record; a message not anchored yet is named with the run that holds it. " +
        "Run on the engine's host: it reads the engine's state",
    )
    .action(async (messageKey: string, options: { json?: boolean }) => {
      const problem = messageKeyProblem(messageKey);
      if (problem) throw new Error(problem);
      const settings = config();
      const audit = await withEngineState(settings.home, (state) =>
        withAuditSources(settings, (sources) =>
          verifyMessage(sources, (key) => state.anchoredMessage(key), messageKey),
        ),
      );
      if (audit.state === 'unknown') throw new Error(audit.detail);
      if (options.json) console.log(JSON.stringify(messageAnswer(audit)));
      if (audit.state === 'anchored') {
        if (!options.json) printVerdicts(`message ${messageKey}`, audit.verdicts);
        if (!holds(audit.verdicts)) process.exitCode = 1;
        return;
      }
      if (!options.json) console.log(`message ${messageKey} ${NOT_ANCHORED[audit.state]}: ${audit.detail}`);
      if (audit.state === 'ended') process.exitCode = 1;
    });

  verify
    .command('trace')
    .argument('[code]', `${TRACE_CODE_ARGUMENT_HELP}; it stays on this machine (only its public id is looked up)`)
    .option('--json', 'print the verdicts as one JSON object')
    .description(
      'check a trace: every step on chain in order in a transaction its sender signed, each sender registered and unrevoked at its block, each proof against its statement, each nonce a recent block hash, each step’s signature (decrypted with the code), no statement twice',
    )
    .action(async (argument: string | undefined, options: { json?: boolean }) => {
      const code = await traceCodeFrom(argument);
      const { traceIdHex, verdicts } = await withAuditSources(config(), (sources) => verifyTraceByCode(sources, code));
      report({ kind: 'trace', id: traceIdHex }, verdicts, options.json === true);
    });
}

/** The chain, the store, and Temporal with the codec keys (to read histories), for one audit. */
async function withAuditSources<T>(settings: Config, audit: (sources: AuditSources) => Promise<T>): Promise<T> {
  const contracts = await requireDeployment(settings.home);
  const chain = chainClient(settings);
  await chain.checkChain();
  const codec = new EncryptionCodec(await codecKeyringFromConfig(settings));
  const connection = await Connection.connect({
    address: settings.temporal.address,
    tls: settings.temporal.tls,
    apiKey: settings.temporal.apiKey,
  });
  const store = contentStoreFromConfig(settings);
  try {
    const temporal = new Client({ connection, namespace: settings.temporal.namespace });
    return await audit({ chain, contracts, store, temporal, codec });
  } finally {
    await Promise.all([connection.close(), store.close()]);
  }
}

/** The reader's key and the inbox item that locates the record, from their wallet. */
async function readerAccess(config: Config, dir: string, id: Hex): Promise<ReaderAccess> {
  const password = config.keystore.walletPassword;
  if (!password) throw new Error('set YILIAN_WALLET_PASSWORD: it unlocks the wallet keystore');
  const wallet = await Wallet.open(walletDir(dir), password);
  const item = (await fetchInbox(apiUrlOf(config), wallet)).find((m) => m.recordId === id);
  if (!item) throw new Error(`record ${id} is not in the inbox of the wallet in ${dir}`);
  const { location, key } = await wallet.recordKey(item);
  return { ...location, key };
}

function report(subject: { kind: 'record' | 'trace'; id: string }, verdicts: Verdict[], json: boolean): void {
  if (json) console.log(JSON.stringify({ ...subject, holds: holds(verdicts), verdicts }));
  else printVerdicts(`${subject.kind} ${subject.id}`, verdicts);
  if (!holds(verdicts)) process.exitCode = 1;
}

/** One line per check, then whether the subject holds. */
function printVerdicts(subject: string, verdicts: Verdict[]): void {
  const width = Math.max(...verdicts.map((v) => v.check.length));
  for (const v of verdicts) console.log(`${v.status} ${v.check.padEnd(width)}  ${v.detail}`);
  const failed = verdicts.filter((v) => v.status === 'FAIL').map((v) => v.check);
  console.log(holds(verdicts) ? `${subject} holds` : `${subject} does NOT hold: ${failed.join(', ')} failed`);
}

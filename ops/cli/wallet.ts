import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { PERSON_ROLES, Role } from '../../core/roles.js';
import { readTrace } from '../../core/trace/read-trace.js';
import { traceId } from '../../native/index.js';
import { connectChainGateway } from '../../core/ledger/chain-gateway.js';
import { GatewayContent } from '../../core/storage/gateway-content.js';
import { grantRequest, requestGrant } from '../../wallet/engine-api.js';
import { fetchInbox } from '../../wallet/inbox-client.js';
import { walletDir } from '../../wallet/node/wallet-dir.js';
import { byline, openRecord } from '../../wallet/open-record.js';
import { Wallet } from '../../wallet/wallet.js';
import { withEngine } from './engine-client.js';
import { findInboxItem, inboxSources, openWallet, walletEngineCommands, walletPassword } from './wallet-engines.js';
import { operatorSigner } from '../engine/operators.js';
import { organisationOption } from '../engine/organisation.js';
import { messageOf } from '../error-message.js';
import { TRACE_CODE_ARGUMENT_HELP, traceCodeFrom } from './trace-code-input.js';
import { authorize } from '../../core/operators/authorization.js';
import { MAX_REGISTRATION_PREKEYS } from '../../core/registration/request.js';

/** `--prekeys`: a whole number a registration can carry, checked before any key is made. */
function prekeyCount(value: string): number {
  const count = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(count <= MAX_REGISTRATION_PREKEYS))
    throw new Error(
      `--prekeys must be a whole number from 0 to ${MAX_REGISTRATION_PREKEYS}, not ${JSON.stringify(value)}`,
    );
  return count;
}

/** A person's side of the flows: their wallet, inbox, records, grants, and a box's trace. */
export function walletCommands(program: Command, config: () => Config): void {
  const wallet = program
    .command('wallet')
    .description("a person's wallet: keys that never leave this machine (YILIAN_WALLET_PASSWORD unlocks it)");

  wallet
    .command('create')
    .requiredOption('--dir <dir>', 'folder for the wallet keystore')
    .requiredOption('--name <name>', 'name in the Directory')
    .requiredOption('--role <role>', `one of ${Object.keys(PERSON_ROLES).join(', ')}`)
    .option(
      '--prekeys <n>',
      `one-time prekeys to publish (patients), 0 to ${MAX_REGISTRATION_PREKEYS}; 0 publishes none with the registration`,
      '20',
    )
    .option('--organisation <account>', "a doctor's hospital (its Directory account): readers show your records as its")
    .description('make keys, have the CA register them in the Directory, and (patients) publish signed prekeys')
    .action(async (options: { dir: string; name: string; role: string; prekeys: string; organisation?: string }) => {
      const role = Object.hasOwn(PERSON_ROLES, options.role)
        ? PERSON_ROLES[options.role as keyof typeof PERSON_ROLES]
        : undefined;
      if (!role)
        throw new Error(`--role must be one of ${Object.keys(PERSON_ROLES).join(', ')}, not "${options.role}"`);
      const organisation = organisationOption(options.organisation, role);
      const prekeys = prekeyCount(options.prekeys);
      const made = await Wallet.create(walletDir(options.dir), walletPassword(config()));
      // none: registered without a bundle, to publish prekeys later to each engine they enrol with
      const prekeyBundle = role === Role.Patient && prekeys > 0 ? await made.addPrekeys(prekeys) : undefined;
      // a CA operator approves the registration: on the embedded stack the CLI holds the engine's operator key
      const operator = await operatorSigner(config());
      const registered = await withEngine(config(), (engine) =>
        engine.workflows.execute.registerIdentity(
          authorize(operator, 'registerIdentity', {
            name: options.name,
            role,
            identity: made.identity,
            ...(prekeyBundle ? { prekeyBundle } : {}),
            ...(organisation ? { organisation } : {}),
          }),
        ),
      );
      console.log(JSON.stringify(registered, null, 2));
    });

  wallet
    .command('grantee-key')
    .requiredOption('--dir <dir>', 'wallet folder')
    .description('a fresh G2 key to receive one grant; give it to the patient')
    .action(async (options: { dir: string }) => {
      const key = await (await openWallet(options.dir, config())).newGranteeKey();
      console.log(key.publicKey);
    });

  wallet
    .command('inbox')
    .requiredOption('--dir <dir>', 'wallet folder')
    .description('records anchored for you and records granted to you, at each engine this wallet is enrolled with')
    .action(async (options: { dir: string }) => {
      const opened = await openWallet(options.dir, config());
      for (const source of await inboxSources(options.dir, config()))
        for (const item of await fetchInbox(source.apiUrl, opened))
          console.log(
            JSON.stringify({
              engine: source.apiUrl,
              seq: item.seq,
              kind: item.kind,
              recordId: item.recordId,
              cid: item.cid,
            }),
          );
    });

  walletEngineCommands(wallet, config);

  const record = program.command('record').description('records in your wallet');
  record
    .command('read')
    .requiredOption('--dir <dir>', 'wallet folder')
    .requiredOption('--record <id>', 'record id (0x…) from `yilian wallet inbox`')
    .option('-o, --out <file>', 'write the record here instead of stdout')
    .description(
      "read a record through the engine that delivered it: chain → content (each block re-hashed against its CID) → unwrap → decrypt → the author's signature against the Directory; exit 1 naming what did not verify",
    )
    .action(async (options: { dir: string; record: string; out?: string }) => {
      const opened = await openWallet(options.dir, config());
      const { source, item } = await findInboxItem(options.dir, config(), opened, options.record);
      const { location, key } = await opened.recordKey(item);
      const { chain, contracts } = await connectChainGateway(source.apiUrl);
      const result = await openRecord(
        { chain, contracts, store: new GatewayContent(source.apiUrl) },
        location,
        key,
      ).catch((error: unknown) => {
        console.error(`record ${options.record} did not verify: ${messageOf(error)}`);
        process.exit(1);
      });
      console.error(`verified: signed by ${byline(result)} (${result.author.address})`);
      if (options.out) await writeFile(options.out, result.record);
      else process.stdout.write(result.record);
    });

  record
    .command('grant')
    .requiredOption('--dir <dir>', "the patient's wallet folder")
    .requiredOption('--record <id>', 'record id (0x…)')
    .requiredOption('--grantee <address>', "grantee's account")
    .requiredOption('--grantee-key <g2>', "the grantee's fresh key from `yilian wallet grantee-key`")
    .option(
      '--engine <url>',
      "the grantee's engine, which delivers the grant to them (default: the engine that delivered the record)",
    )
    .description(
      'grant one record to one grantee: the wallet makes the re-encryption key, the chain re-encrypts in a read-only call',
    )
    .action(async (options: { dir: string; record: string; grantee: string; granteeKey: string; engine?: string }) => {
      const opened = await openWallet(options.dir, config());
      const { source, item } = await findInboxItem(options.dir, config(), opened, options.record);
      if (item.kind !== 'record') throw new Error(`record ${options.record} is not one of this wallet's own records`);
      const result = await requestGrant(
        options.engine ?? source.apiUrl,
        await grantRequest(opened, item, options.grantee, options.granteeKey),
      );
      console.log(`granted ${item.recordId} to ${result.granteeName} (${result.grantee})`);
    });

  program
    .command('trace')
    .argument('[code]', TRACE_CODE_ARGUMENT_HELP)
    .description(
      "a package's history: decrypted with its code, every signature verified against the Directory as of its block. " +
        'Steps that do not verify are listed, marked ✗ with the reason, and are not part of the history. ' +
        'Exit 1 only when the trace cannot be read (a mistyped code, the chain away): anyone holding the code can push a bad step, so one must not make the history unreadable',
    )
    .action(async (argument: string | undefined) => {
      const code = await traceCodeFrom(argument);
      await withEngine(config(), async (engine) => {
        const history = await readTrace({ ...engine, traceId }, code).catch((error: unknown) => {
          console.error(`trace could not be read: ${messageOf(error)}`);
          process.exit(1);
        });
        const lines = [
          ...history.steps.map((step) => ({
            index: step.index,
            line:
              `${step.index}. ${step.signerName} (${step.signer}): ${step.data}` +
              (step.signerRevokedAt === null ? '' : ` [signer revoked later, in block ${step.signerRevokedAt}]`),
          })),
          ...history.invalid.map((step) => ({
            index: step.index,
            line: `${step.index}. ✗ invalid, pushed by ${step.sender} in block ${step.block}: ${step.message}`,
          })),
        ].sort((a, b) => a.index - b.index);
        if (history.steps.length === 0) console.log('no verified steps recorded for this code');
        for (const { line } of lines) console.log(line);
        if (history.invalid.length > 0)
          console.error(
            `${history.invalid.length} step(s) did not verify and are not part of the history; ${history.steps.length} did`,
          );
      });
    });
}

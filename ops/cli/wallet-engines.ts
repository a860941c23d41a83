import type { Command } from 'commander';
import { apiUrlOf, type Config } from '../config/index.js';
import { engineAudience } from '../../core/inbox/request-signature.js';
import { recordView } from '../../core/records/content-view.js';
import { addEngine } from '../../wallet/add-engine.js';
import { redeemEnrolmentCode } from '../../wallet/engine-api.js';
import { EngineList, type EngineLink } from '../../wallet/engine-list.js';
import { fetchInbox, type ReceivedItem } from '../../wallet/inbox-client.js';
import { engineListFile } from '../../wallet/node/engine-list-file.js';
import { walletDir } from '../../wallet/node/wallet-dir.js';
import { byline } from '../../wallet/open-record.js';
import { readTimeline } from '../../wallet/timeline.js';
import { Wallet } from '../../wallet/wallet.js';

export function walletPassword(config: Config): string {
  const password = config.keystore.walletPassword;
  if (!password) throw new Error('set YILIAN_WALLET_PASSWORD: it unlocks the wallet keystore');
  return password;
}

export const openWallet = (dir: string, config: Config): Promise<Wallet> =>
  Wallet.open(walletDir(dir), walletPassword(config));

/** An engine a wallet reads its inbox from. */
export type InboxSource = Pick<EngineLink, 'apiUrl' | 'name'>;

/**
 * The engines a wallet folder reads: those it was enrolled with (`yilian wallet engines add`), or,
 * for a wallet that never was, the configured engine alone.
 */
export async function inboxSources(dir: string, config: Config): Promise<readonly InboxSource[]> {
  const list = await EngineList.open(engineListFile(dir));
  if (list.engines.length > 0) return list.engines;
  const apiUrl = engineAudience(apiUrlOf(config));
  return [{ apiUrl, name: apiUrl }];
}

/**
 * The inbox item naming `recordId`, from whichever of the wallet's engines delivered it: each is
 * asked for its inbox only, so none learns the id; what is done with the item goes to that engine.
 */
export async function findInboxItem(
  dir: string,
  config: Config,
  person: Wallet,
  recordId: string,
): Promise<{ source: InboxSource; item: ReceivedItem }> {
  const wanted = recordId.toLowerCase();
  for (const source of await inboxSources(dir, config)) {
    const item = (await fetchInbox(source.apiUrl, person)).find((received) => received.recordId === wanted);
    if (item) return { source, item };
  }
  throw new Error(`record ${recordId} is not in this wallet's inbox at any of its engines`);
}

/** A person's engines: enrolling with each organisation's engine, and the one timeline across them. */
export function walletEngineCommands(wallet: Command, config: () => Config): void {
  const engines = wallet
    .command('engines')
    .description('the engines this wallet is enrolled with, one per organisation');

  engines
    .command('add')
    .requiredOption('--dir <dir>', 'wallet folder')
    .requiredOption('--engine <url>', "the organisation's engine API, as it gave it to you")
    .requiredOption('--organisation <account>', "the organisation's Directory account, as it gave it to you")
    .option('--prekeys <n>', 'one-time prekeys to publish to this engine alone (patients)', '20')
    .description(
      "add an organisation's engine: its name is read from the Directory (not from the engine), and a patient publishes prekeys no other engine is given",
    )
    .action(async (options: { dir: string; engine: string; organisation: string; prekeys: string }) => {
      const person = await openWallet(options.dir, config());
      const list = await EngineList.open(engineListFile(options.dir));
      const { link, published, unclaimed } = await addEngine(person, list, {
        apiUrl: options.engine,
        organisation: options.organisation,
        prekeys: Number(options.prekeys),
      });
      console.log(
        `${link.name} (${link.apiUrl}) added` +
          (published > 0 ? `; ${published} prekeys published to it alone, ${String(unclaimed)} unclaimed there` : ''),
      );
    });

  engines
    .command('list')
    .requiredOption('--dir <dir>', 'wallet folder')
    .description('the engines this wallet is enrolled with')
    .action(async (options: { dir: string }) => {
      const list = await EngineList.open(engineListFile(options.dir));
      for (const engine of list.engines)
        console.log(
          JSON.stringify({
            name: engine.name,
            apiUrl: engine.apiUrl,
            organisation: engine.organisation,
            prekeys: engine.prekeys.length,
          }),
        );
    });

  wallet
    .command('enrol')
    .requiredOption('--dir <dir>', 'wallet folder')
    .requiredOption('--engine <url>', 'the engine of the hospital that gave you the code')
    .requiredOption('--code <code>', 'the one-time enrolment code the hospital gave you')
    .description("redeem a hospital's enrolment code at its engine: records it holds for you are anchored to you")
    .action(async (options: { dir: string; engine: string; code: string }) => {
      const person = await openWallet(options.dir, config());
      const list = await EngineList.open(engineListFile(options.dir));
      const engine = list.engine(options.engine);
      const { woken } = await redeemEnrolmentCode(engine.apiUrl, person, options.code);
      console.log(`enrolled at ${engine.name}; ${woken} waiting record(s) woken`);
    });

  wallet
    .command('timeline')
    .requiredOption('--dir <dir>', 'wallet folder')
    .option('--json', 'one JSON line per record, then one per problem')
    .description(
      'every record from every engine this wallet is enrolled with, each verified (chain, content, author and hospital by the Directory) before it is shown; exit 1 when an item did not verify',
    )
    .action(async (options: { dir: string; json?: boolean }) => {
      const person = await openWallet(options.dir, config());
      const list = await EngineList.open(engineListFile(options.dir));
      if (!list.contracts || list.engines.length === 0)
        throw new Error('this wallet is enrolled with no engine yet: `yilian wallet engines add` first');
      const { entries, problems } = await readTimeline(person, list.engines, list.contracts);
      for (const { engine, item, record } of entries)
        console.log(
          options.json
            ? JSON.stringify({
                engine: engine.apiUrl,
                kind: item.kind,
                type: recordView(record.record).kind,
                recordId: record.recordId,
                block: record.createdAt,
                author: record.author.name,
                authorAddress: record.author.address,
                organisation: record.organisation?.name ?? null,
                organisationAddress: record.organisation?.address ?? null,
              })
            : `block ${record.createdAt}  ${recordView(record.record).kind}  ${byline(record)}  ${item.kind} ${record.recordId} (via ${engine.name})`,
        );
      for (const problem of problems)
        if (options.json)
          console.log(
            JSON.stringify({
              problem: problem.step,
              engine: problem.engine.apiUrl,
              recordId: problem.item?.recordId ?? null,
              message: problem.message,
            }),
          );
        else console.error(`✗ ${problem.message}`);
      if (problems.some((problem) => problem.step !== 'engine')) process.exitCode = 1;
    });
}

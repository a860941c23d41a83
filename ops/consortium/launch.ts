import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { keystoreFiles } from '../../core/keys/node/keystore-file.js';
import type { ScryptParams } from '../../core/keys/index.js';
import { lookupIdentity } from '../../core/ledger/directory.js';
import { PERSON_ROLES, roleName } from '../../core/roles.js';
import { walletDir } from '../../wallet/node/wallet-dir.js';
import { Wallet } from '../../wallet/wallet.js';
import { loadConfig, repoRoot } from '../config/index.js';
import { chainClient } from '../chain/connect.js';
import { requireDeployment } from '../chain/deployment.js';
import { keptSecret } from '../config/kept-secret.js';
import { identityCardSchema } from '../engine/organisation.js';
import { keepPrivate } from '../engine/private-files.js';
import { messageOf } from '../error-message.js';
import { defaultToolsDir, toolPath } from '../tools.js';
import { startDevchain, type DevchainService } from '../services/devchain.js';
import { startKuboNetwork, SWARM_KEY_BYTES, type KuboMember, type KuboNetwork } from '../services/kubo-network.js';
import { startManagedProcess, type ManagedProcess } from '../services/managed-process.js';
import { freePort } from '../services/ports.js';

const run = promisify(execFile);

/** An organisation of the development consortium: its folder, its name in the Directory, its role. */
export interface Organisation {
  slug: string;
  name: string;
  role: 'ca' | 'hospital' | 'pharmacy' | 'manufacturer';
}

/** The consortium `yilian consortium up` runs: the CA, two hospitals, a pharmacy and a manufacturer. */
export const ORGANISATIONS: readonly Organisation[] = [
  // the name ensureDeployed gives the CA in its own Directory
  { slug: 'ca', name: 'Consortium CA', role: 'ca' },
  { slug: 'hospital-a', name: 'Hospital A', role: 'hospital' },
  { slug: 'hospital-b', name: 'Hospital B', role: 'hospital' },
  { slug: 'pharmacy', name: 'Pharmacy', role: 'pharmacy' },
  { slug: 'manufacturer', name: 'Manufacturer', role: 'manufacturer' },
];

/** One organisation's engine, a process of its own. */
export interface ConsortiumEngine {
  org: Organisation;
  /** The organisation's machine: the engine's data dir, its kubo repo and their logs. */
  dir: string;
  /** YILIAN_HOME. */
  home: string;
  apiUrl: string;
  /** Hospitals only: the MLLP door their HL7 feeds send to. */
  mllpPort?: number;
  kubo: KuboMember;
  /**
   * The environment of this engine: `yilian` commands run with it act as this organisation's
   * operator. Also in `<dir>/env`, for a shell: `set -a; . <dir>/env; set +a`.
   */
  env: NodeJS.ProcessEnv;
  /** Its address in the Directory (for the CA, the CA's). */
  account: `0x${string}`;
  process: ManagedProcess;
}

export interface Consortium {
  dir: string;
  rpcUrl: string;
  /** The CA's published deployment record, which every member engine joins. */
  contractsFile: string;
  /** Every organisation's engine as it is now (a restarted one with its new process). */
  readonly engines: ConsortiumEngine[];
  /** Wall time from the call until every engine was ready and registered. */
  startupMs: number;
  /** That organisation's engine: the running one, or while stopped the one that ran (its URLs stay its own). */
  engine(slug: string): ConsortiumEngine;
  /** Runs `yilian <args>` as that organisation's operator; its stdout. */
  cli(slug: string, args: readonly string[]): Promise<string>;
  /**
   * Stops one organisation's engine as its operator would (SIGTERM: its workers drain, then its
   * Temporal and Redis stop with it) while the others keep running. Its kubo node stays up: it is
   * the organisation's IPFS node, a service apart from the engine, so what it stored stays
   * reachable by the others' nodes, as when only an engine host goes down in production.
   */
  stopEngine(slug: string): Promise<void>;
  /** Starts a stopped engine again with the same environment, ports (so the same URLs) and data dir; a running one is returned as it is. */
  startEngine(slug: string): Promise<ConsortiumEngine>;
  /** stopEngine, then startEngine. */
  restart(slug: string): Promise<ConsortiumEngine>;
  /**
   * Registers a person at the CA with a wallet of their own in `<dir>/people/<slug>`, outside
   * every organisation's folder: `yilian wallet create` in the CA's environment, its operator
   * approving. A patient publishes no prekeys there (`--prekeys 0`): they publish to each
   * hospital engine they enrol with. Called again for the same slug, it returns the wallet
   * already registered.
   */
  person(options: PersonOptions): Promise<ConsortiumPerson>;
  stop(): Promise<void>;
}

export interface ConsortiumOptions {
  dir: string;
  organisations?: readonly Organisation[];
  /** Progress lines for a terminal. */
  say?: (line: string) => void;
  /** The operators' wallets; tests pass cheap parameters. */
  scrypt?: ScryptParams;
  /**
   * Settings of the organisation's own (e.g. a hospital's `YILIAN_FHIR_SERVERS`), merged over the
   * launcher's into its engine's environment, and so into its `yilian` commands and `<dir>/env`.
   * They must not set what the launcher owns (data dir, ports, chain, keys, operators).
   */
  env?: (org: Organisation) => Record<string, string> | undefined;
}

/** Who a person of the consortium is, as `yilian wallet create` takes it. */
export interface PersonOptions {
  /** Names their wallet's folder, `<dir>/people/<slug>`. */
  slug: string;
  /** Their name in the Directory. */
  name: string;
  role: keyof typeof PERSON_ROLES;
  /** A doctor's hospital: the slug of one of the consortium's hospitals. */
  organisation?: string;
}

/** A person of the consortium, registered in the Directory with keys only their wallet holds. */
export interface ConsortiumPerson {
  slug: string;
  name: string;
  role: keyof typeof PERSON_ROLES;
  /** Their wallet's folder: `yilian … --dir` (with YILIAN_WALLET_PASSWORD set to `password`). */
  dir: string;
  /** Unlocks their wallet; kept in `<dir>/password`, on the person's side. */
  password: string;
  account: `0x${string}`;
  /** A doctor's hospital, its account. */
  organisation?: `0x${string}`;
}

const ENGINE_PORTS = ['api', 'mllp', 'temporal', 'temporalUi', 'redis'] as const;
type Ports = Record<(typeof ENGINE_PORTS)[number], number>;

/** How often an engine is started again on fresh ports when one was taken before it bound it. */
const PORT_RETRIES = 2;
/** Its workers drain for up to 30 s (ops/workers/shutdown.ts), then its services stop. */
const ENGINE_STOP_MS = 60_000;

/**
 * A development consortium on loopback (docs/design.md § The consortium): one shared dev chain; one
 * kubo node per organisation in a private IPFS network; and per organisation its own engine, a
 * separate `ops/stack/up.ts` process with its own data dir, ports, Temporal dev server, Redis and
 * keys. The CA's engine deploys the contracts from the CA key it makes in its own dir; each other
 * engine makes its organisation's keys in its own dir and hands the CA only the public half (an
 * identity card), which the CA's operator registers. Started again on the same dir, it keeps
 * every engine's data and ports.
 *
 * Temporal is one dev server per engine, not one server with a namespace each: an organisation's
 * histories are its own store (the privacy scan covers them in its folder, and its codec key seals
 * them), the others' operators cannot reach its frontend, and one engine down does not take the
 * others' workflows with it, as with separate clusters in production. It costs ~125 MB a server.
 */
export async function startConsortium(options: ConsortiumOptions): Promise<Consortium> {
  const started = Date.now();
  // each line with the seconds since the start: where start-up spends its time
  const say = (line: string) => options.say?.(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);
  const dir = resolve(options.dir);
  const organisations = options.organisations ?? ORGANISATIONS;
  const shared = join(dir, 'consortium');
  await keepPrivate(dir);
  await mkdir(shared, { recursive: true });
  const toolsDir = process.env.YILIAN_TOOLS_DIR ?? defaultToolsDir();

  const prepared = await Promise.all(
    organisations.map((org) => prepareOrganisation(dir, org, toolsDir, options.scrypt)),
  );
  const swarmKey = hexToBytes(
    await keptSecret(shared, 'swarm-key', () => randomBytes(SWARM_KEY_BYTES).toString('hex')),
  );
  const { chain: chainPort } = await keptPorts(join(shared, 'ports.json'), ['chain']);
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.splice(0).reverse()) await stop().catch(() => {});
  };
  try {
    const [chainStarted, kuboStarted] = await Promise.allSettled([
      startDevchain({
        dataDir: join(dir, 'chain', 'data'),
        port: chainPort,
        logFile: join(dir, 'chain', 'devchain.log'),
      }),
      startKuboNetwork({
        executable: toolPath(toolsDir, 'ipfs'),
        dir,
        members: organisations.map((org) => org.slug),
        swarmKey,
        repoOf: (slug) => join(dir, slug, 'kubo'),
      }),
    ]);
    if (chainStarted.status === 'fulfilled') stoppers.push(() => chainStarted.value.process.stop());
    if (kuboStarted.status === 'fulfilled') stoppers.push(() => kuboStarted.value.stop());
    if (chainStarted.status === 'rejected' || kuboStarted.status === 'rejected') {
      const failure: unknown =
        chainStarted.status === 'rejected' ? chainStarted.reason : (kuboStarted as PromiseRejectedResult).reason;
      throw new Error(`the consortium's chain or IPFS network did not start: ${messageOf(failure)}`, {
        cause: failure,
      });
    }
    const [chain, kubo] = [chainStarted.value, kuboStarted.value];
    say(`chain ${chain.rpcUrl} (shared dev chain, data ${join(dir, 'chain')})`);
    say(`ipfs ${String(kubo.members.length)} kubo nodes, private network, peered on loopback`);

    const contractsFile = join(shared, 'contracts.json');
    // a person's web wallet is served by one engine and calls the others (CORS): each lets the others' pages in
    const walletOrigins = (p: Prepared) =>
      prepared
        .filter((other) => other !== p)
        .map((other) => `http://127.0.0.1:${String(other.ports.api)}`)
        .join(',');
    const withEnv = prepared.map((p) => ({
      ...p,
      env: {
        ...engineEnv(p, chain, kubo, contractsFile),
        YILIAN_API_WALLET_ORIGINS: walletOrigins(p),
        ...options.env?.(p.org),
      },
    }));
    const cli = (env: NodeJS.ProcessEnv, args: readonly string[]) => yilian(env, args);

    // the CA deploys (or finds) the contracts from its own key; each member makes its own keys
    const ca = withEnv.find((p) => p.org.role === 'ca');
    if (!ca) throw new Error('a consortium needs its CA');
    const [deployed, ...cards] = await Promise.all([
      cli(ca.env, ['chain', 'deploy']),
      ...withEnv
        .filter((p) => p !== ca)
        .map(async (p) => {
          const card = identityCardSchema.parse(
            JSON.parse(await cli(p.env, ['org', 'keys', p.org.name, '--role', p.org.role])),
          );
          const file = join(shared, `${p.org.slug}.card.json`);
          await writeFile(file, `${JSON.stringify(card, null, 2)}\n`);
          return { slug: p.org.slug, card, file };
        }),
    ]);
    const caAccount = (JSON.parse(deployed) as { ca: `0x${string}` }).ca;
    await copyFile(join(ca.home, 'chain', 'contracts.json'), contractsFile);
    say(`contracts of the CA's engine (deployed on its first start) published in ${contractsFile}`);

    const engines = await Promise.allSettled(
      withEnv.map(async (p): Promise<Member> => {
        const node = kubo.members.find((m) => m.name === p.org.slug);
        if (!node) throw new Error(`no kubo node for ${p.org.slug}`);
        const account = p === ca ? caAccount : cards.find((c) => c.slug === p.org.slug)?.card.address;
        if (!account) throw new Error(`no identity card for ${p.org.slug}`);
        const launched = await launchEngine(p, PORT_RETRIES);
        say(`${p.org.slug} engine ${launched.apiUrl} (pid ${String(launched.process.pid)}, data ${p.home})`);
        const engine = { ...launched, kubo: node, account };
        return track({ p, engine, exited: false, queue: Promise.resolve() }, engine);
      }),
    );
    const members = engines.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    // the engines stop side by side, each draining its own workers (a restarted one: its new process)
    stoppers.push(async () => {
      await Promise.all(members.map((m) => serially(m, () => m.engine.process.stop())));
    });
    const failed = engines.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;

    // the CA's operator registers the members from their public cards alone
    if (cards.length > 0) say((await cli(ca.env, ['ca', 'register', ...cards.map((c) => c.file)])).trim());
    const memberOf = (slug: string) =>
      members.find((m) => m.p.org.slug === slug) ?? assertNever(`no organisation ${slug} in this consortium`);
    const stopEngine = (slug: string) => {
      const m = memberOf(slug);
      return serially(m, async () => {
        if (m.exited) return;
        await m.engine.process.stop();
        say(`${slug} engine stopped (its kubo node keeps running)`);
      });
    };
    const startEngine = (slug: string) => {
      const m = memberOf(slug);
      return serially(m, async () => {
        if (!m.exited) return m.engine;
        // the same ports, or its URLs would change under whoever knows them: a port taken meanwhile is an error
        const engine = await launchEngine(m.p, 0);
        track(m, { ...m.engine, ...engine });
        say(`${slug} engine ${engine.apiUrl} started again (pid ${String(engine.process.pid)}, data ${m.p.home})`);
        return m.engine;
      });
    };
    const caMember = memberOf(ca.org.slug);
    return {
      dir,
      rpcUrl: chain.rpcUrl,
      contractsFile,
      get engines() {
        return members.map((m) => m.engine);
      },
      startupMs: Date.now() - started,
      engine: (slug) => memberOf(slug).engine,
      cli: (slug, args) => cli(memberOf(slug).p.env, args),
      stopEngine,
      startEngine,
      restart: async (slug) => {
        await stopEngine(slug);
        return startEngine(slug);
      },
      person: (person) =>
        registerPerson(dir, caMember.p.env, person, (slug) => {
          const org = memberOf(slug);
          if (org.p.org.role !== 'hospital') throw new Error(`${slug} is a ${org.p.org.role}, not a hospital`);
          return org.engine.account;
        }),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

interface Prepared {
  org: Organisation;
  dir: string;
  home: string;
  ports: Ports;
  toolsDir: string;
  keystorePassword: string;
  operatorPassword: string;
  operators: string;
}

/**
 * The organisation's folder, its ports (kept, so URLs stay the same across starts), its secrets
 * (kept in its own data dir only, as the embedded stack keeps its own) and its operator's wallet.
 */
async function prepareOrganisation(
  root: string,
  org: Organisation,
  toolsDir: string,
  scrypt: ScryptParams | undefined,
): Promise<Prepared> {
  const dir = join(root, org.slug);
  const home = join(dir, 'engine');
  await mkdir(home, { recursive: true });
  const ports = await keptPorts(join(dir, 'ports.json'), ENGINE_PORTS);
  const keystorePassword = await keptSecret(home, 'keystore-password', () => randomBytes(24).toString('base64url'));
  const operatorPassword = await keptSecret(home, 'operator-password', () => randomBytes(18).toString('base64url'));
  const operatorDir = join(home, 'operator');
  const operator =
    (await keystoreFiles(operatorDir)).length === 0
      ? await Wallet.create(walletDir(operatorDir), operatorPassword, scrypt)
      : await Wallet.open(walletDir(operatorDir), operatorPassword);
  // the CA's operator registers and revokes; a member's operator enrols its patients
  const operators = `${org.role === 'ca' ? 'ca' : 'hospital'}:${operator.identity.address}`;
  return { org, dir, home, ports, toolsDir, keystorePassword, operatorPassword, operators };
}

function engineEnv(p: Prepared, chain: DevchainService, kubo: KuboNetwork, contractsFile: string): NodeJS.ProcessEnv {
  const member = kubo.members.find((m) => m.name === p.org.slug);
  return {
    ...withoutYilian(process.env),
    YILIAN_HOME: p.home,
    YILIAN_TOOLS_DIR: p.toolsDir,
    YILIAN_API_HOST: '127.0.0.1',
    YILIAN_API_PORT: String(p.ports.api),
    YILIAN_TEMPORAL_ADDRESS: `127.0.0.1:${String(p.ports.temporal)}`,
    YILIAN_TEMPORAL_UI_PORT: String(p.ports.temporalUi),
    YILIAN_REDIS_URL: `redis://127.0.0.1:${String(p.ports.redis)}`,
    YILIAN_STORAGE_BACKEND: 'kubo',
    ...(member ? { YILIAN_KUBO_API_URL: member.apiUrl } : {}),
    YILIAN_CHAIN_MODE: 'external',
    YILIAN_CHAIN_RPC_URL: chain.rpcUrl,
    ...(p.org.role === 'ca' ? {} : { YILIAN_CHAIN_CONTRACTS: contractsFile }),
    YILIAN_KEYSTORE_PASSWORD: p.keystorePassword,
    YILIAN_OPERATORS: p.operators,
    YILIAN_OPERATOR_DIR: join(p.home, 'operator'),
    YILIAN_OPERATOR_PASSWORD: p.operatorPassword,
    ...(p.org.role === 'hospital'
      ? {
          YILIAN_MLLP_HOST: '127.0.0.1',
          YILIAN_MLLP_PORT: String(p.ports.mllp),
          YILIAN_HOSPITAL_IDENTITY: p.org.name,
        }
      : { YILIAN_MLLP_ENABLED: 'false' }),
  };
}

/** An organisation's engine as the launcher keeps it: how to start it again, and whether it runs. */
interface Member {
  p: Prepared & { env: NodeJS.ProcessEnv };
  engine: ConsortiumEngine;
  /** Set once its process has exited, stopped or not. */
  exited: boolean;
  /** Its stops and starts, one after another. */
  queue: Promise<unknown>;
}

/** `engine` is the member's engine now; `exited` follows its process. */
function track(m: Member, engine: ConsortiumEngine): Member {
  m.engine = engine;
  m.exited = false;
  // an earlier process's exit, reported late, says nothing of this one
  const exited = () => {
    if (m.engine === engine) m.exited = true;
  };
  void engine.process.exited.then(exited, exited);
  return m;
}

function serially<T>(m: Member, work: () => Promise<T>): Promise<T> {
  const next = m.queue.then(work, work);
  m.queue = next.catch(() => undefined);
  return next;
}

/**
 * `ops/stack/up.ts` with the organisation's environment, ready when its log says so and its /healthz answers 200. A
 * port found free and then taken by another engine's Temporal (which picks ports of its own)
 * before this one bound it: started again on fresh ports, `retries` times at most.
 */
async function launchEngine(
  p: Prepared & { env: NodeJS.ProcessEnv },
  retries: number,
): Promise<Omit<ConsortiumEngine, 'kubo' | 'account'>> {
  for (let attempt = 0; ; attempt++) {
    const apiUrl = `http://127.0.0.1:${String(p.ports.api)}`;
    const logFile = join(p.dir, 'engine.log');
    const logFrom = await stat(logFile).then(
      (s) => s.size,
      () => 0,
    );
    try {
      const child = await startManagedProcess({
        name: `engine (${p.org.slug})`,
        command: process.execPath,
        args: ['--import', 'tsx', join(repoRoot, 'ops/stack/up.ts')],
        cwd: repoRoot,
        env: p.env,
        logFile,
        readyTimeoutMs: 240_000,
        stopTimeoutMs: ENGINE_STOP_MS,
        // this engine's own word that it listens, not only an answer on its port: a server that
        // took the port meanwhile (a Temporal UI answers any path) would pass for it
        ready: async () =>
          (await readFile(logFile)).subarray(logFrom).toString('utf8').includes(`ready api=${apiUrl} `) &&
          (await fetch(`${apiUrl}/healthz`)).ok,
      });
      await writeFile(join(p.dir, 'env'), shellEnv(p.env));
      return {
        org: p.org,
        dir: p.dir,
        home: p.home,
        apiUrl,
        ...(p.org.role === 'hospital' ? { mllpPort: p.ports.mllp } : {}),
        env: p.env,
        process: child,
      };
    } catch (error) {
      if (!/already in use/i.test(messageOf(error))) throw error;
      if (attempt >= retries)
        throw retries > 0
          ? error
          : new Error(
              `${p.org.slug}'s engine starts again on its own ports (${join(p.dir, 'ports.json')}), and one was taken meanwhile: ${messageOf(error)}`,
              { cause: error },
            );
      p.ports = await keptPorts(join(p.dir, 'ports.json'), ENGINE_PORTS, true);
      p.env = { ...p.env, ...portEnv(p.ports) };
    }
  }
}

const portEnv = (ports: Ports): NodeJS.ProcessEnv => ({
  YILIAN_API_PORT: String(ports.api),
  YILIAN_TEMPORAL_ADDRESS: `127.0.0.1:${String(ports.temporal)}`,
  YILIAN_TEMPORAL_UI_PORT: String(ports.temporalUi),
  YILIAN_REDIS_URL: `redis://127.0.0.1:${String(ports.redis)}`,
  YILIAN_MLLP_PORT: String(ports.mllp),
});

/** Ports chosen free on the first start and kept in `file`, so URLs stay the same across starts. */
async function keptPorts<N extends string>(
  file: string,
  names: readonly N[],
  fresh = false,
): Promise<Record<N, number>> {
  const kept = fresh ? undefined : await readFile(file, 'utf8').catch(() => undefined);
  if (kept) return JSON.parse(kept) as Record<N, number>;
  const ports = Object.fromEntries(
    await Promise.all(names.map(async (name) => [name, await freePort()] as const)),
  ) as Record<N, number>;
  await writeFile(file, `${JSON.stringify(ports)}\n`);
  return ports;
}

/** `yilian <args>` in an organisation's environment: what its operator would type on its host. */
async function yilian(env: NodeJS.ProcessEnv, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(repoRoot, 'ops/cli/main.ts'), ...args], {
      cwd: repoRoot,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `yilian ${args.join(' ')} (${String(env.YILIAN_HOME)}) failed: ${stderr.trim() || messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
}

const PERSON_SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;
const registeredSchema = z.object({ address: z.string().regex(/^0x[0-9a-f]{40}$/) });

/** ConsortiumPerson: `yilian wallet create` in the CA's environment, or the wallet an earlier call registered. */
async function registerPerson(
  root: string,
  caEnv: NodeJS.ProcessEnv,
  person: PersonOptions,
  hospitalAccount: (slug: string) => `0x${string}`,
): Promise<ConsortiumPerson> {
  if (!PERSON_SLUG.test(person.slug))
    throw new Error(
      `a person's slug names their wallet folder: lowercase letters, digits and "-", not ${JSON.stringify(person.slug)}`,
    );
  if (!Object.hasOwn(PERSON_ROLES, person.role))
    throw new Error(
      `a person's role is one of ${Object.keys(PERSON_ROLES).join(', ')}, not ${JSON.stringify(person.role)}`,
    );
  const organisation = person.organisation === undefined ? undefined : hospitalAccount(person.organisation);
  const dir = join(root, 'people', person.slug);
  const fresh = (await keystoreFiles(dir)).length === 0;
  await mkdir(dir, { recursive: true });
  const password = await personPassword(dir);
  const known = { slug: person.slug, name: person.name, role: person.role, dir, password };
  if (!fresh) {
    const account = (await Wallet.open(walletDir(dir), password)).identity.address;
    const config = loadConfig(caEnv);
    const entry = await lookupIdentity(chainClient(config), (await requireDeployment(config.home)).directory, account);
    const role = PERSON_ROLES[person.role];
    if (entry?.name !== person.name || entry.role !== role || entry.organisation !== (organisation ?? null))
      throw new Error(
        `${dir} holds the wallet of ${account}, which the Directory does not have as ${person.name} (${roleName(role)}` +
          `${organisation ? ` of ${organisation}` : ''}); remove the folder to register afresh`,
      );
    return { ...known, account, ...(organisation ? { organisation } : {}) };
  }
  try {
    const registered = registeredSchema.parse(
      JSON.parse(
        await yilian({ ...caEnv, YILIAN_WALLET_PASSWORD: password }, [
          'wallet',
          'create',
          '--dir',
          dir,
          '--name',
          person.name,
          '--role',
          person.role,
          // a patient publishes prekeys to each hospital they enrol with, none to the CA
          ...(person.role === 'patient' ? ['--prekeys', '0'] : []),
          ...(organisation ? ['--organisation', organisation] : []),
        ]),
      ),
    );
    return { ...known, account: registered.address as `0x${string}`, ...(organisation ? { organisation } : {}) };
  } catch (error) {
    // a wallet made but not registered: gone, so that calling again registers afresh
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A person's wallet password, made once and kept beside their wallet (their side, not the CA's). */
async function personPassword(dir: string): Promise<string> {
  const file = join(dir, 'password');
  const kept = await readFile(file, 'utf8').catch(() => undefined);
  if (kept) return kept.trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

/** The organisation's YILIAN_ settings as a shell file (`set -a; . <dir>/env`), kept in its own folder: they hold its secrets. */
function shellEnv(env: NodeJS.ProcessEnv): string {
  const lines = Object.entries(env)
    .filter(([name]) => name.startsWith('YILIAN_'))
    .map(([name, value]) => `${name}='${(value ?? '').replaceAll("'", "'\\''")}'`);
  return `${lines.join('\n')}\n`;
}

/** The environment without any YILIAN_ setting of the caller's own engine. */
function withoutYilian(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('YILIAN_')));
}

function assertNever(message: string): never {
  throw new Error(message);
}

/** Resident memory of a process and all its descendants (the engine, its Temporal and Redis), in bytes; Linux only. */
export async function treeRss(pid: number): Promise<number | undefined> {
  const entries = await readdir('/proc').catch(() => undefined);
  if (!entries) return undefined;
  const parents = new Map<number, number>();
  const rss = new Map<number, number>();
  await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const status = await readFile(`/proc/${name}/status`, 'utf8').catch(() => '');
        const ppid = /^PPid:\s+(\d+)/m.exec(status)?.[1];
        const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
        if (ppid) parents.set(Number(name), Number(ppid));
        if (kb) rss.set(Number(name), Number(kb) * 1024);
      }),
  );
  let total = 0;
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [child, parent] of parents)
      if (tree.has(parent) && !tree.has(child)) {
        tree.add(child);
        grew = true;
      }
  }
  for (const member of tree) total += rss.get(member) ?? 0;
  return total;
}

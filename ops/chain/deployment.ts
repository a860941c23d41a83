import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { zeroAddress } from 'viem';
import { z } from 'zod';
import type { Identity } from '../../core/crypto/index.js';
import type { FiscoClient } from '../../core/ledger/fisco-client.js';
import { deployContract, readContract, writeContract } from '../../core/ledger/contract-calls.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { Directory, DrugTrace, RecordRegistry } from '../../contracts/artifacts.js';
import { Role } from '../../core/roles.js';

const address = z.string().regex(/^0x[0-9a-f]{40}$/);
const deploymentSchema = z.strictObject({
  chainId: z.string(),
  groupId: z.string(),
  ca: address,
  directory: address,
  recordRegistry: address,
  drugTrace: address,
  deployedAt: z.string(),
});

export type Deployment = z.infer<typeof deploymentSchema>;

const deploymentFile = (home: string) => join(home, 'chain', 'contracts.json');

export async function readDeployment(home: string): Promise<Deployment | undefined> {
  return readDeploymentFile(deploymentFile(home));
}

async function readDeploymentFile(file: string): Promise<Deployment | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not a Yilian deployment record: not JSON`);
  }
  const parsed = deploymentSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file} is not a Yilian deployment record: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * A member engine's side of the consortium: the contracts the CA deployed, from the deployment
 * record it published, checked live on this chain and recorded in this data dir as its own
 * deployment. Nothing is deployed, and no CA key is made here.
 */
export async function joinDeployment(client: FiscoClient, home: string, published: string): Promise<Deployment> {
  const deployment = await readDeploymentFile(published);
  if (!deployment) throw new Error(`YILIAN_CHAIN_CONTRACTS=${published}: file not found`);
  if (!(await isLive(client, deployment)))
    throw new Error(
      `YILIAN_CHAIN_CONTRACTS=${published}: its contracts are not live on chain ${client.settings.chainId}/${client.settings.groupId} (another chain, or an older deployment)`,
    );
  await mkdir(join(home, 'chain'), { recursive: true });
  await writeFile(deploymentFile(home), `${JSON.stringify(deployment, null, 2)}\n`);
  return deployment;
}

/** The deployment an engine runs against; without one there is nothing to talk to. */
export async function requireDeployment(home: string): Promise<Deployment> {
  const deployment = await readDeployment(home);
  if (!deployment)
    throw new Error(
      `no contract deployment in ${deploymentFile(home)}; run \`yilian chain deploy\` (or ./ops/up) with this YILIAN_HOME first`,
    );
  return deployment;
}

/**
 * True when every recorded contract has code on the chain the client talks to, and they are of
 * this version: the registries check writers against the recorded Directory (older ones had no
 * `directory()`, so the call fails), and the Directory records affiliations.
 */
async function isLive(client: FiscoClient, deployment: Deployment): Promise<boolean> {
  if (deployment.chainId !== client.settings.chainId || deployment.groupId !== client.settings.groupId) return false;
  const codes = await Promise.all(
    [deployment.directory, deployment.recordRegistry, deployment.drugTrace].map((contract) => client.getCode(contract)),
  );
  if (!codes.every((code) => code.length > 2)) return false;
  const directories = await Promise.all([
    readContract(client, {
      address: deployment.recordRegistry,
      abi: RecordRegistry.abi,
      functionName: 'directory',
      args: [],
    }),
    readContract(client, { address: deployment.drugTrace, abi: DrugTrace.abi, functionName: 'directory', args: [] }),
  ]).catch((error: unknown) => {
    if (error instanceof LedgerError && error.code === 'REVERTED') return [];
    throw error;
  });
  if (!(directories.length === 2 && directories.every((address) => address.toLowerCase() === deployment.directory)))
    return false;
  // an older Directory's `get` returned no organisation: read with this ABI, its sixth word is the
  // CA's name length, never 0, while this version records no organisation for the CA
  const caEntry = await readContract(client, {
    address: deployment.directory,
    abi: Directory.abi,
    functionName: 'get',
    args: [deployment.ca as `0x${string}`],
  }).catch((error: unknown) => {
    if (error instanceof LedgerError && error.code === 'REVERTED') return undefined;
    throw error;
  });
  return caEntry?.[5] === zeroAddress;
}

/**
 * Deploys Directory, then RecordRegistry and DrugTrace on it, from the CA account, registers the CA
 * in its own Directory, and records the addresses in the data dir. An existing live deployment of
 * these contracts is kept.
 */
export async function ensureDeployed(
  client: FiscoClient,
  home: string,
  ca: Identity,
): Promise<{ deployment: Deployment; created: boolean }> {
  const existing = await readDeployment(home);
  if (existing && (await isLive(client, existing))) return { deployment: existing, created: false };
  const directory = await deployContract(client, ca.secretKey, Directory);
  // both check every writer against this Directory
  const [recordRegistry, drugTrace] = [
    await deployContract(client, ca.secretKey, RecordRegistry, [directory]),
    await deployContract(client, ca.secretKey, DrugTrace, [directory]),
  ];
  await writeContract(client, ca.secretKey, {
    address: directory,
    abi: Directory.abi,
    functionName: 'register',
    args: [`0x${bytesToHex(ca.address)}`, Role.CA, 'Consortium CA', `0x${bytesToHex(ca.publicKey)}`, zeroAddress],
  });
  const deployment: Deployment = {
    chainId: client.settings.chainId,
    groupId: client.settings.groupId,
    ca: `0x${bytesToHex(ca.address)}`,
    directory,
    recordRegistry,
    drugTrace,
    deployedAt: new Date().toISOString(),
  };
  await mkdir(join(home, 'chain'), { recursive: true });
  await writeFile(deploymentFile(home), `${JSON.stringify(deployment, null, 2)}\n`);
  return { deployment, created: true };
}

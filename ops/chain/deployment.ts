import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import type { Identity } from '../../core/crypto/index.js';
import type { FiscoClient } from '../../core/ledger/fisco-client.js';
import { deployContract, writeContract } from '../../core/ledger/contract-calls.js';
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
  const text = await readFile(deploymentFile(home), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = deploymentSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`${deploymentFile(home)} is not a Yilian deployment record: ${parsed.error.message}`);
  return parsed.data;
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

/** True when every recorded contract has code on the chain the client talks to. */
async function isLive(client: FiscoClient, deployment: Deployment): Promise<boolean> {
  if (deployment.chainId !== client.settings.chainId || deployment.groupId !== client.settings.groupId) return false;
  const codes = await Promise.all(
    [deployment.directory, deployment.recordRegistry, deployment.drugTrace].map((contract) => client.getCode(contract)),
  );
  return codes.every((code) => code.length > 2);
}

/**
 * Deploys Directory, RecordRegistry and DrugTrace from the CA account, registers the CA in its
 * own Directory, and records the addresses in the data dir. An existing live deployment is kept.
 */
export async function ensureDeployed(
  client: FiscoClient,
  home: string,
  ca: Identity,
): Promise<{ deployment: Deployment; created: boolean }> {
  const existing = await readDeployment(home);
  if (existing && (await isLive(client, existing))) return { deployment: existing, created: false };
  const directory = await deployContract(client, ca.secretKey, Directory);
  const [recordRegistry, drugTrace] = [
    await deployContract(client, ca.secretKey, RecordRegistry),
    await deployContract(client, ca.secretKey, DrugTrace),
  ];
  await writeContract(client, ca.secretKey, {
    address: directory,
    abi: Directory.abi,
    functionName: 'register',
    args: [`0x${bytesToHex(ca.address)}`, Role.CA, 'Consortium CA', `0x${bytesToHex(ca.publicKey)}`],
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

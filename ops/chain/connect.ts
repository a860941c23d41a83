import type { Config } from '../config/index.js';
import { FiscoClient } from '../../core/ledger/fisco-client.js';
import { signDigest } from '../../native/index.js';
import type { Identity } from '../../core/crypto/index.js';
import { keystorePassword } from './password.js';
import { loadOrCreateCa } from './ca.js';
import { ensureDeployed, joinDeployment, type Deployment } from './deployment.js';

export function chainClient(config: Config): FiscoClient {
  return new FiscoClient({
    rpcUrl: config.chain.rpcUrl,
    chainId: config.chain.chainId,
    groupId: config.chain.groupId,
    signer: signDigest,
  });
}

/**
 * Checks the node serves the configured chain, then makes sure Yilian's contracts are on it: a
 * member engine (YILIAN_CHAIN_CONTRACTS) joins the CA's, the CA's engine deploys them from its key.
 */
export async function deployFromConfig(
  config: Config,
  client = chainClient(config),
): Promise<{ ca?: Identity; deployment: Deployment; created: boolean }> {
  await client.checkChain();
  if (config.chain.contracts)
    return { deployment: await joinDeployment(client, config.home, config.chain.contracts), created: false };
  const ca = await loadOrCreateCa(config.home, await keystorePassword(config));
  return { ca, ...(await ensureDeployed(client, config.home, ca)) };
}

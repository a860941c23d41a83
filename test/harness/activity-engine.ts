import { toHex, zeroAddress, type Hex } from 'viem';
import type { Engine } from '../../activities/engine.js';
import { OperatorList } from '../../activities/operators.js';
import { Directory } from '../../contracts/artifacts.js';
import { generateIdentity } from '../../core/crypto/index.js';
import { writeContract } from '../../core/ledger/contract-calls.js';
import { FiscoClient } from '../../core/ledger/fisco-client.js';
import type { Role } from '../../core/roles.js';
import { EmbeddedContentStore } from '../../core/storage/node/index.js';
import { signDigest } from '../../native/index.js';
import { ensureDeployed } from '../../ops/chain/deployment.js';
import { openEngine } from '../../ops/engine/open.js';
import { SCRATCH_PASSWORD, SCRATCH_SCRYPT } from '../../ops/scratch/engine.js';
import { startScratchDevchain, tempDir } from '../../ops/scratch/services.js';

/**
 * What an activity test calls activities on, without Temporal: an engine on a fresh dev chain
 * (contracts deployed by a throwaway CA) holding the key of one identity registered in the
 * Directory under `identity`.
 */
export async function startActivityEngine(
  label: string,
  identity: { role: Role; name: string },
): Promise<{ engine: Engine; account: Hex; stop(): Promise<void> }> {
  const [devchain, home] = await Promise.all([startScratchDevchain(), tempDir(label)]);
  const chain = new FiscoClient({ rpcUrl: devchain.rpcUrl, chainId: 'chain0', groupId: 'group0', signer: signDigest });
  const ca = generateIdentity();
  const { deployment } = await ensureDeployed(chain, home.path, ca);
  const engine = await openEngine({
    home: home.path,
    chain,
    contracts: deployment,
    store: new EmbeddedContentStore(home.path),
    keystorePassword: SCRATCH_PASSWORD,
    operators: new OperatorList([]),
    scrypt: SCRATCH_SCRYPT,
  });
  const key = await engine.keyring.create();
  const account = toHex(key.address);
  await writeContract(chain, ca.secretKey, {
    address: deployment.directory,
    abi: Directory.abi,
    functionName: 'register',
    args: [account, identity.role, identity.name, toHex(key.publicKey), zeroAddress],
  });
  return {
    engine,
    account,
    async stop() {
      await engine.state.close();
      await devchain.stop();
      await home.remove();
    },
  };
}

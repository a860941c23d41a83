import { toHex, type Hex } from 'viem';
import type { Engine } from '../../activities/engine.js';
import { OperatorList } from '../../activities/operators.js';
import { generateIdentity } from '../../core/crypto/index.js';
import { FiscoClient } from '../../core/ledger/fisco-client.js';
import type { Role } from '../../core/roles.js';
import { EmbeddedContentStore } from '../../core/storage/node/index.js';
import { signDigest } from '../../native/index.js';
import { ensureDeployed } from '../../ops/chain/deployment.js';
import { openEngine } from '../../ops/engine/open.js';
import { SCRATCH_PASSWORD, SCRATCH_SCRYPT } from '../../ops/scratch/engine.js';
import { startScratchDevchain, tempDir } from '../../ops/scratch/services.js';
import { directoryWrites, type Registered } from './directory-writes.js';

/**
 * What an activity test calls activities on, without Temporal: an engine on a fresh dev chain
 * (contracts deployed by a throwaway CA) holding the key of one identity registered in the
 * Directory under `identity`.
 */
export async function startActivityEngine(
  label: string,
  identity: { role: Role; name: string },
): Promise<{
  engine: Engine;
  account: Hex;
  /** The CA's registration of another identity (one whose key the test holds). */
  register(who: Registered, role: Role, name: string): Promise<unknown>;
  stop(): Promise<void>;
}> {
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
  const writes = directoryWrites(chain, ca);
  const register = (who: Registered, role: Role, name: string) =>
    writes.register(deployment.directory, who, role, name);
  await register(key, identity.role, identity.name);
  return {
    engine,
    account: toHex(key.address),
    register,
    async stop() {
      await engine.state.close();
      await devchain.stop();
      await home.remove();
    },
  };
}

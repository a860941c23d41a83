import { toHex } from 'viem';
import type { PublicIdentity } from '../../core/crypto/index.js';
import type { Role } from '../../core/roles.js';
import type { EngineKeyring, EngineState } from '../state/index.js';

/**
 * The keys of an identity the engine holds, made once per name in its own keystore (asked again,
 * the same keys): what the CA later registers from the public half alone.
 */
export async function heldIdentity(
  parts: { state: EngineState; keyring: EngineKeyring },
  request: { name: string; role: Role },
): Promise<PublicIdentity> {
  const { name, role } = request;
  const known = await parts.state.localIdentity(name);
  const identity = known ? await parts.keyring.identity(known.address) : await parts.keyring.create();
  const address = toHex(identity.address);
  if (!known) await parts.state.addLocalIdentity({ name, address, role });
  return { address, publicKey: toHex(identity.publicKey) };
}

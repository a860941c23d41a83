import { z } from 'zod';
import type { ContractAddresses } from './contract-addresses.js';
import { FiscoClient } from './fisco-client.js';
import { LedgerError } from './errors.js';

/**
 * The engine's read-only door to its chain node for a browser (`/v1/chain`), so that the wallet
 * and the public trace page run the same core/ code as the CLI. Everything read through it is
 * checked the way the CLI checks what a node says: records and steps are bound to their ids and
 * signatures, content to its CID. The door only decides which reads are allowed.
 *
 * The JSON-RPC methods a reader needs: no method that sends, and nothing that lists the node's
 * peers or configuration.
 */
export const GATEWAY_READ_METHODS = [
  'getBlockNumber',
  'getBlockHashByNumber',
  'getBlockByNumber',
  'getTransaction',
  'getTransactionReceipt',
  'call',
  'getCode',
  'getGroupInfo',
] as const;
export type GatewayReadMethod = (typeof GATEWAY_READ_METHODS)[number];

/** `GET /v1/chain`: what a browser needs to address the chain the engine writes to. */
export const chainGatewayInfoSchema = z.object({
  chainId: z.string().min(1).max(64),
  groupId: z.string().min(1).max(64),
  contracts: z.object({
    directory: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    recordRegistry: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    drugTrace: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  }),
});
export type ChainGatewayInfo = z.infer<typeof chainGatewayInfoSchema>;

/** A chain client and the contracts' addresses, read through the engine at `origin` (e.g. location.origin). */
export async function connectChainGateway(
  origin: string,
  signal?: AbortSignal,
): Promise<{ chain: FiscoClient; contracts: ContractAddresses }> {
  const url = new URL('/v1/chain', origin).toString();
  const response = await fetch(url, { signal: signal ?? AbortSignal.timeout(30_000) }).catch((cause: unknown) => {
    throw new LedgerError('UNAVAILABLE', `the engine's chain gateway ${url} did not answer`, {}, { cause });
  });
  if (!response.ok)
    throw new LedgerError('UNAVAILABLE', `the engine's chain gateway ${url} answered HTTP ${response.status}`);
  const parsed = chainGatewayInfoSchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success)
    throw new LedgerError(
      'UNAVAILABLE',
      `the engine's chain gateway ${url} answered something other than its settings`,
    );
  const { chainId, groupId, contracts } = parsed.data;
  return { chain: new FiscoClient({ rpcUrl: url, chainId, groupId }), contracts };
}

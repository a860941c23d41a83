import { connectChainGateway } from '../../core/ledger/chain-gateway';

type Gateway = Awaited<ReturnType<typeof connectChainGateway>>;

/** The engine's chain settings, asked once per page: they do not change while it runs. */
let gateway: Promise<Gateway> | undefined;

/**
 * A chain client on the engine's read-only gateway and the contracts' addresses, for every page that
 * reads the chain. A failure (the engine restarting) is not kept: the next read asks again.
 */
export function chainGateway(): Promise<Gateway> {
  gateway ??= connectChainGateway(location.origin).catch((error: unknown) => {
    gateway = undefined;
    throw error;
  });
  return gateway;
}

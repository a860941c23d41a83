import { parseArgs } from 'node:util';
import { DevChain } from './chain.js';
import { createRpcServer } from './rpc-server.js';
import { embeddedPrecompiles } from '../../precompiled/embedded.js';

/**
 * The dev chain as a process: `node --import tsx ops/devchain/main.ts --data DIR --port 20200`.
 * It prints `listening <url>` once it serves, and seals what it has on SIGTERM/SIGINT.
 */
const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '20200' },
    chain: { type: 'string', default: 'chain0' },
    group: { type: 'string', default: 'group0' },
  },
});
if (!values.data) {
  console.error('devchain: --data DIR is required');
  process.exit(2);
}

const chain = await DevChain.open({
  dataDir: values.data,
  chainId: values.chain,
  groupId: values.group,
  precompiles: embeddedPrecompiles(),
});
const server = createRpcServer(chain);
// longer than clients' idle pools keep sockets, so the server is not the side that closes them mid-reuse
server.keepAliveTimeout = 65_000;
server.once('error', (error) => {
  console.error(`devchain: cannot listen on ${values.host}:${values.port}: ${error.message}`);
  process.exit(1);
});
server.listen(Number(values.port), values.host, () => {
  console.log(
    `listening http://${values.host}:${values.port} chain=${values.chain} group=${values.group} block=${chain.blockNumber()}`,
  );
});

const stop = async () => {
  server.close();
  await chain.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());

import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP relay between an engine and its chain node, for the chain-kill tests: it passes everything
 * through until armed, then holds the next `sendTransaction` at the chosen point, so that the node
 * can be killed while a transaction is exactly there. `request`: the node never received it (as if
 * it died with the transaction in its pool). `receipt`: the node committed it and answered, and the
 * answer is held (as if it died before its receipt went out). When the node goes, the relay drops
 * the engine's connections as a dying node would.
 */
export interface ChainProxy {
  rpcUrl: string;
  /** Resolves once a `sendTransaction` is held at `point`. */
  arm(point: 'request' | 'receipt'): Promise<void>;
  close(): Promise<void>;
}

const SEND = '"method":"sendTransaction"';

export async function startChainProxy(nodePort: number): Promise<ChainProxy> {
  let armed: { point: 'request' | 'receipt'; reached: () => void } | undefined;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const node = connect(nodePort, '127.0.0.1');
    for (const socket of [client, node]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    // one request at a time on a connection (HTTP/1.1 without pipelining): what it asked is known until the answer
    let request = '';
    let holding = false;
    const drop = () => {
      client.destroy();
      node.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      request += chunk.toString('latin1');
      if (armed?.point === 'request' && request.includes(SEND)) {
        holding = true;
        armed.reached();
        armed = undefined;
      }
      if (!holding) node.write(chunk);
    });
    node.on('data', (chunk: Buffer) => {
      if (armed?.point === 'receipt' && request.includes(SEND)) {
        holding = true;
        armed.reached();
        armed = undefined;
      }
      request = '';
      if (!holding) client.write(chunk);
    });
    client.on('error', drop).on('close', drop);
    node.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    rpcUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arm(point) {
      return new Promise((resolve) => (armed = { point, reached: resolve }));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

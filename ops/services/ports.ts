import { createServer } from 'node:net';

/**
 * Ports this process has handed out: the kernel may give a port again as soon as the asker has
 * closed it, before the service it was meant for binds it, and two services of one consortium
 * (an engine's API and another's Temporal UI) on one port pass for each other.
 */
const handedOut = new Set<number>();

/** Asks the kernel for a free loopback port, one this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await kernelPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('the kernel gave only ports this process had handed out already, 100 times');
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Fails with a message naming the setting when something already listens on the port. */
export function assertPortFree(host: string, port: number, setting: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is already in use (set ${setting} to another port, or stop what listens there)`
            : `cannot listen on ${host}:${port} (${setting}): ${error.message}`,
        ),
      ),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/**
 * A free loopback port in [low, high]: for a server that stores its port in a narrower type than
 * the kernel's ephemeral range needs (Temporal keeps membership ports in a smallint, ≤ 32767).
 */
export async function freePortBetween(low: number, high: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${low} and ${high} on 127.0.0.1 after 200 tries`);
}

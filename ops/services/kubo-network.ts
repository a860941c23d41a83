import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bytesToHex } from '@noble/hashes/utils.js';
import { startManagedProcess, type ManagedProcess } from './managed-process.js';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** libp2p's pre-shared key length: a private network's nodes talk only to holders of the same key. */
export const SWARM_KEY_BYTES = 32;

export interface KuboMember {
  /** The organisation the node belongs to; names its repo and log. */
  name: string;
  apiUrl: string;
  peerId: string;
  /** Its swarm address, as the other members dial it. */
  swarmAddress: string;
  process: ManagedProcess;
}

export interface KuboNetwork {
  members: KuboMember[];
  stop(): Promise<void>;
}

/**
 * A consortium's IPFS network on loopback: one kubo node per organisation, each with its own
 * repo, API and swarm port, joined by a private-network key (libp2p PSK, `LIBP2P_FORCE_PNET`: a
 * node without the key cannot even complete a handshake) and peered with every other member
 * (`Peering.Peers`, which kubo keeps connected and re-dials). No public bootstrap, no mDNS, no
 * DHT: blocks move by bitswap between members only, as content moves between the organisations'
 * own nodes in production.
 */
export async function startKuboNetwork(options: {
  executable: string;
  dir: string;
  members: string[];
  swarmKey: Uint8Array;
  /** Where a member's repo is (its log beside it, `<repo>.log`); default `<dir>/<name>`. */
  repoOf?: (name: string) => string;
}): Promise<KuboNetwork> {
  if (options.swarmKey.length !== SWARM_KEY_BYTES)
    throw new Error(`a swarm key is ${String(SWARM_KEY_BYTES)} bytes, got ${String(options.swarmKey.length)}`);
  const repoOf = options.repoOf ?? ((name: string) => join(options.dir, name));
  // each node's repo is set up on its own, side by side: kubo's commands each take a while to start
  const prepared = await Promise.all(
    options.members.map(async (name) => {
      const repo = repoOf(name);
      const env = { ...process.env, IPFS_PATH: repo, LIBP2P_FORCE_PNET: '1' };
      const ipfs = (...args: string[]) => run(options.executable, args, { env });
      await mkdir(repo, { recursive: true });
      await writeFile(join(repo, 'swarm.key'), `/key/swarm/psk/1.0.0/\n/base16/\n${bytesToHex(options.swarmKey)}\n`, {
        mode: 0o600,
      });
      // `test`: loopback addresses, no bootstrap peers, no mDNS
      if (!existsSync(join(repo, 'config'))) await ipfs('init', '--empty-repo', '--profile', 'test');
      const [apiPort, gatewayPort, swarmPort] = [await freePort(), await freePort(), await freePort()];
      await ipfs('config', 'Addresses.API', `/ip4/127.0.0.1/tcp/${String(apiPort)}`);
      await ipfs('config', 'Addresses.Gateway', `/ip4/127.0.0.1/tcp/${String(gatewayPort)}`);
      await ipfs('config', '--json', 'Addresses.Swarm', JSON.stringify([`/ip4/127.0.0.1/tcp/${String(swarmPort)}`]));
      await ipfs('config', 'Routing.Type', 'none');
      const peerId = (await ipfs('config', 'Identity.PeerID')).stdout.trim();
      return { name, repo, env, ipfs, apiPort, peerId, swarmAddress: `/ip4/127.0.0.1/tcp/${String(swarmPort)}` };
    }),
  );
  const started = await Promise.allSettled(
    prepared.map(async (node): Promise<KuboMember> => {
      const others = prepared.filter((other) => other !== node);
      await node.ipfs(
        'config',
        '--json',
        'Peering.Peers',
        JSON.stringify(others.map((other) => ({ ID: other.peerId, Addrs: [other.swarmAddress] }))),
      );
      const apiUrl = `http://127.0.0.1:${String(node.apiPort)}`;
      const daemon = await startManagedProcess({
        name: `kubo (${node.name})`,
        command: options.executable,
        args: ['daemon'],
        env: node.env,
        logFile: `${node.repo}.log`,
        ready: async () => (await fetch(`${apiUrl}/api/v0/id`, { method: 'POST' })).ok,
      });
      return { name: node.name, apiUrl, peerId: node.peerId, swarmAddress: node.swarmAddress, process: daemon };
    }),
  );
  const members = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(members.map((member) => member.process.stop()));
    throw failed.reason;
  }
  return {
    members,
    async stop() {
      await Promise.all(members.map((member) => member.process.stop()));
    },
  };
}

/** The peers a member is connected to now, by peer id. */
export async function connectedPeers(member: KuboMember): Promise<string[]> {
  const response = await fetch(`${member.apiUrl}/api/v0/swarm/peers`, { method: 'POST' });
  const body = (await response.json()) as { Peers: Array<{ Peer: string }> | null };
  return (body.Peers ?? []).map((peer) => peer.Peer);
}

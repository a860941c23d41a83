import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { TestContext } from 'node:test';
import tls from 'node:tls';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import iconv from 'iconv-lite';
import { MllpFramer } from './framer.js';
import { startMllpListener, type MllpEvent, type MllpListener, type MllpListenerOptions } from './listener.js';

export const FIXTURES = [
  'ADT-A01-01',
  'ADT-A03-01',
  'ADT-A04-01',
  'ADT-A08-01',
  'ADT-A40-01',
  'LAB-ORU-1',
  'MDM-T02-01',
  'ORU-R01-01',
  'RDE-O11-01',
  'RDS-O13-01',
];

/** A fixture as stored (LF-separated, BOM and all). */
export function fixtureBytes(name: string): Buffer {
  return readFileSync(new URL(`../../test/fixtures/hl7/${name}.hl7`, import.meta.url));
}

/** A fixture's text without BOM, segments ending in `separator`. */
export function fixture(name: string, separator = '\r'): string {
  return fixtureBytes(name)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r?\n/g, separator);
}

export function frame(payload: string | Uint8Array, encoding = 'utf8'): Buffer {
  const body = typeof payload === 'string' ? iconv.encode(payload, encoding) : payload;
  return Buffer.concat([Uint8Array.of(0x0b), body, Uint8Array.of(0x1c, 0x0d)]);
}

/**
 * A listener on a free loopback port that accepts everything unless told otherwise; its events are
 * kept, and it and every client from its connect() are closed when the test ends.
 */
export async function listen(
  t: TestContext,
  options: Partial<MllpListenerOptions> = {},
): Promise<
  MllpListener & { events: MllpEvent[]; port: number; connect: (tlsOptions?: tls.ConnectionOptions) => Promise<Client> }
> {
  const events: MllpEvent[] = [];
  const listener = await startMllpListener({
    host: '127.0.0.1',
    port: 0,
    maxMessageBytes: 1 << 20,
    idleTimeoutMs: 30_000,
    defaultCharset: 'utf-8',
    handler: () => Promise.resolve({ status: 'accept', hl7ErrorCode: 0 }),
    log: (event) => events.push(event),
    ...options,
  });
  const clients: Client[] = [];
  t.after(async () => {
    for (const client of clients) client.close();
    await listener.close();
  });
  const connect = async (tlsOptions?: tls.ConnectionOptions) => {
    const client = await Client.connect(listener.address.port, tlsOptions);
    clients.push(client);
    return client;
  };
  return Object.assign(listener, { events, port: listener.address.port, connect });
}

/** ACK segments as field arrays: [segment][field], MSH-n at index n - 1. */
export function fields(ack: string, separator = '|'): string[][] {
  return ack
    .split('\r')
    .filter((s) => s !== '')
    .map((s) => s.split(separator));
}

/** An MLLP client: writes raw bytes, reads ACK frames in order. */
export class Client {
  private readonly framer = new MllpFramer(1 << 20);
  private readonly acks: Buffer[] = [];
  private waiting: (() => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.framer.feed(chunk);
      for (let e = this.framer.next(); e; e = this.framer.next())
        if (e.kind === 'frame') this.acks.push(Buffer.from(e.payload));
      this.waiting?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    void this.closed.then(() => this.waiting?.());
  }

  static async connect(port: number, tlsOptions?: tls.ConnectionOptions): Promise<Client> {
    const socket = tlsOptions
      ? tls.connect({ host: '127.0.0.1', port, ...tlsOptions })
      : net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(tlsOptions ? 'secureConnect' : 'connect', resolve);
      socket.once('error', reject);
    });
    return new Client(socket);
  }

  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }

  /** The next ACK's raw bytes (payload only); fails when the connection closes first. */
  async nextAckBytes(timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.acks.length === 0) {
      if (this.socket.destroyed || Date.now() > deadline) throw new Error('no ACK: connection closed or timed out');
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.acks.shift() as Buffer;
  }

  async nextAck(encoding = 'utf8'): Promise<string> {
    return iconv.decode(await this.nextAckBytes(), encoding);
  }

  /** Sends a message and returns its ACK's segments. */
  async roundTrip(message: string): Promise<string[][]> {
    this.write(frame(message));
    return fields(await this.nextAck());
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Debian python3-hl7's client, installed by ops/bootstrap: an MLLP client nobody here wrote. */
export const MLLP_SEND = '/usr/bin/mllp_send';

/** Runs mllp_send and returns the ACK payloads it printed (it prints each ACK frame it receives). */
export async function mllpSend(port: number, file: string, loose: boolean): Promise<string[]> {
  const args = [...(loose ? ['--loose'] : []), '-p', String(port), '--file', file, '127.0.0.1'];
  const { stdout } = await promisify(execFile)(MLLP_SEND, args, { encoding: 'buffer', timeout: 30_000 });
  const framer = new MllpFramer(1 << 20);
  framer.feed(stdout);
  const acks: string[] = [];
  for (let e = framer.next(); e; e = framer.next())
    if (e.kind === 'frame') acks.push(Buffer.from(e.payload).toString('utf8'));
  return acks;
}

/** Checks an ACK field by field against the MSH of the message it answers (read here by plain split). */
export function checkAck(
  ack: string,
  message: string,
  name: string,
  code: 'accept' | 'error' | 'reject' = 'accept',
): void {
  const inbound = (message.split(/\r\n|\r|\n/)[0] ?? '').split('|');
  const mshIn = (n: number) => inbound[n - 1] ?? '';
  const [msh, msa, ...rest] = fields(ack);
  const out = (n: number) => msh?.[n - 1];
  assert.ok(ack.endsWith('\r') && !ack.includes('\n'), `${name}: segments end in CR`);
  assert.equal(out(1), 'MSH', name);
  assert.equal(out(2), '^~\\&', name);
  assert.deepEqual(
    [out(3), out(4), out(5), out(6)],
    [mshIn(5), mshIn(6), mshIn(3), mshIn(4)],
    `${name}: MSH-3..6 swapped`,
  );
  assert.match(out(7) ?? '', /^\d{14}[+-]\d{4}$/, `${name}: MSH-7`);
  const [, trigger, structure] = mshIn(9).split('^');
  assert.equal(out(9), structure ? `ACK^${trigger}^ACK` : `ACK^${trigger}`, `${name}: MSH-9`);
  assert.match(out(10) ?? '', /^[0-9A-F]{20}$/, `${name}: MSH-10`);
  assert.equal(out(11), mshIn(11), `${name}: MSH-11`);
  assert.equal(out(12), mshIn(12), `${name}: MSH-12`);
  assert.equal(msh?.length, 12, `${name}: nothing after MSH-12 (MSH-18 is empty in every fixture)`);
  if (code === 'accept') assert.equal(msa?.length, 3, `${name}: MSA-3 only with an error`);
  const enhanced = mshIn(15) !== '' || mshIn(16) !== '';
  const letter = { accept: 'A', error: 'E', reject: 'R' }[code];
  assert.deepEqual(msa?.slice(0, 3), ['MSA', `${enhanced ? 'C' : 'A'}${letter}`, mshIn(10)], `${name}: MSA`);
  if (code === 'accept') assert.deepEqual(rest, [], `${name}: no ERR on accept`);
  else assert.equal(rest[0]?.[0], 'ERR', `${name}: an ERR segment says why`);
}

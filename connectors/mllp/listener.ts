import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { buildAck, type Acknowledgement } from './ack.js';
import { decodePayload, encodeText, resolveCharset } from './charset.js';
import { CR, FS, MllpFramer, VT, type FrameEvent } from './framer.js';
import { parseMsh, type MshHeader } from './msh.js';

export type { Acknowledgement } from './ack.js';
export type { MshHeader } from './msh.js';

export interface InboundMessage {
  /** the frame payload exactly as received (what gets anchored) */
  bytes: Uint8Array;
  /** decoded with `charset`, BOM removed */
  text: string;
  /** the iconv-lite encoding that was used */
  charset: string;
  header: MshHeader;
  remoteAddress: string;
}

export type MessageHandler = (message: InboundMessage) => Promise<Acknowledgement>;

/** What went wrong with a frame before any handler saw it. */
export type ProtocolProblem = 'garbage' | 'truncated' | 'oversize' | 'no-msh' | 'bad-msh' | 'missing-field' | 'charset';

type CloseReason = 'peer' | 'idle-timeout' | 'listener-closed';

/** Structured log events. They never carry message contents (PHI), only sizes, codes and addresses. */
export type MllpEvent =
  | { type: 'listening'; host: string; port: number; tls: boolean }
  | { type: 'connection-open'; connection: number; remoteAddress: string }
  | {
      type: 'connection-close';
      connection: number;
      remoteAddress: string;
      frames: number;
      /** the peer left in the middle of a frame (that frame got no ACK) */
      midFrame: boolean;
      reason: CloseReason;
    }
  | {
      type: 'protocol-error';
      connection: number;
      remoteAddress: string;
      problem: ProtocolProblem;
      status: Acknowledgement['status'];
    }
  /** the handler threw: only the error's name, since its message may quote the message */
  | { type: 'handler-error'; connection: number; remoteAddress: string; error: string }
  | { type: 'socket-error'; connection: number; remoteAddress: string; code: string }
  | { type: 'tls-error'; remoteAddress: string; code: string };

export interface MllpListenerOptions {
  host: string;
  /** 0 = an ephemeral port (tests) */
  port: number;
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer; requestCert?: boolean };
  maxMessageBytes: number;
  idleTimeoutMs: number;
  /** a charset name as MSH-18 would give it (`UNICODE UTF-8`, `8859/1`, `GB 18030-2000`, `utf-8`…) */
  defaultCharset: string;
  maxConnections?: number;
  /** frames of one connection being handled or waiting for their turn to be answered */
  maxInFlightPerConnection?: number;
  /** bytes outside frames are answered after this long without more data (or when a frame starts) */
  garbageQuietMs?: number;
  handler: MessageHandler;
  log?: (event: MllpEvent) => void;
}

export interface MllpListener {
  address: { host: string; port: number };
  connections(): number;
  /** stops accepting, answers every frame already being handled, then closes the connections */
  close(): Promise<void>;
}

const DEFAULT_MAX_IN_FLIGHT = 64;
const DEFAULT_GARBAGE_QUIET_MS = 200;
/** how long a closing connection waits for the peer's FIN before it is destroyed */
const CLOSE_GRACE_MS = 2000;

const INTERNAL_ERROR: Acknowledgement = {
  status: 'reject',
  hl7ErrorCode: 207,
  reason: 'the receiver failed while accepting the message; it was not accepted, send it again',
};

interface Settings {
  framerLimit: number;
  defaultEncoding: string;
  maxInFlight: number;
  garbageQuietMs: number;
  idleTimeoutMs: number;
  handler: MessageHandler;
  log: (event: MllpEvent) => void;
}

/** ACK frame bytes: VT ‖ ACK in the message's charset ‖ FS CR. */
function ackFrame(header: MshHeader | undefined, ack: Acknowledgement, encoding: string): Buffer {
  const text = buildAck({
    inbound: header,
    ack,
    now: new Date(),
    controlId: randomBytes(10).toString('hex').toUpperCase(),
  });
  return Buffer.concat([Uint8Array.of(VT), encodeText(text, encoding), Uint8Array.of(FS, CR)]);
}

/** One slot per frame, in arrival order: ACKs leave in this order whatever order handlers finish in. */
interface Slot {
  ack?: Buffer;
}

class Connection {
  private readonly framer: MllpFramer;
  private readonly slots: Slot[] = [];
  /** chunks read while the framer still holds unscanned bytes of an earlier one */
  private readonly backlog: Buffer[] = [];
  private frames = 0;
  private closing: CloseReason | undefined;
  private garbageTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: net.Socket,
    private readonly id: number,
    private readonly remoteAddress: string,
    private readonly settings: Settings,
  ) {
    this.framer = new MllpFramer(settings.framerLimit);
    socket.setNoDelay(true);
    socket.setTimeout(settings.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      this.backlog.push(chunk);
      this.pump();
      this.armGarbageTimer();
    });
    socket.on('drain', () => {
      this.pump();
    });
    socket.on('timeout', () => {
      // a connection that owes ACKs is busy, not idle
      if (this.slots.length === 0) this.shutdown('idle-timeout');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      settings.log({ type: 'socket-error', connection: id, remoteAddress, code: error.code ?? error.name });
    });
    socket.on('end', () => {
      // the peer is done sending (the server allows half-open sockets): answer what it sent, then close
      this.shutdown('peer');
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        clearTimeout(this.garbageTimer);
        clearTimeout(this.graceTimer);
        settings.log({
          type: 'connection-close',
          connection: id,
          remoteAddress,
          frames: this.frames,
          midFrame: this.framer.inFrame,
          reason: this.closing ?? 'peer',
        });
        resolve();
      });
    });
  }

  /**
   * Stops reading and ends the connection once every frame taken is answered. When the peer ended
   * its side, what it already sent is still framed and answered; otherwise (idle, listener closing)
   * frames not yet taken get no ACK, so the sender will send them again.
   */
  shutdown(reason: CloseReason): void {
    if (this.closing) return;
    this.closing = reason;
    clearTimeout(this.garbageTimer);
    this.socket.pause();
    this.pump();
  }

  /** Takes events from the framer while the in-flight bound allows, then decides whether to read. */
  private pump(): void {
    const takesFrames = this.closing === undefined || this.closing === 'peer';
    while (takesFrames && this.slots.length < this.settings.maxInFlight) {
      const event = this.nextEvent();
      if (!event) break;
      this.dispatch(event);
    }
    const read =
      !this.closing &&
      !this.hasInput() &&
      this.slots.length < this.settings.maxInFlight &&
      !this.socket.writableNeedDrain;
    if (read) this.socket.resume();
    else this.socket.pause();
    if (this.closing) this.endIfDone();
  }

  private nextEvent(): FrameEvent | undefined {
    for (;;) {
      const event = this.framer.next();
      if (event) return event;
      const chunk = this.backlog.shift();
      if (!chunk) return undefined;
      this.framer.feed(chunk);
    }
  }

  private hasInput(): boolean {
    return this.framer.hasInput || this.backlog.length > 0;
  }

  private armGarbageTimer(): void {
    clearTimeout(this.garbageTimer);
    if (this.framer.pendingGarbage === 0) return;
    this.garbageTimer = setTimeout(() => {
      const run = this.framer.endGarbageRun();
      if (run && !this.closing) this.dispatch(run);
    }, this.settings.garbageQuietMs);
  }

  private dispatch(event: FrameEvent): void {
    if (event.kind === 'frame') this.frames++;
    const slot: Slot = {};
    this.slots.push(slot);
    void this.answer(event)
      .catch(() => ackFrame(undefined, INTERNAL_ERROR, this.settings.defaultEncoding))
      .then((ack) => {
        slot.ack = ack;
        this.flush();
      });
  }

  private flush(): void {
    for (let slot = this.slots[0]; slot?.ack; slot = this.slots[0]) {
      this.slots.shift();
      // the peer may have gone while its message was being handled
      if (!this.socket.destroyed && this.socket.writable) this.socket.write(slot.ack);
    }
    this.pump();
  }

  private endIfDone(): void {
    if (this.slots.length > 0 || this.graceTimer) return;
    if (this.closing === 'peer') {
      if (this.hasInput()) return;
      const run = this.framer.endGarbageRun();
      if (run) {
        this.dispatch(run);
        return;
      }
    }
    this.socket.end();
    this.graceTimer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    this.graceTimer.unref();
  }

  private async answer(event: FrameEvent): Promise<Buffer> {
    const { defaultEncoding } = this.settings;
    switch (event.kind) {
      case 'frame':
        return this.answerFrame(event.payload);
      case 'truncated':
        return this.refuse(event.payload, 'truncated', {
          status: 'error',
          hl7ErrorCode: 100,
          reason: 'the frame was cut off: a new frame (0x0B) started before it ended (0x1C 0x0D); send it again',
        });
      case 'oversize':
        return this.refuse(event.head, 'oversize', {
          status: 'reject',
          hl7ErrorCode: 104,
          reason: `the message is larger than this listener's limit of ${event.limit} bytes`,
        });
      case 'garbage':
        this.logProblem('garbage', 'reject');
        return ackFrame(
          undefined,
          {
            status: 'reject',
            hl7ErrorCode: 100,
            reason: `${event.bytes} bytes arrived outside any MLLP frame (0x0B message 0x1C 0x0D)`,
          },
          defaultEncoding,
        );
    }
  }

  private async answerFrame(payload: Uint8Array): Promise<Buffer> {
    const decoded = decodePayload(payload, this.settings.defaultEncoding);
    const msh = parseMsh(decoded.text);
    const answerWith = (header: MshHeader | undefined, problem: ProtocolProblem, ack: Acknowledgement) => {
      this.logProblem(problem, ack.status);
      return ackFrame(header, ack, decoded.encoding);
    };
    // no MSH first: binary noise is better told "not a message" than "not UTF-8"
    if (!msh.ok) {
      const noMsh = msh.location === 'MSH^1';
      return answerWith(undefined, noMsh ? 'no-msh' : 'bad-msh', {
        status: 'error',
        hl7ErrorCode: noMsh ? 100 : 102,
        reason: msh.reason,
        location: msh.location,
      });
    }
    const { header } = msh;
    if (!decoded.ok)
      return answerWith(header, 'charset', {
        status: 'error',
        hl7ErrorCode: 102,
        reason: decoded.reason,
        ...(decoded.msh18Declared ? { location: 'MSH^1^18' } : {}),
      });
    // an ACK cannot answer a message it cannot name (MSA-2) or mirror (MSH-9)
    for (const [value, field] of [
      [header.messageCode, 9],
      [header.controlId, 10],
    ] as const) {
      if (value === '')
        return answerWith(header, 'missing-field', {
          status: 'error',
          hl7ErrorCode: 101,
          reason: `MSH-${field} is empty`,
          location: `MSH^1^${field}`,
        });
    }
    let ack: Acknowledgement;
    try {
      ack = await this.settings.handler({
        bytes: payload,
        text: decoded.text,
        charset: decoded.encoding,
        header,
        remoteAddress: this.remoteAddress,
      });
    } catch (error) {
      this.settings.log({
        type: 'handler-error',
        connection: this.id,
        remoteAddress: this.remoteAddress,
        error: error instanceof Error ? error.name : typeof error,
      });
      ack = INTERNAL_ERROR;
    }
    return ackFrame(header, ack, decoded.encoding);
  }

  /** Answers a frame that is not handled, addressing the ACK to its MSH when one can be read. */
  private refuse(bytes: Uint8Array, problem: ProtocolProblem, ack: Acknowledgement): Buffer {
    const decoded = decodePayload(bytes, this.settings.defaultEncoding);
    const msh = parseMsh(decoded.text);
    this.logProblem(problem, ack.status);
    return ackFrame(msh.ok ? msh.header : undefined, ack, decoded.encoding);
  }

  private logProblem(problem: ProtocolProblem, status: Acknowledgement['status']): void {
    this.settings.log({
      type: 'protocol-error',
      connection: this.id,
      remoteAddress: this.remoteAddress,
      problem,
      status,
    });
  }
}

/** Starts an MLLP listener (docs/formats.md § MLLP and acknowledgements). */
export async function startMllpListener(options: MllpListenerOptions): Promise<MllpListener> {
  const defaultEncoding = resolveCharset(options.defaultCharset);
  if (!defaultEncoding) throw new Error(`MLLP listener: unsupported default charset '${options.defaultCharset}'`);
  const log = options.log ?? (() => undefined);
  const settings: Settings = {
    framerLimit: options.maxMessageBytes,
    defaultEncoding,
    maxInFlight: options.maxInFlightPerConnection ?? DEFAULT_MAX_IN_FLIGHT,
    garbageQuietMs: options.garbageQuietMs ?? DEFAULT_GARBAGE_QUIET_MS,
    idleTimeoutMs: options.idleTimeoutMs,
    handler: options.handler,
    log,
  };
  // fail at start, not at the first frame
  new MllpFramer(settings.framerLimit);
  const connections = new Set<Connection>();
  let lastId = 0;
  let closing = false;
  const accept = (socket: net.Socket) => {
    // a TLS handshake that completes after close() began
    if (closing) return socket.destroy();
    const id = ++lastId;
    const remoteAddress = socket.remoteAddress ?? '';
    log({ type: 'connection-open', connection: id, remoteAddress });
    const connection = new Connection(socket, id, remoteAddress, settings);
    connections.add(connection);
    void connection.closed.then(() => connections.delete(connection));
  };
  // half-open: a sender that ends its side after its last frame still gets every ACK
  const server = options.tls
    ? tls
        .createServer(
          {
            ...options.tls,
            rejectUnauthorized: options.tls.requestCert ?? false,
            handshakeTimeout: options.idleTimeoutMs,
            allowHalfOpen: true,
          },
          accept,
        )
        .on('tlsClientError', (error: NodeJS.ErrnoException, socket) => {
          log({ type: 'tls-error', remoteAddress: socket.remoteAddress ?? '', code: error.code ?? error.name });
        })
    : net.createServer({ allowHalfOpen: true }, accept);
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  const address = { host: bound.address, port: bound.port };
  log({ type: 'listening', ...address, tls: options.tls !== undefined });
  return {
    address,
    connections: () => connections.size,
    close: async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const open = [...connections];
      for (const connection of open) connection.shutdown('listener-closed');
      await Promise.all([stopped, ...open.map((c) => c.closed)]);
    },
  };
}

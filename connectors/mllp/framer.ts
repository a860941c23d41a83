/** MLLP frame bytes: VT starts a frame, the pair FS CR ends it (a lone FS inside a frame is data). */
export const VT = 0x0b;
export const FS = 0x1c;
export const CR = 0x0d;
const LF = 0x0a;

/** How many bytes of an oversize frame's start are kept so that its ACK can name its MSH-10. */
export const OVERSIZE_HEAD_BYTES = 4096;

export type FrameEvent =
  /** a complete frame's payload (between VT and FS CR), undecoded */
  | { kind: 'frame'; payload: Uint8Array }
  /** a VT arrived before the frame in progress ended with FS CR: that frame's payload so far */
  | { kind: 'truncated'; payload: Uint8Array }
  /**
   * The frame in progress grew past the limit: reported once, the rest of it up to its FS CR is
   * discarded. `head` is its first segment, cut at OVERSIZE_HEAD_BYTES or the limit, for the ACK's MSA-2.
   */
  | { kind: 'oversize'; limit: number; head: Uint8Array }
  /** a run of bytes outside any frame ended (a VT came, or the listener saw a quiet period) */
  | { kind: 'garbage'; bytes: number };

type State = 'outside' | 'frame' | 'discard';

/**
 * Scans an MLLP byte stream. The caller feeds one chunk at a time and pulls events with next()
 * until it returns undefined; pulling (rather than a callback per frame) lets the listener stop in
 * the middle of a chunk when its in-flight bound is reached and continue later. Bytes are kept
 * undecoded until a frame is complete, because a chunk boundary can split a multibyte character.
 * At most `maxMessageBytes` of a frame are ever buffered.
 */
export class MllpFramer {
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private state: State = 'outside';
  private parts: Uint8Array[] = [];
  private size = 0;
  /** the previous chunk of a frame ended in FS: CR at the start of the next one ends the frame */
  private heldFs = false;
  private garbage = 0;

  constructor(private readonly maxMessageBytes: number) {
    if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1)
      throw new RangeError(`maxMessageBytes must be a positive integer, got ${maxMessageBytes}`);
  }

  /** Hands over the next chunk; the previous one must have been consumed (next() → undefined). */
  feed(chunk: Uint8Array): void {
    if (this.hasInput) throw new Error('MllpFramer.feed: the previous chunk is not consumed yet');
    this.chunk = chunk;
    this.pos = 0;
  }

  /** Whether the fed chunk still has bytes that next() has not scanned. */
  get hasInput(): boolean {
    return this.pos < this.chunk.length;
  }

  /** Whether a frame has started and not ended (the peer is mid-message). */
  get inFrame(): boolean {
    return this.state !== 'outside';
  }

  /** Non-whitespace bytes seen outside frames since the last garbage event. */
  get pendingGarbage(): number {
    return this.garbage;
  }

  /**
   * Ends the current garbage run (the listener calls this after a quiet period, so that garbage
   * with no frame after it is still answered).
   */
  endGarbageRun(): FrameEvent | undefined {
    if (this.garbage === 0) return undefined;
    const bytes = this.garbage;
    this.garbage = 0;
    return { kind: 'garbage', bytes };
  }

  next(): FrameEvent | undefined {
    while (this.hasInput) {
      const event = this.state === 'outside' ? this.scanOutside() : this.scanFrame();
      if (event) return event;
    }
    return undefined;
  }

  private scanOutside(): FrameEvent | undefined {
    const { chunk } = this;
    const vt = chunk.indexOf(VT, this.pos);
    const end = vt < 0 ? chunk.length : vt;
    for (let i = this.pos; i < end; i++) {
      // CR and LF between frames are what many senders put after FS CR: not garbage
      const b = chunk[i];
      if (b !== CR && b !== LF) this.garbage++;
    }
    this.pos = end;
    if (vt < 0) return undefined;
    // the garbage run ends here; the VT is consumed on the next call
    const run = this.endGarbageRun();
    if (run) return run;
    this.pos = vt + 1;
    this.startFrame();
    return undefined;
  }

  private scanFrame(): FrameEvent | undefined {
    const { chunk } = this;
    const discarding = this.state === 'discard';
    if (this.heldFs) {
      this.heldFs = false;
      if (chunk[this.pos] === CR) {
        this.pos++;
        return this.endFrame();
      }
      // the held FS was data after all
      const oversize = this.append(Uint8Array.of(FS));
      if (oversize) return oversize;
    }
    const start = this.pos;
    const fs = chunk.indexOf(FS, start);
    const stop = fs < 0 ? chunk.length : fs;
    // inside a frame a VT means the sender gave up on this frame and started another; while
    // discarding an oversize frame only its FS CR ends it (binary bodies may hold VT bytes)
    const vt = discarding ? -1 : chunk.subarray(start, stop).indexOf(VT);
    if (vt >= 0) {
      const oversize = this.append(chunk.subarray(start, start + vt));
      this.pos = start + vt + 1;
      // past the limit before the VT: the frame is being discarded, and discarding ignores VT
      if (oversize) return oversize;
      const payload = this.takePayload();
      this.startFrame();
      return { kind: 'truncated', payload };
    }
    if (fs < 0) {
      this.pos = chunk.length;
      return this.append(chunk.subarray(start));
    }
    if (fs + 1 === chunk.length) {
      this.pos = chunk.length;
      this.heldFs = true;
      return this.append(chunk.subarray(start, fs));
    }
    if (chunk[fs + 1] === CR) {
      const oversize = this.append(chunk.subarray(start, fs));
      this.pos = fs + 2;
      const end = this.endFrame();
      // a frame that crossed the limit only at its last part is still reported, once
      return oversize ?? end;
    }
    this.pos = fs + 1;
    return this.append(chunk.subarray(start, fs + 1));
  }

  private startFrame(): void {
    this.state = 'frame';
    this.parts = [];
    this.size = 0;
    this.heldFs = false;
  }

  private endFrame(): FrameEvent | undefined {
    const wasDiscarding = this.state === 'discard';
    const payload = this.takePayload();
    this.state = 'outside';
    return wasDiscarding ? undefined : { kind: 'frame', payload };
  }

  /** Adds bytes to the frame in progress; returns the oversize event when they cross the limit. */
  private append(bytes: Uint8Array): FrameEvent | undefined {
    if (this.state === 'discard' || bytes.length === 0) return undefined;
    if (this.size + bytes.length > this.maxMessageBytes) {
      const head = firstSegment([...this.parts, bytes], Math.min(OVERSIZE_HEAD_BYTES, this.maxMessageBytes));
      this.parts = [];
      this.size = 0;
      this.state = 'discard';
      return { kind: 'oversize', limit: this.maxMessageBytes, head };
    }
    // copied (Buffer's slice() would be a view): a view would pin the whole socket chunk
    this.parts.push(new Uint8Array(bytes));
    this.size += bytes.length;
    return undefined;
  }

  private takePayload(): Uint8Array {
    const payload = concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return payload;
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1 && parts[0]) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The bytes before the first CR or LF among the first `cap` bytes of the parts. The cap is at most
 * the limit, so the head is the same however the frame was cut into chunks.
 */
function firstSegment(parts: Uint8Array[], cap: number): Uint8Array {
  const head = new Uint8Array(cap);
  let size = 0;
  for (const part of parts) {
    const take = part.subarray(0, cap - size);
    const end = take.findIndex((b) => b === CR || b === LF);
    head.set(end < 0 ? take : take.subarray(0, end), size);
    size += end < 0 ? take.length : end;
    if (end >= 0 || size === cap) break;
  }
  return head.slice(0, size);
}

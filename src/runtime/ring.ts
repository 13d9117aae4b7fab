// A one-way byte stream between two threads in a SharedArrayBuffer: one
// writer, one reader, frames in order, never lost, never blocking
// (docs/runtime.md, "Data plane").
//
// Layout: a 64-byte header of Int32 words, then the ring (a power of two
// bytes). W and R count bytes written and read (wrapping at 2^32; a
// position is the count modulo the size). A frame is 8 bytes (u32 payload
// length, u32 flags) and the payload, padded to 8 bytes, so a frame header
// never straddles the end; a payload may (copied in two parts).
//
// - A message (one batch) larger than the free space goes in chunks: every
//   chunk but the last has flag MORE; the reader joins them. What does not
//   fit yet waits in the writer's backlog, in order, and goes out as the
//   reader frees space: the writer then sleeps with Atomics.waitAsync on R
//   (flag WRITER_SLEEPS, raised and cleared by the writer only), and the
//   reader wakes it (Atomics.notify) after each time it frees space while
//   the flag is up.
// - The reader sleeps with Atomics.waitAsync on W when the ring is empty;
//   the writer wakes it with one Atomics.notify after a write, only if it
//   sleeps (flag READER_SLEEPS), so a busy reader costs the writer nothing.
//   A wake-up is the expensive part (about 15 us of the waker's CPU on the
//   2-core reference machine, the same as a MessagePort's), so a reader that
//   just got something looks again for LINGER_TURNS event-loop turns
//   (setImmediate) before it sleeps: under load the other side then never
//   has to wake it.
// - A reader takes only whole frames (W moves after the bytes are written),
//   and delivers only whole messages: if the writing thread dies in the
//   middle of a message, its chunks are never delivered.
const W = 0;
const R = 1;
const READER_SLEEPS = 2;
const WRITER_SLEEPS = 3;
const CLOSED = 4;
const HEADER_BYTES = 64;
const FRAME_HEADER = 8;
const MORE = 1;
/** A message that does not fit whole goes out in chunks of at least this much (or its rest, or a quarter of the ring). */
const MIN_CHUNK = 4096;
/** Empty event-loop turns a reader waits through, after it got something, before it sleeps. */
const LINGER_TURNS = 2;

const align8 = (n: number): number => (n + 7) & ~7;
/** A reader's buffer grown past this by one big message is let go after it. */
const KEEP_BYTES = 4 << 20;

/** Atomics.waitAsync (V8, Node >= 16; not yet in TypeScript's ES2022 lib). */
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, index: number, value: number) => WaitAsyncResult }).waitAsync;

/** A SharedArrayBuffer for a ring of `capacity` bytes (rounded up to a power of two, at least 4 KiB). */
export function createRing(capacity = 1 << 20): SharedArrayBuffer {
  let size = 4096;
  while (size < capacity) size *= 2;
  return new SharedArrayBuffer(HEADER_BYTES + size);
}

class RingView {
  readonly header: Int32Array;
  readonly data: Uint8Array;
  readonly words: Int32Array;
  readonly size: number;
  readonly mask: number;

  constructor(sab: SharedArrayBuffer) {
    this.header = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.size = sab.byteLength - HEADER_BYTES;
    if (this.size < 4096 || (this.size & (this.size - 1)) !== 0) throw new Error(`ring: ${this.size} bytes is not a power of two of at least 4096 (use createRing)`);
    this.data = new Uint8Array(sab, HEADER_BYTES, this.size);
    this.words = new Int32Array(sab, HEADER_BYTES, this.size / 4);
    this.mask = this.size - 1;
  }

  get closed(): boolean {
    return Atomics.load(this.header, CLOSED) === 1;
  }

  /** Mark the ring closed and wake both sides (they stop waiting). */
  close(): void {
    Atomics.store(this.header, CLOSED, 1);
    Atomics.notify(this.header, W);
    Atomics.notify(this.header, R);
  }
}

interface Pending {
  data: Uint8Array;
  off: number;
}

/** The writing end. `write` copies the message out (the caller may reuse its buffer). */
export class RingWriter {
  private readonly ring: RingView;
  private w: number;
  private readonly backlog: Pending[] = [];
  private sleeping = false;
  /** R as last read by pump: the writer sleeps only while R still has this value (else space came meanwhile). */
  private lastR = 0;
  /** Messages and bytes written, times the writer had to wait for space, and times it woke the reader. */
  messages = 0;
  bytes = 0;
  waits = 0;
  wakes = 0;

  constructor(sab: SharedArrayBuffer) {
    this.ring = new RingView(sab);
    this.w = Atomics.load(this.ring.header, W);
  }

  /** Bytes waiting in the backlog for space in the ring. */
  get backlogBytes(): number {
    let n = 0;
    for (const p of this.backlog) n += p.data.length - p.off;
    return n;
  }

  /** Queue one message (a batch); it goes out in order after every earlier one. */
  write(msg: Uint8Array): void {
    if (this.ring.closed) return;
    this.messages++;
    this.bytes += msg.length;
    if (this.backlog.length === 0) {
      const p = { data: msg, off: 0 };
      this.pump(p);
      if (p.off === msg.length) return;
      // A copy (not Buffer#slice, which shares the caller's memory).
      this.backlog.push({ data: new Uint8Array(msg.subarray(p.off)), off: 0 });
    } else this.backlog.push({ data: new Uint8Array(msg), off: 0 });
    this.waitForSpace();
  }

  /** Stop: nothing more is written; a sleeping reader wakes and stops. */
  close(): void {
    this.backlog.length = 0;
    this.ring.close();
  }

  /** Write as much of `p` as fits now; returns whether any frame was written. */
  private pump(p: Pending): boolean {
    const ring = this.ring;
    const h = ring.header;
    let wrote = false;
    while (p.off < p.data.length) {
      this.lastR = Atomics.load(h, R);
      const used = (this.w - this.lastR) | 0;
      const free = ring.size - used;
      const rest = p.data.length - p.off;
      if (free < FRAME_HEADER + Math.min(rest, MIN_CHUNK, ring.size >> 2)) break;
      const chunk = Math.min(rest, (free - FRAME_HEADER) & ~7);
      const at = this.w & ring.mask;
      ring.words[at >> 2] = chunk;
      ring.words[(at >> 2) + 1] = chunk < rest ? MORE : 0;
      const start = (at + FRAME_HEADER) & ring.mask;
      const first = Math.min(chunk, ring.size - start);
      ring.data.set(p.data.subarray(p.off, p.off + first), start);
      if (first < chunk) ring.data.set(p.data.subarray(p.off + first, p.off + chunk), 0);
      p.off += chunk;
      this.w = (this.w + FRAME_HEADER + align8(chunk)) | 0;
      wrote = true;
    }
    if (wrote) {
      Atomics.store(h, W, this.w);
      if (Atomics.load(h, READER_SLEEPS) === 1 && Atomics.exchange(h, READER_SLEEPS, 0) === 1) {
        this.wakes++;
        Atomics.notify(h, W);
      }
    }
    return wrote;
  }

  /** Send the backlog as space frees; sleeps on R between tries. */
  private readonly drainBacklog = (): void => {
    this.sleeping = false;
    // The writer clears its own flag (the reader only reads it): see waitForSpace.
    Atomics.store(this.ring.header, WRITER_SLEEPS, 0);
    while (this.backlog.length > 0 && !this.ring.closed) {
      const p = this.backlog[0]!;
      this.pump(p);
      if (p.off < p.data.length) break;
      this.backlog.shift();
    }
    if (this.backlog.length > 0) this.waitForSpace();
  };

  /**
   * Sleep until the reader moves R. The flag goes up first, then R is read
   * again: a reader that moves R after that read sees the flag and notifies
   * (then the wait either is woken or sees R changed), and one that moved R
   * before it is seen here. Only the writer clears the flag (drainBacklog):
   * when the reader cleared it (an exchange), a second wake-up for the same
   * R, say after a message and again at the end of its loop, could take
   * down the flag of a writer that had not started to wait yet, and that
   * writer then slept with nobody left to wake it (found by a stress run:
   * both rings empty, a backlog of megabytes, the writer asleep).
   */
  private waitForSpace(): void {
    if (this.sleeping || this.ring.closed) return;
    this.sleeping = true;
    this.waits++;
    const h = this.ring.header;
    Atomics.store(h, WRITER_SLEEPS, 1);
    const r = Atomics.load(h, R);
    if (r !== this.lastR) {
      queueMicrotask(this.drainBacklog);
      return;
    }
    const res = waitAsync(h, R, r);
    if (res.async) void res.value.then(this.drainBacklog);
    else queueMicrotask(this.drainBacklog);
  }
}

/**
 * The reading end: calls `deliver(buf, length)` with each whole message, in
 * order (`buf` is the reader's, valid during the call). `start()` begins
 * reading as messages come; `drain()` reads what is there now, synchronously.
 */
export class RingReader {
  private readonly ring: RingView;
  private r: number;
  private asm: Buffer = Buffer.allocUnsafe(64 * 1024);
  private asmLen = 0;
  private reading = false;
  private started = false;
  private stopped = false;
  private idleTurns = LINGER_TURNS;
  /** Messages delivered, and times the reader was woken. */
  messages = 0;
  wakeups = 0;

  constructor(
    sab: SharedArrayBuffer,
    private readonly deliver: (buf: Buffer, length: number) => void,
  ) {
    this.ring = new RingView(sab);
    this.r = Atomics.load(this.ring.header, R);
  }

  /** Read messages as they come (each wake-up reads everything there). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.loop();
  }

  /** Stop reading (what is not read yet stays in the ring). */
  stop(): void {
    this.stopped = true;
  }

  /** Deliver every whole message in the ring now. Returns how many. */
  drain(): number {
    if (this.reading) return 0;
    this.reading = true;
    const ring = this.ring;
    const h = ring.header;
    let n = 0;
    try {
      for (;;) {
        const w = Atomics.load(h, W);
        if (w === this.r) break;
        while (this.r !== w) {
          const at = this.r & ring.mask;
          const len = ring.words[at >> 2]!;
          const flags = ring.words[(at >> 2) + 1]!;
          const start = (at + FRAME_HEADER) & ring.mask;
          this.reserve(len);
          const first = Math.min(len, ring.size - start);
          this.asm.set(ring.data.subarray(start, start + first), this.asmLen);
          if (first < len) this.asm.set(ring.data.subarray(0, len - first), this.asmLen + first);
          this.asmLen += len;
          this.r = (this.r + FRAME_HEADER + align8(len)) | 0;
          if ((flags & MORE) === 0) {
            // Free the space before handing the message on (the handler may write a lot).
            Atomics.store(h, R, this.r);
            this.wakeWriter();
            const length = this.asmLen;
            this.asmLen = 0;
            this.messages++;
            n++;
            this.deliver(this.asm, length);
            // One huge message does not keep a huge buffer for good.
            if (this.asm.length > KEEP_BYTES) this.asm = Buffer.allocUnsafe(64 * 1024);
          }
        }
        Atomics.store(h, R, this.r);
        this.wakeWriter();
      }
    } finally {
      this.reading = false;
    }
    return n;
  }

  /** After R moved: wake a writer waiting for space (it clears its flag itself when it runs: RingWriter.waitForSpace). */
  private wakeWriter(): void {
    const h = this.ring.header;
    if (Atomics.load(h, WRITER_SLEEPS) === 1) Atomics.notify(h, R);
  }

  private reserve(n: number): void {
    if (this.asmLen + n <= this.asm.length) return;
    let size = this.asm.length * 2;
    while (size < this.asmLen + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.asm.copy(next, 0, 0, this.asmLen);
    this.asm = next;
  }

  private readonly loop = (): void => {
    const h = this.ring.header;
    for (;;) {
      if (this.stopped || this.ring.closed) return;
      if (this.drain() > 0) this.idleTurns = 0;
      if (this.stopped || this.ring.closed) return;
      if (this.idleTurns < LINGER_TURNS) {
        this.idleTurns++;
        setImmediate(this.loop);
        return;
      }
      Atomics.store(h, READER_SLEEPS, 1);
      const res = waitAsync(h, W, this.r);
      if (res.async) {
        void res.value.then(this.woken);
        return;
      }
      Atomics.store(h, READER_SLEEPS, 0);
    }
  };

  private readonly woken = (): void => {
    this.wakeups++;
    Atomics.store(this.ring.header, READER_SLEEPS, 0);
    this.loop();
  };
}

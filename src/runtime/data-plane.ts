// One end of the data plane between the main thread and a worker thread
// (docs/runtime.md, "Data plane"): batches of entries (protocol.ts
// DownEntry/UpEntry) encoded by wire-codec.ts into a SharedArrayBuffer ring
// (ring.ts) each way. Replaces a MessagePort's structured clone on both
// sides with a compact encoding and one copy each way, and a wake-up only
// when the other side sleeps.
//
// An entry that cannot be encoded (a message holding a function) is left
// out of its batch with one error line naming its message type; the rest of
// the batch goes. A batch that cannot be decoded (a bug, or memory
// overwritten) means the stream cannot be trusted any more: the plane stops
// reading and calls `onCorrupt`, and the runtime treats the worker thread as
// dead (its actors restart on a fresh thread from their durable copies, and
// the journal redelivers what they had not finished), so nothing is lost.
import { logger } from './log.js';
import { createRing, RingReader, RingWriter } from './ring.js';
import { Decoder, Encoder } from './wire-codec.js';

const log = logger('runtime');

/** The two rings of one thread's data plane: `down` main -> worker, `up` worker -> main. */
export interface DataRings {
  down: SharedArrayBuffer;
  up: SharedArrayBuffer;
}

/** Fresh rings for a worker thread (each `capacity` bytes). */
export function createDataRings(capacity = 1 << 20): DataRings {
  return { down: createRing(capacity), up: createRing(capacity) };
}

/** Counters of one end. */
export interface DataPlaneStats {
  batchesOut: number;
  entriesOut: number;
  bytesOut: number;
  batchesIn: number;
  entriesIn: number;
  bytesIn: number;
  /** Times this end's reader was woken from sleep (Atomics.waitAsync). */
  wakeups: number;
  /** Times this end woke the other side's sleeping reader (Atomics.notify). */
  wakesSent: number;
  /** Times the writer found the ring full and waited for space. */
  fullWaits: number;
}

export class DataPlane<Out extends readonly unknown[], In extends readonly unknown[]> {
  private readonly writer: RingWriter;
  private readonly reader: RingReader;
  private readonly enc = new Encoder();
  private readonly dec = new Decoder();
  private closed = false;
  readonly stats: DataPlaneStats = { batchesOut: 0, entriesOut: 0, bytesOut: 0, batchesIn: 0, entriesIn: 0, bytesIn: 0, wakeups: 0, wakesSent: 0, fullWaits: 0 };

  /**
   * `out`: the ring this end writes; `in`: the ring it reads. `onBatch` gets
   * each incoming batch, in order, after `start()` (or during `drain()`).
   */
  constructor(
    out: SharedArrayBuffer,
    inRing: SharedArrayBuffer,
    private readonly onBatch: (batch: In[]) => void,
    private readonly name = 'data plane',
    private readonly onCorrupt: (err: Error) => void = () => undefined,
  ) {
    this.writer = new RingWriter(out);
    this.reader = new RingReader(inRing, (buf, length) => this.receive(buf, length));
  }

  start(): void {
    this.reader.start();
  }

  /** Encode and send one batch (entries that cannot be encoded are left out, logged). */
  send(batch: readonly Out[]): void {
    if (this.closed || batch.length === 0) return;
    const enc = this.enc;
    enc.begin();
    const countAt = enc.pos;
    enc.u32(0);
    let n = 0;
    for (const e of batch) {
      const at = enc.mark();
      try {
        if (Array.isArray(e)) enc.entry(e);
        else enc.value(e);
        n++;
      } catch (err) {
        enc.rollback(at);
        log.error(`${this.name}: cannot send ${describeEntry(e)} to another thread: ${(err as Error).message}`);
      }
    }
    if (n === 0) return;
    enc.buf.writeUInt32LE(n, countAt);
    const bytes = enc.bytes();
    this.stats.batchesOut++;
    this.stats.entriesOut += n;
    this.stats.bytesOut += bytes.length;
    this.writer.write(bytes);
    this.stats.fullWaits = this.writer.waits;
    this.stats.wakesSent = this.writer.wakes;
  }

  /** Deliver every whole batch that arrived, now (a dead thread's last words). */
  drain(): void {
    this.reader.drain();
  }

  /** Stop both ways: nothing more is sent or delivered; the other side's waits end. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.stop();
    this.writer.close();
  }

  private receive(buf: Buffer, length: number): void {
    if (this.closed) return;
    this.stats.wakeups = this.reader.wakeups;
    const dec = this.dec;
    let batch: In[];
    try {
      dec.begin(buf, length);
      const n = dec.u32();
      batch = new Array<In>(n);
      for (let i = 0; i < n; i++) batch[i] = dec.value() as In;
    } catch (err) {
      log.error(`${this.name}: a batch cannot be decoded (${(err as Error).message}); this stream is given up`);
      this.reader.stop();
      this.closed = true;
      this.onCorrupt(err as Error);
      return;
    }
    this.stats.batchesIn++;
    this.stats.entriesIn += batch.length;
    this.stats.bytesIn += length;
    try {
      this.onBatch(batch);
    } catch (err) {
      log.error(`${this.name}: handling a batch failed: ${(err as Error).stack ?? (err as Error).message}`);
    }
  }
}

function describeEntry(e: unknown): string {
  if (!Array.isArray(e)) return 'an entry';
  const msg = e.find((x) => typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string') as { type: string } | undefined;
  return msg ? `a ${msg.type} message` : `an entry ${String(e[0])}`;
}

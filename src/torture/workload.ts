// The torture workload: clients on every node doing compare-and-set on a few
// files (read the rev, SET at that rev), blind sets, create-only sets,
// deletes and linearizable reads, each recorded with invoke and complete
// times and its outcome; and WAIT streams on /** recording every event.
import { performance } from 'node:perf_hooks';
import { Client } from '../client/client.js';
import { DoozerError } from '../wire/errors.js';
import type { Prng } from '../sim/prng.js';
import type { FileOp } from '../check/history.js';
import type { WatchEvent, WatchStream } from '../check/watch.js';

/** Errors after which the op surely did not take effect (the node refuses before proposing). */
const DEFINITE = new Set(['READONLY', 'BAD_PATH', 'MISSING_ARG', 'ISDIR', 'NOTDIR', 'TOO_LATE', 'RANGE', 'NOENT', 'TAG_IN_USE', 'UNKNOWN_VERB']);

/** What an op is, before it runs. */
type OpSpec = { f: 'read'; path: string; local?: boolean } | { f: 'set'; path: string; value: string; cond: number } | { f: 'del'; path: string; cond: number };

/** Shared recording state. */
export class Recorder {
  readonly history: FileOp[] = [];
  private nextId = 0;
  readonly now = (): number => performance.now();
  add(op: Omit<FileOp, 'id'>): FileOp {
    const full = { ...op, id: this.nextId++ } as FileOp;
    this.history.push(full);
    return full;
  }
  counts(): { ops: number; ok: number; fail: number; unknown: number } {
    let ok = 0;
    let fail = 0;
    let unknown = 0;
    for (const o of this.history) {
      if (o.outcome === 'ok') ok++;
      else if (o.outcome === 'fail') fail++;
      else unknown++;
    }
    return { ops: this.history.length, ok, fail, unknown };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]);
}

export interface WorkerOptions {
  name: string;
  /** The node's -l address (the client talks to this node only). */
  addr: () => string;
  /** Files of the current generation, e.g. ['/t/g0/r0', ...]. */
  registers: () => string[];
  prng: Prng;
  rec: Recorder;
  /** Per-op timeout (ms) after which the outcome is unknown. */
  opTimeoutMs: number;
  /** Mean pause between ops (ms; uniform in [0, 2x]), to keep CPU use modest. Default 0. */
  thinkMs?: number;
}

/** One client: runs ops one after another until stop() (one connection at a time; a new one after any doubt). */
export class Worker {
  private stopped = false;
  private client: Client | undefined;
  private seq = 0;
  private done: Promise<void> | undefined;

  constructor(private readonly o: WorkerOptions) {}

  start(): void {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    await this.client?.close().catch(() => undefined);
  }

  private async conn(): Promise<Client> {
    if (!this.client) this.client = await withTimeout(Client.dial(this.o.addr(), { connectTimeoutMs: 2000 }), 3000);
    return this.client;
  }

  private drop(): void {
    const c = this.client;
    this.client = undefined;
    void c?.close().catch(() => undefined);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.one();
        const think = this.o.thinkMs ?? 0;
        if (think > 0) await new Promise((r) => setTimeout(r, this.o.prng.next() * 2 * think));
      } catch {
        // Recorded inside; back off a little when the node is unreachable.
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private value(): string {
    return `${this.o.name}-${this.seq++}`;
  }

  /** Runs `call` as an op on `path`, recording it. */
  private async op<T>(base: OpSpec, call: (c: Client) => Promise<T>, fill: (op: FileOp, v: T) => void): Promise<FileOp> {
    const rec = this.o.rec;
    let c: Client;
    try {
      c = await this.conn();
    } catch {
      this.drop();
      throw new Error('no connection');
    }
    const node = this.o.addr();
    const invoke = rec.now();
    try {
      const v = await withTimeout(call(c), this.o.opTimeoutMs);
      const op = rec.add({ ...base, client: this.o.name, node, invoke, complete: rec.now(), outcome: 'ok' } as Omit<FileOp, 'id'>);
      fill(op, v);
      return op;
    } catch (e) {
      if (e instanceof DoozerError && (e.code === 'REV_MISMATCH' || DEFINITE.has(e.code))) {
        return rec.add({ ...base, client: this.o.name, node, invoke, complete: rec.now(), outcome: 'fail', error: e.code } as Omit<FileOp, 'id'>);
      }
      this.drop();
      return rec.add({ ...base, client: this.o.name, node, invoke, complete: Infinity, outcome: 'unknown', error: e instanceof Error ? e.message : String(e) } as Omit<FileOp, 'id'>);
    }
  }

  private async one(): Promise<void> {
    const p = this.o.prng;
    const regs = this.o.registers();
    const path = p.pick(regs);
    const k = p.next();
    if (k < 0.4) {
      // Compare-and-set: a local read for the rev, then SET at that rev.
      const r = await this.op({ f: 'read', path, local: true }, (c) => c.get(path), (op, v) => {
        Object.assign(op, { value: v.value.toString(), rev: v.rev });
      });
      if (r.outcome !== 'ok' || r.f !== 'read') return;
      const value = this.value();
      await this.op({ f: 'set', path, value, cond: r.rev ?? 0 }, (c) => c.set(path, r.rev ?? 0, value), (op, rev) => Object.assign(op, { rev }));
    } else if (k < 0.55) {
      const value = this.value();
      await this.op({ f: 'set', path, value, cond: -1 }, (c) => c.set(path, -1, value), (op, rev) => Object.assign(op, { rev }));
    } else if (k < 0.62) {
      const value = this.value();
      await this.op({ f: 'set', path, value, cond: 0 }, (c) => c.set(path, 0, value), (op, rev) => Object.assign(op, { rev }));
    } else if (k < 0.7) {
      await this.op({ f: 'del', path, cond: -1 }, (c) => c.del(path, -1), () => undefined);
    } else {
      await this.linearizableRead(path);
    }
  }

  /** A read made linearizable: a write through the same node first (answered after this node applied it), then a GET. */
  async linearizableRead(path: string): Promise<FileOp> {
    const sync = `/t-sync/${this.o.name.replace(/[^A-Za-z0-9.-]/g, '-')}`;
    return this.op({ f: 'read', path }, async (c) => {
      await c.set(sync, -1, '');
      return c.get(path);
    }, (op, v) => Object.assign(op, { value: v.value.toString(), rev: v.rev }));
  }
}

/** A WAIT /** stream on one node; restarts as a new segment after a lost connection. */
export class Watcher {
  readonly segments: WatchStream[] = [];
  private stopped = false;
  private abort = new AbortController();
  private done: Promise<void> | undefined;

  constructor(private readonly name: string, private readonly addr: () => string, private readonly fromRev?: number) {}

  start(): void {
    this.done = this.loop();
  }

  /** The last rev seen, or 0. */
  lastRev(): number {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const ev = this.segments[i]!.events;
      if (ev.length) return ev[ev.length - 1]!.rev;
    }
    return 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.done;
  }

  private async loop(): Promise<void> {
    let from = this.fromRev;
    while (!this.stopped) {
      let c: Client | undefined;
      try {
        c = await withTimeout(Client.dial(this.addr(), { connectTimeoutMs: 2000 }), 3000);
        if (from === undefined) from = (await withTimeout(c.rev(), 3000)) + 1;
        const seg: WatchStream = { name: `${this.name} #${this.segments.length} from ${from}`, glob: '/**', fromRev: from, events: [] };
        this.segments.push(seg);
        for await (const e of c.watch('/**', from, { signal: this.abort.signal })) {
          const ev: WatchEvent = { rev: e.rev, path: e.path, value: e.value.toString(), flags: e.flags };
          seg.events.push(ev);
        }
      } catch {
        // Lost: start a new segment from the node's current rev (history may not reach back).
      } finally {
        await c?.close().catch(() => undefined);
      }
      from = undefined;
      if (!this.stopped) await new Promise((r) => setTimeout(r, 200));
    }
  }
}

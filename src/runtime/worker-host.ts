// The runtime inside one worker thread: an ActorHost whose messages for
// other threads go to the main thread's router, in one batch per turn, with
// what the main thread needs to bring this thread's permanent actors back on
// a fresh thread if this one dies (durable.ts, docs/runtime.md):
//
// - durable state changes ('d': the turn's replayed calls per instance, the
//   plain entries that changed), in the same batch as the messages the
//   change allowed the actor to send (a batch arrives whole or not at all);
// - copies of messages between permanent actors of this thread ('j');
// - how far each permanent actor got through its journaled inputs ('p').
import { logger } from './log.js';
import type { ActorFactory, ActorSpec } from './actor.js';
import { DataPlane, type DataRings } from './data-plane.js';
import { WriteThroughMap } from './durable.js';
import { ActorHost } from './host.js';
import type { Message } from './message.js';
import { EXPECT, type DownEntry, type SpawnState, type UpEntry, type WorkerControl } from './protocol.js';

const log = logger('worker');

/** Numbers 1, 2, 3... handled possibly out of order (a refused message is done at once); `wm`: all up to here are done. */
class DoneTracker {
  wm = 0;
  private readonly ahead = new Set<number>();

  mark(seq: number): void {
    if (seq === this.wm + 1) {
      this.wm++;
      while (this.ahead.delete(this.wm + 1)) this.wm++;
    } else if (seq > this.wm) this.ahead.add(seq);
  }
}

interface SpawnRequest {
  spec: ActorSpec;
  state: SpawnState;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface Expected {
  /** The marker came: messages for it wait in `buffer` until the request does. */
  marked: boolean;
  buffer: DownEntry[];
  request?: SpawnRequest;
}

interface Tagged {
  msg: Message;
  local: boolean;
  seq: number;
}

/** Journal bookkeeping of one permanent actor. */
class Journaled {
  readonly remote = new DoneTracker();
  readonly local = new DoneTracker();
  lseq = 0;
  /** The journaled messages in its mailbox, oldest first (timer messages are not journaled). */
  readonly inbox: Tagged[] = [];
  head = 0;

  constructor(readonly durable: WriteThroughMap) {}

  shiftIf(msg: Message): Tagged | undefined {
    const t = this.inbox[this.head];
    if (!t || t.msg !== msg) return undefined;
    this.inbox[this.head++] = undefined as unknown as Tagged;
    if (this.head > 1024 && this.head * 2 > this.inbox.length) {
      this.inbox.splice(0, this.head);
      this.head = 0;
    }
    return t;
  }
}

export class WorkerRuntime {
  readonly host: ActorHost;
  private out: UpEntry[] = [];
  /** 'j' entries in `out` this turn (those handled by the end of the turn are left out of the batch). */
  private journalCopies = 0;
  private flushScheduled = false;
  private readonly journaled = new Map<string, Journaled>();
  /** Durable init of the actor being spawned, picked up by makeDurable. */
  private pendingInit: SpawnState | undefined;
  /** Set while delivering a message from the main thread. */
  private delivering: { seq: number } | undefined;
  /** Actors whose start marker or spawn request came, but not both yet. */
  private readonly expected = new Map<string, Expected>();
  /** Permanent actors that ran this turn: their progress and durable changes go in the batch. */
  private readonly touched = new Set<string>();
  private readonly plane: DataPlane<UpEntry, DownEntry>;
  private finished!: () => void;
  readonly done = new Promise<void>((resolve) => (this.finished = resolve));

  constructor(
    readonly thread: string,
    kinds: Record<string, ActorFactory>,
    rings: DataRings,
    debugHooks: boolean,
  ) {
    this.host = new ActorHost({
      thread,
      kinds,
      debugHooks,
      forward: (to, msg, from) => {
        this.emit(['m', to, msg, from ?? '']);
        return true;
      },
      // The supervisor is on the main thread: it answers with resume (or stop).
      onCrash: (name, reason) => this.emit(['c', name, reason]),
      hooks: {
        makeDurable: (spec) => this.makeDurable(spec),
        localSend: (to, msg, accepted) => this.localSend(to, msg, accepted),
        afterReceive: (name, msg) => this.afterReceive(name, msg),
        exited: (name, reason) => {
          this.journaled.delete(name);
          this.touched.delete(name);
          this.emit(['x', name, reason]);
        },
      },
    });
    this.plane = new DataPlane<UpEntry, DownEntry>(rings.up, rings.down, (batch) => this.deliver(batch), `thread ${thread}: data plane`, (err) => {
      // Inputs were lost: this thread dies, and the main thread brings its
      // actors back on a fresh one with every message they had not finished.
      setTimeout(() => {
        throw new Error(`thread ${thread}: data plane from the main thread is corrupt (${err.message})`);
      }, 0);
    });
    this.plane.start();
  }

  /** The comlink control API. */
  readonly control: WorkerControl = {
    spawn: (spec, state) =>
      new Promise<void>((resolve, reject) => {
        const x = this.expected.get(spec.name);
        const request = { spec, state, resolve, reject };
        if (x?.marked) {
          this.expected.delete(spec.name);
          this.start(request);
          this.deliver(x.buffer);
        } else this.expected.set(spec.name, { marked: false, buffer: [], request });
      }),
    stop: (name, reason) => {
      const x = this.expected.get(name);
      if (x) {
        this.expected.delete(name);
        x.request?.reject(new Error(`stopped before it started (${reason})`));
      }
      this.host.stop(name, reason);
    },
    restart: (name, reason) => this.host.restart(name, reason),
    suspend: (name) => this.host.suspend(name),
    resume: (name, reason, dependency) => this.host.resume(name, reason, dependency),
    stats: (peek) => this.host.stats(peek),
    inspect: (name, peek) => this.host.stats(peek).find((s) => s.name === name),
    crash: () => {
      log.warn(`thread ${this.thread}: crash requested through the debug hook`);
      setTimeout(() => {
        throw new Error(`thread ${this.thread} crashed on request (debug hook)`);
      }, 0);
    },
    shutdown: () => {
      this.host.stopAll();
      this.flush();
      // The rings stay: the main thread reads what is left, then closes them.
      setImmediate(() => this.finished());
    },
  };

  private makeDurable(spec: ActorSpec): Map<string, unknown> {
    const name = spec.name;
    // A temporary actor does not come back on a fresh thread: nothing to copy.
    if ((spec.restart ?? 'permanent') === 'temporary') return new Map<string, unknown>();
    const actorLog = logger(name);
    const map = new WriteThroughMap(() => this.touch(name), this.pendingInit?.durable, (m) => actorLog.warn(m));
    this.journaled.set(name, new Journaled(map));
    return map;
  }

  private start(r: SpawnRequest): void {
    this.pendingInit = r.state;
    try {
      this.host.spawn(r.spec, { restarts: r.state.restarts, ...(r.state.lastError !== undefined ? { lastError: r.state.lastError } : {}) });
    } catch (e) {
      r.reject(e);
      return;
    } finally {
      this.pendingInit = undefined;
    }
    const j = this.journaled.get(r.spec.name);
    if (j) {
      // Restored without part of its state: a restart, for its supervisor.
      if (j.durable.restoredPartially.length > 0) this.emit(['r', r.spec.name, j.durable.restoredPartially.join('; ')]);
      this.touch(r.spec.name);
    }
    r.resolve();
  }

  private deliver(batch: DownEntry[]): void {
    for (const e of batch) {
      if (e[0] === EXPECT) {
        const name = e[1];
        const x = this.expected.get(name);
        if (x?.request) {
          this.expected.delete(name);
          this.start(x.request);
        } else this.expected.set(name, { marked: true, buffer: [] });
        continue;
      }
      const [to, msg, rseq] = e;
      const x = this.expected.get(to);
      if (x?.marked) {
        x.buffer.push(e);
        continue;
      }
      // Stopped meanwhile: drop it (never bounce it back to the main thread).
      if (!this.host.hosts(to)) continue;
      this.delivering = rseq > 0 ? { seq: rseq } : undefined;
      this.host.send(to, msg);
      this.delivering = undefined;
    }
  }

  private localSend(to: string, msg: Message, accepted: boolean): void {
    const j = this.journaled.get(to);
    if (!j) return;
    let local: boolean;
    let seq: number;
    if (this.delivering) {
      local = false;
      seq = this.delivering.seq;
    } else {
      local = true;
      seq = ++j.lseq;
      this.journalCopies++;
      this.emit(['j', to, seq, msg]);
    }
    if (accepted) j.inbox.push({ msg, local, seq });
    else {
      (local ? j.local : j.remote).mark(seq);
      this.touch(to);
    }
  }

  private afterReceive(name: string, msg: Message): void {
    const j = this.journaled.get(name);
    if (!j) return;
    const t = j.shiftIf(msg);
    if (t) (t.local ? j.local : j.remote).mark(t.seq);
    this.touch(name);
  }

  private touch(name: string): void {
    this.touched.add(name);
    this.scheduleFlush();
  }

  private emit(e: UpEntry): void {
    this.out.push(e);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /**
   * Send this turn's batch: what the actors sent (and their replayed calls,
   * in order), then the durable changes of every permanent actor that ran,
   * then how far each got. The main thread takes a batch whole or not at all.
   *
   * A copy of a message between two actors of this thread ('j') that its
   * receiver handled within the same turn is left out: the batch's progress
   * entry ('p') would drop it from the journal at once, so it would only
   * cost an encoding, a decoding and a journal entry (under load most local
   * messages, the Paxos traffic between the roles, are handled in the turn
   * that sent them).
   */
  flush(): void {
    this.flushScheduled = false;
    if (this.journalCopies > 0) {
      this.journalCopies = 0;
      this.out = this.out.filter((e) => e[0] !== 'j' || e[2] > (this.journaled.get(e[1])?.local.wm ?? 0));
    }
    for (const name of this.touched) {
      const j = this.journaled.get(name);
      if (!j) continue;
      for (const r of j.durable.collect()) this.out.push(['d', name, r]);
      this.out.push(['p', name, j.remote.wm, j.local.wm]);
    }
    this.touched.clear();
    if (this.out.length === 0) return;
    const batch = this.out;
    this.out = [];
    this.plane.send(batch);
  }
}

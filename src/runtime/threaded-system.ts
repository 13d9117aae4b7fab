// The actor system as the node sees it: actors on the main thread and on
// worker threads, placed by kind (placement.ts), one address space.
//
// Threads: piscina owns the worker threads (one long-running task per
// thread turns it into an actor host, worker-entry.ts); comlink drives each
// thread's control API (spawn, stop, restart, stats); messages travel in
// two SharedArrayBuffer rings per thread (data-plane.ts), batched per
// event-loop turn and compactly encoded, never one comlink round trip per
// message. The main thread is the router: a worker
// sends everything not hosted on it here, and this thread passes it on.
//
// Supervision across threads (docs/runtime.md):
// - the supervision tree (supervisor.ts) lives on this thread; an actor that
//   throws, on any thread, ends its instance there (its messages queue) and
//   its supervisor here decides: restart it (and, rest_for_one, what depends
//   on it) in place, by the control port, or fail and escalate;
// - a worker thread that dies is replaced by a fresh one; its permanent
//   actors start there with their durable state (kept on this thread by
//   write-through, durable.ts) and every message they had not finished
//   (kept here in a journal until the worker reports them handled); its
//   temporary actors (client sessions) are gone: their connections close;
//   Together this makes the death invisible to the actors on other threads:
//   every message a permanent actor had not finished is handled once, from
//   the state it had after the last one it did finish. (An actor whose
//   durable state cannot be copied, durable.ts, makes the node exit instead.)
//   An actor restored with only part of its state (a partial durable class)
//   counts as restarted: its rest_for_one dependents restart (the worker
//   reports it, 'r');
// - a thread that keeps dying, like a root supervisor that gives up,
//   is fatal: one log line and the node exits non-zero.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import { logger } from './log.js';
import type { ActorFactory, ActorSpec } from './actor.js';
import { createDataRings, DataPlane } from './data-plane.js';
import { DurableMirror } from './durable.js';
import { ActorHost, DEBUG_CRASH, type ExitCallback } from './host.js';
import type { Message } from './message.js';
import { MAIN, POOL, placeOf, poolThreads, workerThreads, type Placement } from './placement.js';
import { EXPECT, type DownEntry, type HostTask, type UpEntry, type WorkerControl } from './protocol.js';
import type { ActorStats } from './stats.js';
import {
  RestartTracker,
  SupervisionTree,
  defaultRestartLimits,
  isSupervisorSpec,
  type RestartLimits,
  type SupervisorInfo,
  type SupervisorSpec,
} from './supervisor.js';
import type { ActorSystem } from './system.js';
import { release, wrapPort, type Remote } from './comlink-node.js';
import { distModuleUrl } from './dist-url.js';

const log = logger('runtime');

/** A worker that does not answer a stats call within this long is shown as not answering. */
const STATS_TIMEOUT_MS = 1000;
const SHUTDOWN_TIMEOUT_MS = 2000;

export interface ActorSystemOptions {
  placement: Placement;
  kinds: Record<string, ActorFactory>;
  /** Kind groups a placement may name (placement.ts kindGroups). */
  groups?: Record<string, readonly string[]>;
  /** The node cannot go on: the root supervisor gave up, or a thread exceeded its restart intensity. */
  onFatal(reason: string): void;
  /** The top supervisor (its parent and children are ignored). Default: `root`, one_for_one. */
  root?: SupervisorSpec;
  /** Intensity and period of supervisors that do not set theirs, and everyone's backoff (default: defaultRestartLimits). */
  limits?: RestartLimits;
  /** Restart intensity of each worker thread (deaths). */
  threadLimits?: RestartLimits;
  /** `$crash` messages make actors throw; crashThread works (tests only). */
  debugHooks?: boolean;
  /**
   * Modules (file URLs of compiled JavaScript) worker threads load their
   * actor kinds from: each exports `actorKinds` and registers the durable
   * classes its actors use. The node gives src/actors/kinds.ts's URL.
   */
  kindModules?: string[];
}

export interface ThreadStats {
  name: string;
  state: string;
  actors: number;
  deaths: number;
  batchesOut: number;
  entriesOut: number;
  batchesIn: number;
  entriesIn: number;
  /** Encoded bytes each way (data plane). */
  bytesOut: number;
  bytesIn: number;
  /** Data plane of the current thread: times the main thread woke it, and times it woke the main thread. */
  wakesOut: number;
  wakesIn: number;
}

/** A dist/ file next to this one, also when this one runs as TypeScript from src/ (vitest). */
export function distFile(relative: string): string {
  return fileURLToPath(new URL(`./${relative}`, distModuleUrl(import.meta.url)));
}

/** A FIFO with cheap removal from the front. */
class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
  toArray(): T[] {
    return this.items.slice(this.head) as T[];
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

interface JournalEntry {
  seq: number;
  msg: Message;
  /** Arrival order here, to merge the two streams when redelivering. */
  order: number;
}

/** A worker thread slot: its current incarnation (a fresh thread replaces a dead one). */
class Slot {
  incarnation = 0;
  state: 'starting' | 'up' | 'dead' | 'closed' = 'starting';
  plane!: DataPlane<DownEntry, UpEntry>;
  controlPort!: MessagePort;
  control!: Remote<WorkerControl>;
  task: Promise<unknown> | undefined;
  out: DownEntry[] = [];
  flushScheduled = false;
  readonly actors = new Set<string>();
  readonly tracker: RestartTracker;
  deaths = 0;
  /** Data-plane traffic: batches, the entries in them and their encoded bytes (all incarnations). */
  batchesOut = 0;
  entriesOut = 0;
  batchesIn = 0;
  entriesIn = 0;
  bytesOut = 0;
  bytesIn = 0;

  constructor(
    readonly name: string,
    limits: RestartLimits,
  ) {
    this.tracker = new RestartTracker(limits);
  }
}

/** An actor on a worker thread, as the main thread keeps track of it. */
interface Placed {
  spec: ActorSpec;
  slot: Slot;
  permanent: boolean;
  state: 'spawning' | 'up';
  rseq: number;
  remoteJournal: Queue<JournalEntry>;
  localJournal: Queue<JournalEntry>;
  mirror: DurableMirror;
  watchers: ExitCallback[];
  restarts: number;
  lastError?: string;
  /** Control calls (suspend, resume) waiting for it to run on its thread. */
  whenUp: (() => void)[];
}

/** The root supervisor when the options name none. */
export const DEFAULT_ROOT: SupervisorSpec = { name: 'root', strategy: 'one_for_one' };

export class ThreadedSystem implements ActorSystem {
  readonly host: ActorHost;
  readonly tree: SupervisionTree;
  private readonly slots = new Map<string, Slot>();
  private readonly placed = new Map<string, Placed>();
  private readonly pool: Piscina | undefined;
  private readonly poolNames: string[];
  private closing = false;
  private order = 0;
  private readonly workerFile = distFile('worker-entry.js');

  constructor(private readonly opts: ActorSystemOptions) {
    this.tree = new SupervisionTree(
      opts.root ?? DEFAULT_ROOT,
      {
        suspend: (name) => this.suspendActor(name),
        resume: (name, reason, dependency) => this.resumeActor(name, reason, dependency),
        stop: (name, reason) => this.stop(name, reason),
        fatal: (reason) => {
          if (!this.closing) opts.onFatal(reason);
        },
        now: () => performance.now(),
        later: (fn, ms) => {
          setTimeout(() => {
            if (!this.closing) fn();
          }, ms);
        },
      },
      opts.limits ?? defaultRestartLimits,
    );
    this.host = new ActorHost({
      thread: MAIN,
      kinds: opts.kinds,
      ...(opts.debugHooks ? { debugHooks: true } : {}),
      forward: (to, msg) => this.route(to, msg),
      onCrash: (name, reason) => this.tree.crashed(name, reason),
      hooks: { exited: (name) => this.tree.remove(name) },
    });
    const threads = workerThreads(opts.placement);
    this.poolNames = poolThreads(opts.placement);
    if (threads.length > 0) {
      this.pool = new Piscina({
        filename: this.workerFile,
        minThreads: threads.length,
        maxThreads: threads.length,
        idleTimeout: Infinity,
        concurrentTasksPerWorker: 1,
        atomics: 'disabled',
        maxQueue: Infinity,
      });
      this.pool.on('error', (e: Error) => log.error(`worker pool: ${e.message}`));
      for (const t of threads) {
        const slot = new Slot(t, opts.threadLimits ?? defaultRestartLimits);
        this.slots.set(t, slot);
        this.startSlot(slot);
      }
    }
  }

  /** Worker thread names (named ones, then the pool). */
  get threads(): string[] {
    return [...this.slots.keys()];
  }

  /** Each worker thread: deaths so far and data-plane traffic (batches and the entries in them, each way). */
  threadStats(): ThreadStats[] {
    return [...this.slots.values()].map((s) => ({
      name: s.name,
      state: s.state,
      actors: s.actors.size,
      deaths: s.deaths,
      batchesOut: s.batchesOut,
      entriesOut: s.entriesOut,
      batchesIn: s.batchesIn,
      entriesIn: s.entriesIn,
      bytesOut: s.bytesOut + (s.state === 'up' ? s.plane.stats.bytesOut : 0),
      bytesIn: s.bytesIn + (s.state === 'up' ? s.plane.stats.bytesIn : 0),
      wakesOut: s.state === 'up' ? s.plane.stats.wakesSent : 0,
      wakesIn: s.state === 'up' ? s.plane.stats.wakeups : 0,
    }));
  }

  /** Where `name` runs: "main", a worker thread name, or undefined. */
  whereIs(name: string): string | undefined {
    if (this.host.hosts(name)) return MAIN;
    return this.placed.get(name)?.slot.name;
  }

  /** Resolves when every worker thread answers its control port. */
  async ready(timeoutMs = 15_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`worker threads did not start within ${timeoutMs} ms (is dist/ built? npm run build)`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all([...this.slots.values()].map((s) => s.control.stats(0))), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Start a supervisor (supervisor.ts) under `spec.parent` (default: the
   * root), then its children in order. Throws on a taken name or an unknown
   * parent, kind or thread.
   */
  spawnSupervisor(spec: SupervisorSpec): void {
    this.tree.addSupervisor(spec);
    for (const c of spec.children ?? []) {
      if (isSupervisorSpec(c)) this.spawnSupervisor({ ...c, parent: spec.name });
      else this.spawn({ ...c, supervisor: spec.name });
    }
  }

  /** The supervision tree, parents before children (for /$actors). */
  supervisors(): SupervisorInfo[] {
    return this.tree.info();
  }

  spawn(spec: ActorSpec): void {
    if (this.placed.has(spec.name) || this.host.has(spec.name)) throw new Error(`actor ${spec.name} already exists`);
    if (spec.supervisor !== undefined && !this.tree.has(spec.supervisor)) throw new Error(`no supervisor ${spec.supervisor} for actor ${spec.name}`);
    const where = placeOf(this.opts.placement, spec.kind, this.opts.groups);
    if (where === MAIN || this.slots.size === 0) {
      // In the tree first: its factory may crash at once, and its supervisor must know it.
      this.tree.addActor(spec.name, spec.supervisor, (spec.restart ?? 'permanent') === 'temporary');
      try {
        this.host.spawn(spec);
      } catch (e) {
        this.tree.remove(spec.name);
        throw e;
      }
      return;
    }
    if (this.placed.has(spec.name) || this.host.has(spec.name)) throw new Error(`actor ${spec.name} already exists`);
    if (!this.opts.kinds[spec.kind]) throw new Error(`unknown actor kind ${spec.kind}`);
    const slot = where === POOL ? this.leastLoaded() : this.slots.get(where);
    if (!slot) throw new Error(`placement puts ${spec.kind} on thread ${where}, which does not exist`);
    const p: Placed = {
      spec,
      slot,
      permanent: (spec.restart ?? 'permanent') === 'permanent',
      state: 'spawning',
      rseq: 0,
      remoteJournal: new Queue(),
      localJournal: new Queue(),
      mirror: new DurableMirror(),
      watchers: [],
      restarts: 0,
      whenUp: [],
    };
    this.placed.set(spec.name, p);
    slot.actors.add(spec.name);
    this.tree.addActor(spec.name, spec.supervisor, !p.permanent);
    this.spawnOnSlot(p);
  }

  /** SupervisionOps.suspend, wherever the actor runs. */
  private suspendActor(name: string): void {
    const p = this.placed.get(name);
    if (!p) {
      this.host.suspend(name);
      return;
    }
    this.whenUp(p, () => p.slot.control.suspend(name).catch(() => undefined));
  }

  /** Run a control call for `p` once it runs (now, or when its start on a thread completes). */
  private whenUp(p: Placed, call: () => void): void {
    if (p.state === 'up' && p.slot.state === 'up') call();
    else p.whenUp.push(call);
  }

  /** SupervisionOps.resume, wherever the actor runs. */
  private resumeActor(name: string, reason: string, dependency?: string): void {
    const p = this.placed.get(name);
    if (!p) {
      this.host.resume(name, reason, dependency);
      return;
    }
    this.whenUp(p, () => {
      p.slot.control.resume(name, reason, dependency).then(
        (started) => {
          if (started) p.restarts++;
        },
        () => undefined,
      );
    });
  }

  stop(name: string, reason = 'stopped'): void {
    const p = this.placed.get(name);
    if (!p) {
      this.host.stop(name, reason);
      return;
    }
    this.forget(p);
    if (p.slot.state === 'up' || p.slot.state === 'starting') {
      p.slot.control.stop(name, reason).catch(() => undefined);
    }
    for (const w of p.watchers) w(name, reason);
  }

  send<M extends Message>(to: string, msg: M): boolean {
    return this.host.send(to, msg);
  }

  registerEndpoint(name: string, deliver: (msg: Message) => void): () => void {
    return this.host.registerEndpoint(name, deliver);
  }

  onExit(name: string, cb: ExitCallback): void {
    const p = this.placed.get(name);
    if (p) p.watchers.push(cb);
    else this.host.onExit(name, cb);
  }

  async stats(peekCount = 5): Promise<ActorStats[]> {
    const out = await this.allStats(peekCount);
    for (const s of out) {
      const sup = this.tree.supervisorOf(s.name);
      if (sup !== undefined) s.supervisor = sup;
    }
    return out;
  }

  private async allStats(peekCount: number): Promise<ActorStats[]> {
    const out = this.host.stats(peekCount);
    const perSlot = await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        if (slot.state !== 'up') return { slot, stats: undefined };
        const stats = await Promise.race([
          slot.control.stats(peekCount).catch(() => undefined),
          new Promise<undefined>((r) => setTimeout(() => r(undefined), STATS_TIMEOUT_MS).unref()),
        ]);
        return { slot, stats };
      }),
    );
    for (const { slot, stats } of perSlot) {
      const seen = new Set<string>();
      for (const s of stats ?? []) {
        const p = this.placed.get(s.name);
        if (!p || p.slot !== slot) continue;
        seen.add(s.name);
        out.push(s);
      }
      // Actors being (re)started, or on a thread that does not answer.
      for (const name of slot.actors) {
        if (seen.has(name)) continue;
        const p = this.placed.get(name)!;
        out.push({
          name,
          kind: p.spec.kind,
          thread: slot.name,
          depth: 0,
          maxDepth: 0,
          capacity: p.spec.mailboxCapacity ?? 0,
          processed: 0,
          refused: 0,
          restarts: p.restarts,
          rate: 0,
          ...(p.lastError !== undefined ? { lastError: p.lastError } : {}),
          peek: [],
          state: slot.state === 'up' ? (p.state === 'spawning' ? 'starting' : 'not answering') : `thread ${slot.state}`,
        });
      }
    }
    return out;
  }

  async stopAll(): Promise<void> {
    this.closing = true;
    this.host.stopAll();
    await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        if (slot.state === 'dead' || slot.state === 'closed') return;
        slot.state = 'closed';
        this.flushSlot(slot);
        await Promise.race([
          slot.control.shutdown().catch(() => undefined),
          new Promise((r) => setTimeout(r, SHUTDOWN_TIMEOUT_MS).unref()),
        ]);
        release(slot.control);
        slot.plane.drain();
        this.closePlane(slot);
        slot.controlPort.close();
      }),
    );
    await this.pool?.destroy();
  }

  // ---- debug hooks (tests) ----

  /** Make worker thread `thread` die of an uncaught exception. */
  async crashThread(thread: string): Promise<void> {
    if (!this.opts.debugHooks) throw new Error('debug hooks are off');
    const slot = this.slots.get(thread);
    if (!slot || slot.state !== 'up') throw new Error(`no running worker thread ${thread}`);
    // Not awaited: the answer may die with the thread.
    slot.control.crash().catch(() => undefined);
  }

  /** Make actor `name` throw while handling its next message. */
  crashActor(name: string): boolean {
    if (!this.opts.debugHooks) throw new Error('debug hooks are off');
    return this.send(name, { type: DEBUG_CRASH });
  }

  /** The main thread's copy of a worker actor's durable entry (tests). */
  durableCopy(name: string, key: string): unknown {
    return this.placed.get(name)?.mirror.value(key);
  }

  // ---- routing ----

  /** A message for an address the main host does not have (from a main-thread actor or endpoint code). */
  private route(to: string, msg: Message): boolean {
    const p = this.placed.get(to);
    if (!p) {
      log.debug(`no actor ${to}: dropped ${msg.type}`);
      return false;
    }
    return this.deliver(p, msg);
  }

  private deliver(p: Placed, msg: Message): boolean {
    let rseq = 0;
    if (p.permanent) {
      rseq = ++p.rseq;
      p.remoteJournal.push({ seq: rseq, msg, order: ++this.order });
    }
    this.enqueue(p.slot, [p.spec.name, msg, rseq]);
    return true;
  }

  private enqueue(slot: Slot, entry: DownEntry): void {
    slot.out.push(entry);
    if (!slot.flushScheduled) {
      slot.flushScheduled = true;
      // One batch per turn. Sent by actors during a drain: right after the
      // drain (the drain already gathered everything). Sent by socket code:
      // at the end of this event-loop iteration, so that the requests of
      // every connection that was read go in one batch.
      if (this.host.draining) queueMicrotask(() => this.flushSlot(slot));
      else setImmediate(() => this.flushSlot(slot));
    }
  }

  private flushSlot(slot: Slot): void {
    slot.flushScheduled = false;
    // A dead slot keeps what is sent to it for its next thread.
    if (slot.out.length === 0 || slot.state === 'dead') return;
    const batch = slot.out;
    slot.out = [];
    slot.batchesOut++;
    slot.entriesOut += batch.length;
    slot.plane.send(batch);
  }

  /** A batch from a worker thread. */
  private receive(slot: Slot, batch: UpEntry[]): void {
    slot.batchesIn++;
    slot.entriesIn += batch.length;
    for (const e of batch) {
      switch (e[0]) {
        case 'm': {
          const [, to, msg, from] = e;
          const p = this.placed.get(to);
          if (p) this.deliver(p, msg);
          else if (this.host.has(to)) this.host.send(to, msg);
          else log.debug(`no actor ${to}: dropped ${msg.type} from ${from || slot.name}`);
          break;
        }
        case 'j': {
          const p = this.placed.get(e[1]);
          if (p && p.slot === slot) p.localJournal.push({ seq: e[2], msg: e[3], order: ++this.order });
          break;
        }
        case 'd': {
          const p = this.placed.get(e[1]);
          if (!p || p.slot !== slot) break;
          try {
            p.mirror.apply(e[2]);
          } catch (err) {
            // Should not happen; if it does, this copy can no longer be trusted.
            log.error(`durable copy of ${e[1]}: ${(err as Error).message}`);
            p.mirror.lossy = [`copy broken: ${(err as Error).message}`];
          }
          break;
        }
        case 'p': {
          const p = this.placed.get(e[1]);
          if (!p || p.slot !== slot) break;
          while ((p.remoteJournal.peek()?.seq ?? Infinity) <= e[2]) p.remoteJournal.shift();
          while ((p.localJournal.peek()?.seq ?? Infinity) <= e[3]) p.localJournal.shift();
          break;
        }
        case 'x': {
          const [, name, reason] = e;
          const p = this.placed.get(name);
          if (!p || p.slot !== slot) break;
          this.forget(p);
          for (const w of p.watchers) w(name, reason);
          break;
        }
        case 'r': {
          const p = this.placed.get(e[1]);
          if (p && p.slot === slot) this.tree.restartedElsewhere(e[1], `on a fresh thread without part of its state (${e[2]})`);
          break;
        }
        case 'c': {
          const p = this.placed.get(e[1]);
          if (!p || p.slot !== slot) break;
          p.lastError = e[2];
          this.tree.crashed(e[1], e[2]);
          break;
        }
      }
    }
  }

  /** Close a slot's data plane, keeping its byte counts. */
  private closePlane(slot: Slot): void {
    slot.bytesOut += slot.plane.stats.bytesOut;
    slot.bytesIn += slot.plane.stats.bytesIn;
    slot.plane.close();
  }

  private forget(p: Placed): void {
    const name = p.spec.name;
    this.placed.delete(name);
    p.slot.actors.delete(name);
    this.tree.remove(name);
  }

  /** The pool thread with the fewest actors (one that is up, if any is). */
  private leastLoaded(): Slot {
    let best: Slot | undefined;
    for (const n of this.poolNames) {
      const s = this.slots.get(n)!;
      const better = !best || (s.state === 'up') !== (best.state === 'up') ? !best || s.state === 'up' : s.actors.size < best.actors.size;
      if (better) best = s;
    }
    return best!;
  }

  // ---- threads ----

  private startSlot(slot: Slot): void {
    slot.incarnation++;
    const incarnation = slot.incarnation;
    const rings = createDataRings();
    const control = new MessageChannel();
    slot.plane = new DataPlane<DownEntry, UpEntry>(
      rings.down,
      rings.up,
      (batch) => {
        if (slot.incarnation === incarnation) this.receive(slot, batch);
      },
      `thread ${slot.name}: data plane`,
      // A corrupt stream from the thread: handle it as the thread's death (the
      // thread is made to die, so that piscina replaces it).
      () => {
        if (slot.incarnation === incarnation) slot.control.crash().catch(() => undefined);
      },
    );
    slot.plane.start();
    slot.controlPort = control.port1;
    slot.control = wrapPort<WorkerControl>(control.port1);
    slot.state = 'up';
    slot.flushScheduled = false;
    const task: HostTask = {
      thread: slot.name,
      rings,
      controlPort: control.port2,
      kindModules: this.opts.kindModules ?? [],
      debugHooks: Boolean(this.opts.debugHooks),
    };
    slot.task = this.pool!.run(task, { transferList: [control.port2] as never });
    if (slot.out.length > 0) this.flushSlot(slot);
    slot.task.then(
      () => {
        if (!this.closing && slot.incarnation === incarnation) this.died(slot, incarnation, new Error('its task ended'));
      },
      (e: unknown) => {
        if (slot.incarnation === incarnation) this.died(slot, incarnation, e);
      },
    );
  }

  /**
   * Start `p` on its slot's thread. The request goes by comlink (with its
   * durable state); a marker goes in the data stream, and the thread starts
   * the actor at the marker's place in the stream, so that it sees exactly
   * the messages sent after this call, and in causal order: what this thread
   * sent to other actors before starting it reaches them first.
   */
  private spawnOnSlot(p: Placed, marker = true): void {
    const slot = p.slot;
    p.state = 'spawning';
    if (marker) this.enqueue(slot, [EXPECT, p.spec.name]);
    if (slot.state !== 'up') return; // asked again when the fresh thread is up
    const incarnation = slot.incarnation;
    const state = { restarts: p.restarts, durable: p.mirror.export(true), ...(p.lastError !== undefined ? { lastError: p.lastError } : {}) };
    slot.control.spawn(p.spec, state).then(
      () => {
        if (slot.incarnation !== incarnation || this.placed.get(p.spec.name) !== p) return;
        p.state = 'up';
        for (const call of p.whenUp.splice(0)) call();
      },
      (e: unknown) => {
        if (slot.incarnation !== incarnation || this.placed.get(p.spec.name) !== p) return;
        const why = e instanceof Error ? e.message : String(e);
        log.error(`cannot start ${p.spec.name} on thread ${slot.name}: ${why}`);
        this.forget(p);
        for (const w of p.watchers) w(p.spec.name, `crashed: ${why}`);
        if (p.permanent && !this.closing) this.opts.onFatal(`actor ${p.spec.name} cannot start on thread ${slot.name}: ${why}`);
      },
    );
  }

  /** Worker thread `slot` (incarnation) died: bring its actors back on a fresh one. */
  private died(slot: Slot, incarnation: number, err: unknown): void {
    if (this.closing || slot.state === 'closed' || slot.incarnation !== incarnation || slot.state === 'dead') return;
    // What it sent before dying is still in the ring: take it first (whole batches only).
    slot.plane.drain();
    slot.state = 'dead';
    slot.deaths++;
    release(slot.control);
    this.closePlane(slot);
    slot.controlPort.close();
    const why = err instanceof Error ? err.message : String(err);
    const lost = [...slot.actors].map((n) => this.placed.get(n)!).filter(Boolean);
    const decision = slot.tracker.onCrash(performance.now());
    if (decision.action === 'escalate') {
      this.opts.onFatal(`worker thread ${slot.name} keeps dying (${decision.reason}; last: ${why})`);
      return;
    }
    const permanent = lost.filter((p) => p.permanent);
    // Replay the logs of replayed instances now: a copy that cannot be replayed is as bad as one that cannot be copied.
    for (const p of permanent) p.mirror.settle();
    const unmovable = permanent.find((p) => p.mirror.lossy.length > 0);
    if (unmovable) {
      this.opts.onFatal(
        `worker thread ${slot.name} died (${why}) and actor ${unmovable.spec.name} cannot be restarted elsewhere without losing durable state: ${unmovable.mirror.lossy.slice(0, 3).join('; ')}`,
      );
      return;
    }
    log.error(
      `worker thread ${slot.name} died (${why}); restarting ${permanent.length} actor(s) on a fresh thread` +
        (lost.length > permanent.length ? `, closing ${lost.length - permanent.length} session(s)` : ''),
    );

    for (const p of lost) {
      if (p.permanent) continue;
      p.lastError = `thread ${slot.name} died: ${why}`;
      this.forget(p);
      for (const w of p.watchers) w(p.spec.name, `crashed: thread ${slot.name} died`);
    }
    // The fresh thread's stream: what was sent to the dead one is void; each
    // permanent actor's start marker, then everything it had not finished
    // (in the order it arrived here), then whatever is sent meanwhile.
    slot.out = [];
    for (const p of permanent) {
      const unfinished = [...p.remoteJournal.toArray(), ...p.localJournal.toArray()].sort((a, b) => a.order - b.order);
      p.remoteJournal.clear();
      p.localJournal.clear();
      p.rseq = 0;
      p.restarts++;
      p.lastError = `thread ${slot.name} died: ${why}`;
      this.spawnOnSlot(p);
      for (const j of unfinished) this.deliver(p, j.msg);
    }

    setTimeout(() => {
      if (this.closing) return;
      this.startSlot(slot);
      // Its restarted actors, and any placed on it while it was down.
      for (const name of slot.actors) {
        const p = this.placed.get(name);
        if (p && p.state === 'spawning') this.spawnOnSlot(p, false);
      }
    }, decision.delayMs);
  }
}

/** Start the actor system for a placement. */
export async function startActorSystem(opts: ActorSystemOptions): Promise<ThreadedSystem> {
  const system = new ThreadedSystem(opts);
  await system.ready();
  return system;
}

// Runs actors on one thread: mailboxes, a fair run queue drained in batches,
// timers. A crash ends the actor's instance and goes to `onCrash` (its
// supervisor, supervisor.ts, decides when to `resume` it); a temporary actor
// that crashes is stopped here. Messages for addresses it does not host go
// to `forward` (the router of another thread).
import { logger, type Logger } from './log.js';
import type { Actor, ActorContext, ActorFactory, ActorSpec, RestartInfo } from './actor.js';
import { Mailbox } from './mailbox.js';
import { realClock, type RuntimeClock, type TimerHandle } from './clock.js';
import { summarize, type Message } from './message.js';
import type { ActorStats } from './stats.js';

export const DEFAULT_MAILBOX_CAPACITY = 100_000;
/** Messages one actor handles before the next actor gets a turn. */
const BATCH_PER_ACTOR = 256;
/** Time one drain may take before yielding to I/O. */
const DRAIN_BUDGET_MS = 8;

export type ExitCallback = (name: string, reason: string) => void;

/**
 * Observers for a host that is one of several (src/runtime/worker-host.ts
 * uses them to journal messages and write durable state through to the main
 * thread). All optional: a host on its own needs none.
 */
export interface HostHooks {
  /** `send` handed a message to an actor hosted here (`accepted` false: its mailbox was full). */
  localSend?(to: string, msg: Message, accepted: boolean): void;
  /** An actor finished handling `msg` (also when the handler threw). */
  afterReceive?(name: string, msg: Message): void;
  /** The durable map for a new actor (default: a plain Map). */
  makeDurable?(spec: ActorSpec): Map<string, unknown>;
  /** An actor stopped for good, after its own exit watchers ran. */
  exited?(name: string, reason: string, spec: ActorSpec): void;
}

/** Where a restarted actor picks up (an actor moved to a fresh thread). */
export interface SpawnInit {
  restarts?: number;
  lastError?: string;
  /** Why it starts again (a fresh thread after a death). */
  reason?: string;
  /** Its durable entries, restored. */
  durable?: Map<string, unknown>;
}

/** The message type that makes an actor throw when debug hooks are on (tests of supervision). */
export const DEBUG_CRASH = '$crash';

export interface HostOptions {
  thread: string;
  kinds: Record<string, ActorFactory>;
  /** Delivery for addresses not hosted here; `from` is the sending actor, when an actor sent it. */
  forward?: (to: string, msg: Message, from?: string) => boolean;
  /**
   * A permanent actor crashed: its instance has ended (timers, stopped());
   * its mailbox and durable state stay and messages queue, until its
   * supervisor calls `resume` (or `stop`).
   */
  onCrash: (name: string, reason: string) => void;
  hooks?: HostHooks;
  /** An actor handed a `$crash` message throws (tests only). */
  debugHooks?: boolean;
  /** Time, timers and randomness for the actors (default: the real clock; src/sim: a virtual one). */
  clock?: RuntimeClock;
}

class Cell {
  actor: Actor | undefined;
  processed = 0;
  restarts = 0;
  lastError: string | undefined;
  queued = false;
  stopped = false;
  /** Why the current instance started, when it is not the first (ctx.restart). */
  restartInfo: RestartInfo | undefined;
  /** Messages handled per second, over the last full second. */
  rate = 0;
  lastSampled = 0;
  /** When this instance was spawned (wall-clock ms), for its age in stats. */
  spawnedAt = 0;
  timers = new Map<string, TimerHandle>();
  readonly exitWatchers: ExitCallback[] = [];
  readonly log: Logger;
  ctx!: ActorContext;

  constructor(
    readonly spec: ActorSpec,
    readonly mailbox: Mailbox,
    readonly durable: Map<string, unknown>,
  ) {
    this.log = logger(spec.name);
  }
}

const RATE_SAMPLE_MS = 1000;

export class ActorHost {
  private readonly cells = new Map<string, Cell>();
  private readonly endpoints = new Map<string, (msg: Message) => void>();
  private readonly runQueue: Cell[] = [];
  private drainScheduled = false;
  /** Messages actors deferred to themselves (ctx.defer), delivered once the current drain and its outputs are done. */
  private deferred: [Cell, Message][] = [];
  private deferredScheduled = false;
  /** The actor whose handler (or factory) is running: the sender of what it sends. */
  private current: Cell | undefined;
  private sampler: NodeJS.Timeout | undefined;
  private readonly clock: RuntimeClock;

  constructor(private readonly opts: HostOptions) {
    this.clock = opts.clock ?? realClock;
  }

  get thread(): string {
    return this.opts.thread;
  }

  /** Is this host handling messages right now (inside a drain)? */
  get draining(): boolean {
    return this.current !== undefined;
  }

  has(name: string): boolean {
    return this.cells.has(name) || this.endpoints.has(name);
  }

  /** Is `name` an actor (not an endpoint) hosted here? */
  hosts(name: string): boolean {
    return this.cells.has(name);
  }

  /** The spec of a hosted actor. */
  specOf(name: string): ActorSpec | undefined {
    return this.cells.get(name)?.spec;
  }

  spawn(spec: ActorSpec, init?: SpawnInit): void {
    if (this.cells.has(spec.name)) throw new Error(`actor ${spec.name} already exists`);
    const factory = this.opts.kinds[spec.kind];
    if (!factory) throw new Error(`unknown actor kind ${spec.kind}`);
    const cell = new Cell(
      spec,
      new Mailbox(spec.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY),
      init?.durable ?? this.opts.hooks?.makeDurable?.(spec) ?? new Map<string, unknown>(),
    );
    cell.spawnedAt = this.clock.wallNow();
    if (init?.restarts) {
      cell.restarts = init.restarts;
      cell.restartInfo = { count: init.restarts, reason: init.reason ?? init.lastError ?? 'restarted' };
    }
    if (init?.lastError !== undefined) cell.lastError = init.lastError;
    cell.ctx = this.makeContext(cell);
    this.cells.set(spec.name, cell);
    this.startSampler();
    this.start(cell);
  }

  /**
   * Restart a running actor although it did not crash (something it was
   * waiting on went away with a dead thread): a temporary actor stops as if
   * it had crashed; a permanent one gets a fresh instance with its durable
   * state and its mailbox. Not counted against the restart limit.
   */
  restart(name: string, reason: string): void {
    const cell = this.cells.get(name);
    if (!cell || cell.stopped) return;
    if ((cell.spec.restart ?? 'permanent') === 'temporary') {
      cell.lastError = reason;
      this.stop(name, `crashed: ${reason}`);
      return;
    }
    if (!cell.actor) return; // between a crash and its restart: it starts afresh anyway
    this.retire(cell);
    cell.restarts++;
    cell.lastError = reason;
    cell.restartInfo = { count: cell.restarts, reason };
    cell.log.warn(`restarting: ${reason}`);
    this.start(cell);
  }

  /**
   * End the running instance of a permanent actor (its supervisor restarts
   * it, or something before it: supervisor.ts): timers and stopped() go, the
   * mailbox and durable state stay, messages queue until `resume`. No-op if
   * no instance runs.
   */
  suspend(name: string): void {
    const cell = this.cells.get(name);
    if (!cell || cell.stopped || !cell.actor) return;
    this.retire(cell);
  }

  /**
   * Start a new instance of an actor whose instance ended (a crash, or
   * `suspend`): counted as a restart. `dependency`: the actor whose restart
   * caused this one (ctx.restart). No-op if one runs. True if it started one.
   */
  resume(name: string, reason: string, dependency?: string): boolean {
    const cell = this.cells.get(name);
    if (!cell || cell.stopped || cell.actor) return false;
    cell.restarts++;
    cell.restartInfo = { count: cell.restarts, reason, ...(dependency !== undefined ? { dependency } : {}) };
    cell.log.warn(`restarting (restart ${cell.restarts}): ${reason}`);
    this.start(cell);
    return true;
  }

  /** Stop an actor; its exit watchers are told `reason`. */
  stop(name: string, reason = 'stopped'): void {
    const cell = this.cells.get(name);
    if (!cell || cell.stopped) return;
    cell.stopped = true;
    this.cells.delete(name);
    this.retire(cell);
    for (const w of cell.exitWatchers) w(name, reason);
    this.opts.hooks?.exited?.(name, reason, cell.spec);
  }

  /** Be told when actor `name` stops or crashes for good. */
  onExit(name: string, cb: ExitCallback): void {
    this.cells.get(name)?.exitWatchers.push(cb);
  }

  /** A receiver on this thread that is not an actor (a socket writer). Called synchronously. */
  registerEndpoint(name: string, deliver: (msg: Message) => void): () => void {
    this.endpoints.set(name, deliver);
    return () => {
      if (this.endpoints.get(name) === deliver) this.endpoints.delete(name);
    };
  }

  send<M extends Message>(to: string, msg: M): boolean {
    const cell = this.cells.get(to);
    if (cell) {
      const accepted = cell.mailbox.push(msg);
      this.opts.hooks?.localSend?.(to, msg, accepted);
      if (!accepted) return false;
      this.schedule(cell);
      return true;
    }
    const endpoint = this.endpoints.get(to);
    if (endpoint) {
      endpoint(msg);
      return true;
    }
    if (this.opts.forward) return this.opts.forward(to, msg, this.current?.spec.name);
    return false;
  }

  mailboxDepth(name: string): number {
    return this.cells.get(name)?.mailbox.depth ?? 0;
  }

  stats(peekCount = 5): ActorStats[] {
    return [...this.cells.values()].map((c) => ({
      name: c.spec.name,
      kind: c.spec.kind,
      thread: this.opts.thread,
      depth: c.mailbox.depth,
      maxDepth: c.mailbox.maxDepth,
      capacity: c.mailbox.capacity,
      processed: c.processed,
      refused: c.mailbox.refused,
      restarts: c.restarts,
      rate: c.rate,
      ageMs: this.clock.wallNow() - c.spawnedAt,
      ...(c.lastError !== undefined ? { lastError: c.lastError } : {}),
      peek: c.mailbox.peek(peekCount).map(summarize),
    }));
  }

  /** Stop everything (node shutdown). */
  stopAll(): void {
    for (const name of [...this.cells.keys()]) this.stop(name, 'shutdown');
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = undefined;
  }

  private startSampler(): void {
    if (this.sampler || !this.clock.background) return;
    this.sampler = setInterval(() => {
      for (const c of this.cells.values()) {
        c.rate = c.processed - c.lastSampled;
        c.lastSampled = c.processed;
      }
    }, RATE_SAMPLE_MS);
    this.sampler.unref();
  }

  private start(cell: Cell): void {
    const prev = this.current;
    this.current = cell;
    try {
      cell.actor = this.opts.kinds[cell.spec.kind]!(cell.ctx, cell.spec.args);
    } catch (e) {
      this.current = prev;
      this.crash(cell, e);
      return;
    }
    this.current = prev;
    if (cell.mailbox.depth > 0) this.schedule(cell);
  }

  private makeContext(cell: Cell): ActorContext {
    return {
      self: cell.spec.name,
      send: (to, msg) => this.send(to, msg),
      setTimer: (key, delayMs, msg) => {
        const old = cell.timers.get(key);
        if (old !== undefined) this.clock.clearTimeout(old);
        const t = this.clock.setTimeout(() => {
          cell.timers.delete(key);
          if (cell.stopped) return;
          // Timer messages are the actor's own; they bypass the capacity check.
          cell.mailbox.push(msg) || this.forcePush(cell, msg);
          this.schedule(cell);
        }, Math.max(0, delayMs));
        cell.timers.set(key, t);
      },
      defer: (msg, afterIo) => {
        if (afterIo) {
          this.clock.defer(() => {
            if (cell.stopped) return;
            cell.mailbox.push(msg) || this.forcePush(cell, msg);
            this.schedule(cell);
          });
          return;
        }
        this.deferred.push([cell, msg]);
        // Inside a drain: delivered when it ends (drain). Outside (an I/O callback): right after it.
        if (this.current === undefined) this.scheduleDeferred();
      },
      clearTimer: (key) => {
        const t = cell.timers.get(key);
        if (t !== undefined) this.clock.clearTimeout(t);
        cell.timers.delete(key);
      },
      now: () => this.clock.now(),
      random: () => this.clock.random(),
      log: cell.log,
      durable: cell.durable,
      stopSelf: (reason) => queueMicrotask(() => this.stop(cell.spec.name, reason ?? 'stopped itself')),
      get restart() {
        return cell.restartInfo;
      },
    };
  }

  private forcePush(cell: Cell, msg: Message): boolean {
    cell.log.warn(`mailbox full (${cell.mailbox.capacity}); timer message ${msg.type} delayed`);
    this.clock.setTimeout(() => cell.mailbox.push(msg) && this.schedule(cell), 10);
    return false;
  }

  private schedule(cell: Cell): void {
    if (cell.queued || !cell.actor) return;
    cell.queued = true;
    this.runQueue.push(cell);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      this.clock.defer(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    const deadline = this.clock.now() + DRAIN_BUDGET_MS;
    while (this.runQueue.length > 0) {
      const cell = this.runQueue.shift()!;
      cell.queued = false;
      const after = this.opts.hooks?.afterReceive;
      this.current = cell;
      for (let i = 0; i < BATCH_PER_ACTOR && cell.actor; i++) {
        const msg = cell.mailbox.shift();
        if (!msg) break;
        cell.processed++;
        try {
          if (this.opts.debugHooks && msg.type === DEBUG_CRASH) throw new Error('crash requested through the debug hook');
          cell.actor.receive(msg);
        } catch (e) {
          this.crash(cell, e, msg);
        }
        after?.(cell.spec.name, msg);
      }
      this.current = undefined;
      if (cell.mailbox.depth > 0) this.schedule(cell);
      if (this.clock.now() > deadline) break;
    }
    if (this.runQueue.length > 0 && !this.drainScheduled) {
      this.drainScheduled = true;
      this.clock.defer(this.drain);
    }
    if (this.deferred.length > 0) this.scheduleDeferred();
  };

  private scheduleDeferred(): void {
    if (this.deferredScheduled) return;
    this.deferredScheduled = true;
    if (this.clock.soon) this.clock.soon(this.deliverDeferred);
    else this.clock.defer(this.deliverDeferred);
  }

  /**
   * Deliver what actors deferred to themselves (ctx.defer), after the
   * drain that deferred it and what that drain sent (the transport's and
   * the connections' flushes are microtasks queued before this one), and
   * handle it at once, in a drain of its own: a disk write starts in the
   * turn its votes were cast, not one or two event-loop turns later. When
   * the last drain stopped at its time budget, it waits for the next one
   * (the host yields to I/O as it would).
   */
  private readonly deliverDeferred = (): void => {
    this.deferredScheduled = false;
    const busy = this.runQueue.length > 0;
    const list = this.deferred;
    this.deferred = [];
    for (const [cell, msg] of list) {
      if (cell.stopped) continue;
      cell.mailbox.push(msg) || this.forcePush(cell, msg);
      this.schedule(cell);
    }
    if (!busy && this.current === undefined && this.runQueue.length > 0) this.drain();
  };

  private crash(cell: Cell, e: unknown, msg?: Message): void {
    const name = cell.spec.name;
    cell.lastError = errText(e);
    cell.log.error(`crashed${msg ? ` handling ${msg.type}` : ' starting'}: ${cell.lastError}`);
    this.retire(cell);
    if ((cell.spec.restart ?? 'permanent') === 'temporary') {
      this.stop(name, `crashed: ${cell.lastError}`);
      return;
    }
    this.opts.onCrash(name, cell.lastError);
  }

  /** End the current actor instance: its timers, its stopped() hook. The cell (mailbox, durable) stays. */
  private retire(cell: Cell): void {
    for (const t of cell.timers.values()) this.clock.clearTimeout(t);
    cell.timers.clear();
    try {
      cell.actor?.stopped?.();
    } catch (e) {
      cell.log.warn(`error while stopping: ${errText(e)}`);
    }
    cell.actor = undefined;
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// Runs actors on one thread: mailboxes, a fair run queue drained in batches,
// timers, and one-for-one supervision of the actors it hosts. Messages for
// addresses it does not host go to `forward` (the router of another thread).
import { performance } from 'node:perf_hooks';
import { logger, type Logger } from '../log.js';
import type { Actor, ActorContext, ActorFactory, ActorSpec } from './actor.js';
import { Mailbox } from './mailbox.js';
import { summarize, type Message } from './message.js';
import type { ActorStats } from './stats.js';
import { RestartTracker, defaultRestartLimits, type RestartLimits } from './supervisor.js';

export const DEFAULT_MAILBOX_CAPACITY = 100_000;
/** Messages one actor handles before the next actor gets a turn. */
const BATCH_PER_ACTOR = 256;
/** Time one drain may take before yielding to I/O. */
const DRAIN_BUDGET_MS = 8;

export type ExitCallback = (name: string, reason: string) => void;

export interface HostOptions {
  thread: string;
  kinds: Record<string, ActorFactory>;
  /** Delivery for addresses not hosted here. */
  forward?: (to: string, msg: Message) => boolean;
  /** A permanent actor crashed too often: the node must not go on flapping. */
  onEscalate: (name: string, reason: string) => void;
  limits?: RestartLimits;
}

class Cell {
  actor: Actor | undefined;
  processed = 0;
  restarts = 0;
  lastError: string | undefined;
  queued = false;
  stopped = false;
  timers = new Map<string, NodeJS.Timeout>();
  readonly durable = new Map<string, unknown>();
  readonly exitWatchers: ExitCallback[] = [];
  readonly tracker: RestartTracker;
  readonly log: Logger;
  ctx!: ActorContext;

  constructor(
    readonly spec: ActorSpec,
    readonly mailbox: Mailbox,
    limits: RestartLimits,
  ) {
    this.tracker = new RestartTracker(limits);
    this.log = logger(spec.name);
  }
}

export class ActorHost {
  private readonly cells = new Map<string, Cell>();
  private readonly endpoints = new Map<string, (msg: Message) => void>();
  private readonly runQueue: Cell[] = [];
  private drainScheduled = false;

  constructor(private readonly opts: HostOptions) {}

  get thread(): string {
    return this.opts.thread;
  }

  has(name: string): boolean {
    return this.cells.has(name) || this.endpoints.has(name);
  }

  spawn(spec: ActorSpec): void {
    if (this.cells.has(spec.name)) throw new Error(`actor ${spec.name} already exists`);
    const factory = this.opts.kinds[spec.kind];
    if (!factory) throw new Error(`unknown actor kind ${spec.kind}`);
    const cell = new Cell(
      spec,
      new Mailbox(spec.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY),
      this.opts.limits ?? defaultRestartLimits,
    );
    cell.ctx = this.makeContext(cell);
    this.cells.set(spec.name, cell);
    this.start(cell);
  }

  /** Stop an actor; its exit watchers are told `reason`. */
  stop(name: string, reason = 'stopped'): void {
    const cell = this.cells.get(name);
    if (!cell || cell.stopped) return;
    cell.stopped = true;
    this.cells.delete(name);
    for (const t of cell.timers.values()) clearTimeout(t);
    cell.timers.clear();
    try {
      cell.actor?.stopped?.();
    } catch (e) {
      cell.log.warn(`error while stopping: ${errText(e)}`);
    }
    cell.actor = undefined;
    for (const w of cell.exitWatchers) w(name, reason);
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
      if (!cell.mailbox.push(msg)) return false;
      this.schedule(cell);
      return true;
    }
    const endpoint = this.endpoints.get(to);
    if (endpoint) {
      endpoint(msg);
      return true;
    }
    if (this.opts.forward) return this.opts.forward(to, msg);
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
      ...(c.lastError !== undefined ? { lastError: c.lastError } : {}),
      peek: c.mailbox.peek(peekCount).map(summarize),
    }));
  }

  /** Stop everything (node shutdown). */
  stopAll(): void {
    for (const name of [...this.cells.keys()]) this.stop(name, 'shutdown');
  }

  private start(cell: Cell): void {
    try {
      cell.actor = this.opts.kinds[cell.spec.kind]!(cell.ctx, cell.spec.args);
    } catch (e) {
      this.crash(cell, e);
      return;
    }
    if (cell.mailbox.depth > 0) this.schedule(cell);
  }

  private makeContext(cell: Cell): ActorContext {
    return {
      self: cell.spec.name,
      send: (to, msg) => this.send(to, msg),
      setTimer: (key, delayMs, msg) => {
        const old = cell.timers.get(key);
        if (old) clearTimeout(old);
        const t = setTimeout(() => {
          cell.timers.delete(key);
          if (cell.stopped) return;
          // Timer messages are the actor's own; they bypass the capacity check.
          cell.mailbox.push(msg) || this.forcePush(cell, msg);
          this.schedule(cell);
        }, Math.max(0, delayMs));
        cell.timers.set(key, t);
      },
      clearTimer: (key) => {
        const t = cell.timers.get(key);
        if (t) clearTimeout(t);
        cell.timers.delete(key);
      },
      now: () => performance.now(),
      log: cell.log,
      durable: cell.durable,
      stopSelf: (reason) => queueMicrotask(() => this.stop(cell.spec.name, reason ?? 'stopped itself')),
    };
  }

  private forcePush(cell: Cell, msg: Message): boolean {
    cell.log.warn(`mailbox full (${cell.mailbox.capacity}); timer message ${msg.type} delayed`);
    setTimeout(() => cell.mailbox.push(msg) && this.schedule(cell), 10);
    return false;
  }

  private schedule(cell: Cell): void {
    if (cell.queued || !cell.actor) return;
    cell.queued = true;
    this.runQueue.push(cell);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    const deadline = performance.now() + DRAIN_BUDGET_MS;
    while (this.runQueue.length > 0) {
      const cell = this.runQueue.shift()!;
      cell.queued = false;
      for (let i = 0; i < BATCH_PER_ACTOR && cell.actor; i++) {
        const msg = cell.mailbox.shift();
        if (!msg) break;
        cell.processed++;
        try {
          cell.actor.receive(msg);
        } catch (e) {
          this.crash(cell, e, msg);
        }
      }
      if (cell.mailbox.depth > 0) this.schedule(cell);
      if (performance.now() > deadline) break;
    }
    if (this.runQueue.length > 0 && !this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drain);
    }
  };

  private crash(cell: Cell, e: unknown, msg?: Message): void {
    const name = cell.spec.name;
    cell.lastError = errText(e);
    cell.log.error(`crashed${msg ? ` handling ${msg.type}` : ' starting'}: ${cell.lastError}`);
    for (const t of cell.timers.values()) clearTimeout(t);
    cell.timers.clear();
    try {
      cell.actor?.stopped?.();
    } catch {
      /* already crashing */
    }
    cell.actor = undefined;
    if ((cell.spec.restart ?? 'permanent') === 'temporary') {
      this.stop(name, `crashed: ${cell.lastError}`);
      return;
    }
    const decision = cell.tracker.onCrash(performance.now());
    if (decision.action === 'escalate') {
      cell.log.error(`restart limit reached: ${decision.reason}; escalating`);
      this.stop(name, `escalated: ${decision.reason}`);
      this.opts.onEscalate(name, decision.reason);
      return;
    }
    setTimeout(() => {
      if (cell.stopped) return;
      cell.restarts++;
      cell.log.warn(`restarting (restart ${cell.restarts}, after ${decision.delayMs} ms)`);
      this.start(cell);
    }, decision.delayMs);
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// Supervision in OTP's terms (docs/runtime.md, "Supervision"): a tree of
// supervisors, each with a strategy and a restart intensity, whose leaves
// are actors on any thread.
//
// - one_for_one: a child that fails is restarted alone.
// - rest_for_one: the children form an ordered group, each depending on the
//   ones before it; a child that fails is restarted together with every
//   child after it (those are stopped first, last first, then all started
//   again in order). The node's store comes first: the actors that live on
//   its stream restart when it does, and subscribe again as they start.
// - intensity/period: more than `intensity` restarts within `periodMs` and
//   the supervisor itself fails: its children are stopped and its own
//   supervisor treats that as the failure of one child (restarting the whole
//   subtree, fresh). The root has no supervisor: it gives up to the node
//   (`fatal`), which exits.
//
// This file is the decision logic only: what a restart does to an actor (an
// actor keeps its mailbox and its durable state; timers and the instance go)
// is up to `SupervisionOps`, implemented by the actor system over its threads
// (threaded-system.ts). Temporary children (client sessions) are never
// restarted and do not count: a host stops them when they crash.
import { logger } from './log.js';
import type { ActorSpec } from './actor.js';

const log = logger('runtime');

/** Restart intensity with backoff, as one supervisor (or a worker thread slot) counts it. */
export interface RestartLimits {
  /** Restarts allowed within `windowMs` (OTP's intensity). */
  maxRestarts: number;
  /** The sliding window, ms (OTP's period). */
  windowMs: number;
  /** Delay before the first restart in a window, ms; doubles for each further restart in it. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

/** Defaults: 5 restarts within 10 s; backoff 10 ms doubling to 1 s. */
export const defaultRestartLimits: RestartLimits = {
  maxRestarts: 5,
  windowMs: 10_000,
  baseBackoffMs: 10,
  maxBackoffMs: 1_000,
};

export type RestartDecision = { action: 'restart'; delayMs: number } | { action: 'escalate'; reason: string };

/** Counts restarts in a sliding window: restart (after a backoff) or, past the limit, escalate. */
export class RestartTracker {
  private recent: number[] = [];

  constructor(private readonly limits: RestartLimits = defaultRestartLimits) {}

  /** Restarts within the window as of `now`. */
  count(now: number): number {
    this.recent = this.recent.filter((t) => now - t < this.limits.windowMs);
    return this.recent.length;
  }

  /** Record a failure at time `now` (ms, monotonic) and decide. */
  onCrash(now: number): RestartDecision {
    const { maxRestarts, windowMs, baseBackoffMs, maxBackoffMs } = this.limits;
    if (this.count(now) >= maxRestarts) {
      return {
        action: 'escalate',
        reason: `${this.recent.length + 1} crashes within ${windowMs} ms (limit ${maxRestarts} restarts)`,
      };
    }
    this.recent.push(now);
    const delayMs = Math.min(maxBackoffMs, baseBackoffMs * 2 ** (this.recent.length - 1));
    return { action: 'restart', delayMs };
  }
}

export type Strategy = 'one_for_one' | 'rest_for_one';

/** A supervisor, as the node declares it (src/node/supervision-tree.ts). */
export interface SupervisorSpec {
  name: string;
  strategy: Strategy;
  /** Restarts allowed within `periodMs` before this supervisor fails (default 5). */
  intensity?: number;
  /** Default 10 000 ms. */
  periodMs?: number;
  /** Its own supervisor (default: the root). */
  parent?: string;
  /** Started in this order (and, for rest_for_one, restarted in it). */
  children?: ChildSpec[];
}

/** A child: an actor, or a supervisor with children of its own. */
export type ChildSpec = ActorSpec | SupervisorSpec;

export function isSupervisorSpec(c: ChildSpec): c is SupervisorSpec {
  return 'strategy' in c;
}

/** What a supervisor does to its actors, wherever they run. */
export interface SupervisionOps {
  /** End the running instance of a permanent actor (timers, stopped()); messages queue for the next one. No-op if none runs. */
  suspend(actor: string): void;
  /**
   * Start a new instance of a permanent actor with its durable state and
   * mailbox (a restart). `dependency`: the actor before it (rest_for_one)
   * whose restart caused this one (ctx.restart.dependency). No-op if one runs.
   */
  resume(actor: string, reason: string, dependency?: string): void;
  /** Stop an actor for good (a temporary child when its supervisor restarts). */
  stop(actor: string, reason: string): void;
  /** The root gave up: the node cannot go on. */
  fatal(reason: string): void;
  /** Monotonic ms. */
  now(): number;
  /** Run `fn` after `ms`. */
  later(fn: () => void, ms: number): void;
}

/** One supervisor as /$actors shows it. */
export interface SupervisorInfo {
  name: string;
  strategy: Strategy;
  intensity: number;
  periodMs: number;
  /** Its supervisor (none for the root). */
  parent?: string;
  /** Children in order: actor names, and supervisors as "supervisor:NAME". */
  children: string[];
  /** Restarts it made so far (each failed child counts once). */
  restarts: number;
  /** Restarts within the current period. */
  recent: number;
}

type Child = { actor: string; temporary: boolean } | { sup: SupNode };

class SupNode {
  tracker: RestartTracker;
  readonly children: Child[] = [];
  restarts = 0;

  constructor(
    readonly name: string,
    readonly strategy: Strategy,
    readonly limits: RestartLimits,
    readonly parent: SupNode | undefined,
  ) {
    this.tracker = new RestartTracker(limits);
  }
}

const childName = (c: Child): string => ('actor' in c ? c.actor : `supervisor ${c.sup.name}`);

export class SupervisionTree {
  private readonly sups = new Map<string, SupNode>();
  /** Actor name → its supervisor. */
  private readonly parentOf = new Map<string, SupNode>();
  readonly root: SupNode;

  /**
   * `root` is the top supervisor (its parent and children are ignored);
   * `defaults` fill in the intensity and period a spec leaves out, and the
   * backoff of every supervisor.
   */
  constructor(
    root: SupervisorSpec,
    private readonly ops: SupervisionOps,
    private readonly defaults: RestartLimits = defaultRestartLimits,
  ) {
    this.root = new SupNode(root.name, root.strategy, this.limitsOf(root), undefined);
    this.sups.set(root.name, this.root);
  }

  /** Add supervisor `spec` (not its children) under its parent. Throws on a taken name or an unknown parent. */
  addSupervisor(spec: SupervisorSpec): void {
    if (this.sups.has(spec.name)) throw new Error(`supervisor ${spec.name} already exists`);
    const parent = this.sup(spec.parent);
    const node = new SupNode(spec.name, spec.strategy, this.limitsOf(spec), parent);
    this.sups.set(spec.name, node);
    parent.children.push({ sup: node });
  }

  /** Add actor `name` as the last child of `supervisor` (default: the root). Throws on an unknown supervisor. */
  addActor(name: string, supervisor: string | undefined, temporary: boolean): void {
    const sup = this.sup(supervisor);
    this.remove(name);
    sup.children.push({ actor: name, temporary });
    this.parentOf.set(name, sup);
  }

  /** Actor `name` stopped for good: it is no one's child any more. */
  remove(name: string): void {
    const sup = this.parentOf.get(name);
    if (!sup) return;
    this.parentOf.delete(name);
    const i = sup.children.findIndex((c) => 'actor' in c && c.actor === name);
    if (i >= 0) sup.children.splice(i, 1);
  }

  has(supervisor: string): boolean {
    return this.sups.has(supervisor);
  }

  /** The supervisor of actor `name`. */
  supervisorOf(name: string): string | undefined {
    return this.parentOf.get(name)?.name;
  }

  /** Every supervisor, parents before children. */
  info(): SupervisorInfo[] {
    const now = this.ops.now();
    return [...this.sups.values()].map((s) => ({
      name: s.name,
      strategy: s.strategy,
      intensity: s.limits.maxRestarts,
      periodMs: s.limits.windowMs,
      ...(s.parent ? { parent: s.parent.name } : {}),
      children: s.children.map((c) => ('actor' in c ? c.actor : `supervisor:${c.sup.name}`)),
      restarts: s.restarts,
      recent: s.tracker.count(now),
    }));
  }

  /** Permanent actor `name` crashed (its host ended the instance; messages queue). Its supervisor decides. */
  crashed(name: string, reason: string): void {
    const sup = this.parentOf.get(name);
    const child = sup?.children.find((c) => 'actor' in c && c.actor === name);
    if (!sup || !child) {
      // Not supervised (stopped meanwhile): nothing to restart.
      return;
    }
    this.childFailed(sup, child, `${name} crashed: ${reason}`);
  }

  /**
   * Permanent actor `name` was brought back on a fresh thread (its worker
   * thread died) without part of its state (a partial durable class): that
   * is a restart, though the system made it, outside the intensity (threads
   * have their own). Its rest_for_one dependents restart now, at once, as
   * after any restart of what they depend on. (An exact restore is not a
   * restart: nothing depending on it can tell.)
   */
  restartedElsewhere(name: string, why: string): void {
    const sup = this.parentOf.get(name);
    if (!sup || sup.strategy !== 'rest_for_one') return;
    const i = sup.children.findIndex((c) => 'actor' in c && c.actor === name);
    const rest = sup.children.slice(i + 1);
    if (i < 0 || rest.length === 0) return;
    log.warn(`supervisor ${sup.name}: ${name} came back ${why}; restarting what depends on it: ${rest.map(childName).join(', ')} (rest_for_one)`);
    for (const c of [...rest].reverse()) this.suspendChild(c, `${sup.name} restarts it`);
    for (const c of rest) this.resumeChild(c, `${name} restarted`, name);
  }

  private childFailed(sup: SupNode, child: Child, why: string): void {
    const d = sup.tracker.onCrash(this.ops.now());
    if (d.action === 'escalate') {
      this.supervisorFailed(sup, `${d.reason.replace('crashes', 'failures')}; last: ${why}`);
      return;
    }
    sup.restarts++;
    const i = sup.children.indexOf(child);
    const rest = sup.strategy === 'rest_for_one' && i >= 0 ? sup.children.slice(i + 1) : [];
    if (rest.length > 0) {
      log.warn(`supervisor ${sup.name}: ${childName(child)} failed; restarting it and what depends on it: ${rest.map(childName).join(', ')} (rest_for_one)`);
    }
    // The later ones stop first, last first (OTP's order); all start again in order.
    for (const c of [...rest].reverse()) this.suspendChild(c, `${sup.name} restarts it`);
    if ('sup' in child) this.suspendChild(child, `${sup.name} restarts it`);
    const dependency = 'actor' in child ? child.actor : `supervisor:${child.sup.name}`;
    this.ops.later(() => {
      this.resumeChild(child, why);
      for (const c of rest) this.resumeChild(c, `${childName(child)} restarted`, dependency);
    }, d.delayMs);
  }

  private supervisorFailed(sup: SupNode, reason: string): void {
    if (!sup.parent) {
      this.ops.fatal(`supervisor ${sup.name} gives up (${reason})`);
      return;
    }
    log.error(`supervisor ${sup.name} gives up (${reason}); its supervisor ${sup.parent.name} restarts it`);
    const self = sup.parent.children.find((c) => 'sup' in c && c.sup === sup)!;
    this.childFailed(sup.parent, self, `supervisor ${sup.name} failed`);
  }

  /** Stop a child's running instance(s): an actor (temporary: for good), or a supervisor's whole subtree, last child first. */
  private suspendChild(c: Child, why: string): void {
    if ('actor' in c) {
      if (c.temporary) this.ops.stop(c.actor, `stopped: ${why}`);
      else this.ops.suspend(c.actor);
      return;
    }
    for (const cc of [...c.sup.children].reverse()) this.suspendChild(cc, why);
  }

  /**
   * Start a child again: an actor, or a supervisor afresh (a new intensity
   * window) with its children in order. `dependency`: the sibling before it
   * whose restart causes this one (each child of a restarted supervisor
   * depends on the ones before it there too, when rest_for_one).
   */
  private resumeChild(c: Child, why: string, dependency?: string): void {
    if ('actor' in c) {
      if (!c.temporary && this.parentOf.has(c.actor)) this.ops.resume(c.actor, why, dependency);
      return;
    }
    c.sup.tracker = new RestartTracker(c.sup.limits);
    let before = dependency;
    for (const cc of [...c.sup.children]) {
      this.resumeChild(cc, why, before);
      if (c.sup.strategy === 'rest_for_one' && 'actor' in cc) before = cc.actor;
    }
  }

  private sup(name: string | undefined): SupNode {
    const s = this.sups.get(name ?? this.root.name);
    if (!s) throw new Error(`no supervisor ${name}`);
    return s;
  }

  private limitsOf(spec: SupervisorSpec): RestartLimits {
    return { ...this.defaults, maxRestarts: spec.intensity ?? this.defaults.maxRestarts, windowMs: spec.periodMs ?? this.defaults.windowMs };
  }
}

// One simulated node: the node's real actors (store, acceptor, learner,
// proposer, liveness, slave-watcher, pulse: src/actors/kinds.ts) on a real
// ActorHost, driven by a virtual clock (sim-clock.ts). What a node's
// network code does is stood in for by endpoints:
//   udp-out      datagrams to the simulated network (SimNetwork)
//   follower     copying decided values from the cluster while not a CAL, and
//                requests made through a CAL (slot locks, NOPs), as src/node/follower.ts
//   sim-client   replies to the simulation's client writes
//   sim-observer the store's event stream, mirrored into a Store for the checks
import type { ActorFactory } from '../runtime/actor.js';
import { ActorHost } from '../runtime/host.js';
import { SupervisionTree } from '../runtime/supervisor.js';
import { NODE_ROOT, REPLICA, REPLICA_ORDER } from '../node/supervision-tree.js';
import type { Message } from '../runtime/message.js';
import { actorKinds } from '../actors/kinds.js';
import { ACCEPTOR, LEARNER, PROPOSER, UDP_OUT, routeByRole, type PeerInMessage, type PeerOutMessage } from '../actors/paxos-messages.js';
import type { ProposedMessage } from '../actors/proposer-messages.js';
import type { AcceptorArgs } from '../actors/acceptor.js';
import type { LearnerArgs } from '../actors/learner.js';
import type { ProposerArgs } from '../actors/proposer.js';
import { LIVENESS, type HeardMessage } from '../actors/liveness.js';
import { SLAVE_WATCHER } from '../actors/slave-watcher.js';
import { STORE, type StoreEventMessage } from '../actors/store/messages.js';
import { encodeDel, encodeSet, NOP_MUTATION } from '../actors/store/mutation.js';
import { Store } from '../actors/store/store.js';
import type { PaxosMsg } from '../actors/paxos/types.js';
import { FOLLOWER, type FollowerMessage } from '../actors/follower-messages.js';
import { ErrCode, Verb, type Response } from '../wire/client-codec.js';
import { nodeFiles } from '../node/boot.js';
import { SimClock } from './sim-clock.js';

export const SIM_CLIENT = 'sim-client';
const SIM_OBSERVER = 'sim-observer';
const SIM_UPSTREAM = 'sim-upstream';
/** How often the stand-in transport tells liveness whom it heard (virtual ms). */
const HEARD_EVERY_MS = 250;
/** How often the stand-in follower copies (virtual ms), and how much at once. */
const FOLLOW_EVERY_MS = 20;
const FOLLOW_BATCH = 64;
/** The store's history and the acceptor's kept values (a real node keeps max(-hist, 4 alpha)): long enough for a node that spent the chaos phase cut off. */
const SIM_HIST = 100_000;

export interface SimNodeOptions {
  idx: number;
  id: string;
  addr: string;
  alpha: number;
  fillDelayMs: number;
  /** The leader's round-1 fast path (default true). */
  fastPath?: boolean;
  /** liveness -timeout, virtual ms. */
  timeoutMs: number;
  pulseMs: number;
  clock: SimClock;
  /** Mutations every node starts with (the cluster's first revs). */
  boot: Uint8Array[];
  /** Actor kinds to use instead of the real ones (a test plants a bug). */
  kinds?: Record<string, ActorFactory>;
}

/** What the simulated cluster gives a node: the network, and the other nodes' knowledge. */
export interface SimWorld {
  send(from: string, to: string, m: PaxosMsg): void;
  /** The value decided at `seqn`, as applied by some node (undefined: none yet). */
  decided(seqn: number): Uint8Array | undefined;
  /** A CAL node (not paused) at one of `addrs` to make a request through. */
  nodeAt(addrs: readonly string[]): SimNode | undefined;
  /** A node applied `seqn` with `mutation` (for the checks). */
  applied(node: SimNode, seqn: number, mutation: Uint8Array): void;
  /** The node's top supervisor gave up (a real node would exit). */
  fatal(node: SimNode, reason: string): void;
  /** A reply to client write `tag` of node `node`. */
  answered(node: SimNode, m: ProposedMessage): void;
  every(ms: number, fn: () => void): void;
}

export class SimNode {
  readonly host: ActorHost;
  /** The store as its event stream shows it. */
  readonly mirror = new Store({ hist: 1_000_000 });
  private heard = new Set<string>();
  private follow: { until: number; cals: string[] } | undefined;
  private nextUpstream = 1;
  private readonly upstream = new Map<number, { replyTo: string; tag: number }>();

  constructor(
    readonly opts: SimNodeOptions,
    private readonly world: SimWorld,
  ) {
    const kinds = { ...actorKinds, ...opts.kinds };
    // The node's own supervision tree (replica: rest_for_one), on the node's virtual clock.
    const tree = new SupervisionTree(NODE_ROOT, {
      suspend: (name) => this.host.suspend(name),
      resume: (name, reason, dependency) => void this.host.resume(name, reason, dependency),
      stop: (name, reason) => this.host.stop(name, reason),
      fatal: (reason) => world.fatal(this, reason),
      now: () => opts.clock.now(),
      later: (fn, ms) => void opts.clock.setTimeout(fn, ms),
    });
    tree.addSupervisor(REPLICA);
    for (const name of REPLICA_ORDER) tree.addActor(name, REPLICA.name, false);
    this.host = new ActorHost({
      thread: `sim-${opts.idx}`,
      kinds,
      clock: opts.clock,
      onCrash: (name, reason) => tree.crashed(name, reason),
    });
    const h = this.host;
    h.registerEndpoint(UDP_OUT, (msg) => this.onPeerOut(msg as PeerOutMessage));
    h.registerEndpoint(FOLLOWER, (msg) => this.onFollower(msg as FollowerMessage));
    h.registerEndpoint(SIM_CLIENT, (msg) => world.answered(this, msg as ProposedMessage));
    h.registerEndpoint(SIM_UPSTREAM, (msg) => this.onUpstreamReply(msg as ProposedMessage));
    h.registerEndpoint(SIM_OBSERVER, (msg) => this.onStoreEvent(msg));
    h.registerEndpoint('metrics', () => {});
    const self = { id: opts.id, addr: opts.addr };
    h.spawn({ name: STORE, kind: 'store', args: { hist: SIM_HIST } });
    h.send(STORE, { type: 'subscribe', subscriber: SIM_OBSERVER, fromRev: 0 });
    opts.boot.forEach((mutation, i) => h.send(STORE, { type: 'apply', seqn: i + 1, mutation }));
    h.spawn({ name: ACCEPTOR, kind: 'acceptor', args: { self, alpha: opts.alpha, keep: SIM_HIST } satisfies AcceptorArgs });
    h.spawn({ name: LEARNER, kind: 'learner', args: { nodeId: opts.id, alpha: opts.alpha } satisfies LearnerArgs });
    h.spawn({ name: PROPOSER, kind: 'proposer', args: { self, alpha: opts.alpha, fillMs: opts.fillDelayMs, seed: false, ...(opts.fastPath !== undefined ? { fastPath: opts.fastPath } : {}) } satisfies ProposerArgs });
    h.spawn({ name: SLAVE_WATCHER, kind: 'slave-watcher', args: { nodeId: opts.id, alpha: opts.alpha, nodeFiles: nodeFiles(opts.id, opts.addr) } });
    h.spawn({ name: LIVENESS, kind: 'liveness', args: { nodeId: opts.id, alpha: opts.alpha, timeoutMs: opts.timeoutMs } });
    h.spawn({ name: 'pulse', kind: 'pulse', args: { nodeId: opts.id, pulseMs: opts.pulseMs } });
    world.every(HEARD_EVERY_MS, () => this.clock.run(() => this.reportHeard()));
    world.every(FOLLOW_EVERY_MS, () => this.clock.run(() => this.copy()));
  }

  get clock(): SimClock {
    return this.opts.clock;
  }

  get idx(): number {
    return this.opts.idx;
  }

  get rev(): number {
    return this.mirror.rev;
  }

  /** A datagram from `from` arrives (runs once the node is not paused). */
  deliver(from: string, m: PaxosMsg): void {
    this.clock.run(() => {
      this.heard.add(from);
      routeByRole([m], (role, msgs) => this.host.send(role, { type: 'peer-in', from, msgs } satisfies PeerInMessage));
    });
  }

  /** A client write of `mutation`, answered to the world with `tag`. */
  write(mutation: Uint8Array, tag: number): void {
    this.clock.run(() => this.host.send(PROPOSER, { type: 'propose', mutation, replyTo: SIM_CLIENT, tag }));
  }

  private onPeerOut(m: PeerOutMessage): void {
    if (m.type !== 'peer-out') return;
    for (const s of m.sends) for (const to of s.to) this.world.send(this.opts.addr, to, s.msg);
  }

  private reportHeard(): void {
    if (this.heard.size === 0) return;
    this.host.send(LIVENESS, { type: 'heard', peers: [...this.heard] } satisfies HeardMessage);
    this.heard.clear();
  }

  private onStoreEvent(msg: Message): void {
    if (msg.type !== 'store-event') return;
    const e = (msg as StoreEventMessage).event;
    this.mirror.apply(e.seqn, e.mutation);
    this.world.applied(this, e.seqn, e.mutation);
  }

  // ------------------------------------------------- the follower stand-in

  private onFollower(m: FollowerMessage): void {
    switch (m.type) {
      case 'follow':
        this.follow = { until: m.until, cals: m.cals };
        return;
      case 'follow-cals':
        if (this.follow) this.follow.cals = m.cals;
        return;
      case 'follow-until':
        if (this.follow) this.follow.until = m.until;
        return;
      case 'upstream-call':
        this.call(m);
        return;
    }
  }

  /** Copy decided values after our store's rev, below `until` (what WAITs on a CAL would give). */
  private copy(): void {
    const f = this.follow;
    if (!f) return;
    for (let s = this.rev + 1, n = 0; s < f.until && n < FOLLOW_BATCH; s++, n++) {
      const v = this.world.decided(s);
      if (v === undefined) return;
      this.host.send(STORE, { type: 'apply', seqn: s, mutation: v });
    }
  }

  /** A request through a CAL: its proposer, as a client write would reach it. */
  private call(m: Extract<FollowerMessage, { type: 'upstream-call' }>): void {
    const reply = (response: Response): void => void this.host.send(m.replyTo, { type: 'reply', tag: m.tag, response });
    const cal = this.world.nodeAt(this.follow?.cals ?? []);
    if (!cal) {
      reply({ errCode: ErrCode.OTHER, errDetail: 'no CAL reachable' });
      return;
    }
    const r = m.req;
    const mutation =
      r.verb === Verb.SET ? encodeSet(r.rev ?? -1, r.path ?? '', r.value ?? new Uint8Array()) : r.verb === Verb.DEL ? encodeDel(r.rev ?? -1, r.path ?? '') : NOP_MUTATION;
    const tag = this.nextUpstream++;
    this.upstream.set(tag, { replyTo: m.replyTo, tag: m.tag });
    cal.host.send(PROPOSER, { type: 'propose', mutation, replyTo: `${SIM_UPSTREAM}`, tag: this.idx * 1_000_000 + tag });
    cal.pendingUpstream.set(this.idx * 1_000_000 + tag, this);
  }

  /** Requests other nodes made through this one, by tag. */
  readonly pendingUpstream = new Map<number, SimNode>();

  private onUpstreamReply(p: ProposedMessage): void {
    const from = this.pendingUpstream.get(p.tag);
    if (!from) return;
    this.pendingUpstream.delete(p.tag);
    from.clock.run(() => from.upstreamAnswered(p.tag % 1_000_000, p));
  }

  private upstreamAnswered(tag: number, p: ProposedMessage): void {
    const u = this.upstream.get(tag);
    if (!u) return;
    this.upstream.delete(tag);
    const response: Response = 'err' in p ? { errCode: ErrCode[p.err.code as keyof typeof ErrCode] ?? ErrCode.OTHER, errDetail: p.err.text } : { rev: p.seqn };
    this.host.send(u.replyTo, { type: 'reply', tag: u.tag, response });
  }
}

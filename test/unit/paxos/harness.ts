// A tiny synchronous network of Paxos nodes for unit tests. A node is the
// three role cores (AcceptorCore, LearnerCore, ProposerCore) wired together
// the way the role actors wire them (src/actors/acceptor.ts, learner.ts,
// proposer.ts), but synchronously: after each input every core's outputs are
// drained and delivered, in order, until the node is quiet:
//   - `local` messages go to the role roleOf(cmd) names, from LOCAL_SOURCE;
//   - acceptor and learner `used` / `promised` go to ProposerCore.seen();
//   - learner `learned` go to ProposerCore.decided() (and are recorded: the
//     node's store gets them; storeApply() plays the store's part);
//   - a proposer's `wantFast` is granted by its AcceptorCore (grantFast) at once;
//   - `sends` go into the network queue, delivered when the test says so
//     (run()), so exact sequences can be checked.
import { AcceptorCore, type AcceptorState } from '../../../src/actors/paxos/acceptor-core.js';
import { LearnerCore } from '../../../src/actors/paxos/learner-core.js';
import { ProposerCore, type ProposerCoreOptions } from '../../../src/actors/paxos/proposer-core.js';
import { LOCAL_SOURCE, type Cal, type Learned, type PaxosMsg, type Written } from '../../../src/actors/paxos/types.js';
import { ACCEPTOR, LEARNER, PROPOSER, roleOf } from '../../../src/actors/paxos-messages.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export interface Packet {
  from: string;
  to: string;
  msg: PaxosMsg;
}

/** Options of every core of a test node (ProposerCore's, plus the acceptor's `keep`, default 4 alpha as in the simulator, and the windows' `maxHeld`). */
export type NodeOptions = Partial<Omit<ProposerCoreOptions, 'self'>> & { keep?: number; maxHeld?: number };

/** Work between the roles of one node: what the actors send each other. */
type Work =
  | { to: string; from: string; m: PaxosMsg }
  | { seen: true; used: number; promised: [number, number][]; wrote?: number }
  | { decided: Learned[] };

/** One node: its three role cores and what flows between them. */
export class TestNode {
  readonly acceptor: AcceptorCore;
  readonly learner: LearnerCore;
  readonly proposer: ProposerCore;
  readonly alpha: number;
  /** Messages between the roles not handled yet (a FIFO: the actors' mailboxes). */
  work: Work[] = [];
  /** Decisions the learner handed to the store, not applied yet. */
  readonly chosen = new Map<number, Uint8Array>();
  /** The store's rev (storeApply / storeSkip). */
  storeRev = 0;

  constructor(
    readonly self: Cal,
    opts: NodeOptions,
  ) {
    this.alpha = opts.alpha ?? 50;
    const { keep, maxHeld, ...popts } = opts;
    const held = maxHeld !== undefined ? { maxHeld } : {};
    this.acceptor = new AcceptorCore({ self, alpha: this.alpha, keep: keep ?? 4 * this.alpha, ...held });
    this.learner = new LearnerCore({ selfId: self.id, alpha: this.alpha, ...held });
    this.proposer = new ProposerCore({ self, rng: () => 0.5, ...popts });
  }

  /** Open instance `seqn` on every role, as each actor does when the store reaches seqn - alpha. */
  open(seqn: number, cals: readonly Cal[], now: number): void {
    this.acceptor.open(seqn, cals);
    this.learner.open(seqn, cals);
    this.proposer.open(seqn, cals, now);
  }

  /** Hand `m` from `from` to the role that handles it (routeByRole). */
  deliver(from: string, m: PaxosMsg, now: number): void {
    const role = roleOf(m.cmd);
    if (role === ACCEPTOR) this.acceptor.receive(from, m);
    else if (role === LEARNER) this.learner.receive(from, m);
    else if (role === PROPOSER) this.proposer.receive(from, m, now);
  }
}

export class TestNet {
  readonly nodes = new Map<string, TestNode>();
  queue: Packet[] = [];
  readonly learned = new Map<string, Learned[]>();
  readonly written = new Map<string, Written[]>();
  /** Writes the proposer could not settle (the store skipped their instance). */
  readonly unknown = new Map<string, number[]>();
  /** Acceptor states reported by drain() (what -data stores), in order. */
  readonly accepted = new Map<string, AcceptorState[]>();
  readonly wake = new Map<string, number>();
  now = 0;

  constructor(
    readonly cals: Cal[],
    opts: NodeOptions = {},
    extra: Cal[] = [],
  ) {
    for (const c of [...cals, ...extra]) {
      this.nodes.set(c.addr, new TestNode(c, opts));
      this.learned.set(c.addr, []);
      this.written.set(c.addr, []);
      this.unknown.set(c.addr, []);
      this.accepted.set(c.addr, []);
    }
  }

  node(addr: string): TestNode {
    return this.nodes.get(addr)!;
  }

  /** Open seqns [from, to] on every node with the CAL list. */
  open(from: number, to: number, cals: Cal[] = this.cals): void {
    for (const addr of this.nodes.keys()) this.openOn(addr, from, to, cals);
  }

  /** Open seqns [from, to] on node `addr` only. */
  openOn(addr: string, from: number, to: number, cals: readonly Cal[] = this.cals): void {
    const n = this.node(addr);
    for (let s = from; s <= to; s++) n.open(s, cals, this.now);
    this.collect(addr);
  }

  /**
   * Drain node `addr`'s cores and deliver what flows between its roles until
   * it is quiet; packets for other nodes go into the queue, decisions and
   * write outcomes into the records.
   */
  collect(addr: string, limit = 100000): void {
    const n = this.node(addr);
    for (;;) {
      if (limit-- <= 0) throw new Error(`node ${addr} does not settle`);
      const a = n.acceptor.drain();
      this.accepted.get(addr)!.push(...a.accepted);
      // The acceptor actor sends its hints at once, its messages after the disk (none here).
      if (a.used > 0 || a.wrote > 0 || a.promised.length > 0) n.work.push({ seen: true, used: a.used, promised: a.promised, wrote: a.wrote });
      this.sendAll(addr, a.sends);
      for (const m of a.local) n.work.push({ to: roleOf(m.cmd)!, from: LOCAL_SOURCE, m });

      const l = n.learner.drain();
      this.sendAll(addr, l.sends);
      if (l.learned.length > 0) {
        this.learned.get(addr)!.push(...l.learned);
        for (const d of l.learned) n.chosen.set(d.seqn, d.value);
        n.work.push({ decided: l.learned });
      }
      if (l.used > 0) n.work.push({ seen: true, used: l.used, promised: [] });

      const p = n.proposer.drain();
      this.sendAll(addr, p.sends);
      for (const m of p.local) n.work.push({ to: roleOf(m.cmd)!, from: LOCAL_SOURCE, m });
      this.written.get(addr)!.push(...p.written);
      this.unknown.get(addr)!.push(...p.unknown);
      this.wake.set(addr, p.wakeAt);
      // fastLeases: the acceptor actor answers a lease request at once (with -data after storing it).
      if (p.wantFast > 0) {
        const g = n.acceptor.grantFast(p.wantFast);
        n.proposer.fastLease(g.from, g.to, this.now);
        continue;
      }

      const w = n.work.shift();
      if (w === undefined) return;
      if ('seen' in w) n.proposer.seen(w.used, w.promised, this.now, w.wrote);
      else if ('decided' in w) for (const d of w.decided) n.proposer.decided(d.seqn, d.value, this.now);
      else n.deliver(w.from, w.m, this.now);
    }
  }

  private sendAll(from: string, sends: readonly { to: readonly string[]; msg: PaxosMsg }[]): void {
    for (const s of sends) for (const to of s.to) this.queue.push({ from, to, msg: s.msg });
  }

  propose(addr: string, value: string): number {
    const id = this.node(addr).proposer.propose(enc(value), this.now);
    this.collect(addr);
    return id;
  }

  /** A datagram from `from` arrives at node `addr` (routed by role). */
  receive(addr: string, from: string, msg: PaxosMsg): void {
    this.node(addr).deliver(from, msg, this.now);
    this.collect(addr);
  }

  tick(addr: string, now: number): void {
    this.now = now;
    this.node(addr).proposer.tick(now);
    this.collect(addr);
  }

  /** Restore acceptor states of a predecessor on node `addr` (a restart from -data). */
  restore(addr: string, states: readonly AcceptorState[]): void {
    this.node(addr).acceptor.restore(states);
    this.collect(addr);
  }

  /**
   * Play node `addr`'s store: apply the decisions its learner handed over,
   * in seqn order, up to the first gap (or `upTo`). For each applied seqn, as
   * the actors do on a store event: AcceptorCore.decided(seqn, value),
   * ProposerCore.decided + applied, LearnerCore.applied, and (`openNext`,
   * default true) open seqn + alpha on every role with `cals`.
   */
  storeApply(addr: string, opts: { upTo?: number; openNext?: boolean; cals?: readonly Cal[] } = {}): number {
    const n = this.node(addr);
    const upTo = opts.upTo ?? Infinity;
    for (;;) {
      const s = n.storeRev + 1;
      const v = n.chosen.get(s);
      if (v === undefined || s > upTo) break;
      this.applyOne(n, s, v, opts.openNext ?? true, opts.cals ?? this.cals);
    }
    this.collect(addr);
    return n.storeRev;
  }

  /** Node `addr`'s store applies `seqn` with `value` known from elsewhere (e.g. copied from a peer). */
  storeApplyValue(addr: string, seqn: number, value: string, openNext = true): void {
    const n = this.node(addr);
    this.applyOne(n, seqn, enc(value), openNext, this.cals);
    this.collect(addr);
  }

  /**
   * Node `addr`'s store jumps to a snapshot at `rev` (the revs in between
   * are skipped, their values unknown): decided(rev) without a value,
   * applied(rev) everywhere, and the window opened up to rev + alpha.
   */
  storeSkip(addr: string, rev: number, openNext = true): void {
    const n = this.node(addr);
    const prev = n.storeRev;
    n.acceptor.decided(rev);
    n.learner.applied(rev);
    n.proposer.applied(rev);
    if (openNext) for (let s = Math.max(prev + n.alpha, rev) + 1; s <= rev + n.alpha; s++) n.open(s, this.cals, this.now);
    n.storeRev = rev;
    this.collect(addr);
  }

  private applyOne(n: TestNode, s: number, v: Uint8Array, openNext: boolean, cals: readonly Cal[]): void {
    n.acceptor.decided(s, v);
    n.learner.applied(s);
    n.proposer.decided(s, v, this.now);
    n.proposer.applied(s);
    n.storeRev = s;
    if (openNext) n.open(s + n.alpha, cals, this.now);
  }

  /** Deliver queued packets (and the ones they cause) until quiet; `drop` filters out packets. */
  run(drop: (p: Packet) => boolean = () => false, limit = 10000): Packet[] {
    const seen: Packet[] = [];
    while (this.queue.length > 0 && limit-- > 0) {
      const p = this.queue.shift()!;
      seen.push(p);
      if (drop(p)) continue;
      if (!this.nodes.has(p.to)) continue;
      this.receive(p.to, p.from, p.msg);
    }
    return seen;
  }

  /** Decisions node `addr`'s learner reported: seqn -> value. */
  values(addr: string): Map<number, string> {
    return new Map(this.learned.get(addr)!.map((l) => [l.seqn, dec(l.value)]));
  }
}

/** CALs a..: ids sort in the given order. */
export function cals(n: number): Cal[] {
  return Array.from({ length: n }, (_, i) => ({ id: `ID${String.fromCharCode(65 + i)}`, addr: `h${i}:1` }));
}

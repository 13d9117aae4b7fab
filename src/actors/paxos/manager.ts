// The node's view of consensus: a pure, deterministic state machine in the
// style of etcd's raft library. No sockets, timers, clock or Math.random.
//
// Inputs (each takes `now`, a time in ms chosen by the caller):
//   open(seqn, cals, now)     instance `seqn` opens (store version seqn-alpha applied)
//   receive(from, msg, now)   a datagram from address `from`
//   propose(value, now)       a client write; returns its id
//   tick(now)                 time has passed (call at or after drain().wakeAt)
// Outputs, collected by drain():
//   sends    messages to send (never to this node: it delivers its own)
//   learned  decisions (seqn, value), in the order learned
//   written  client writes chosen: (id, seqn)
//   wakeAt   when to call tick next (Infinity: nothing scheduled)
//   accepted acceptor states changed since the last drain: a node that keeps
//            them on disk stores these before it lets out the rest
//
// What the node does beyond single instances:
// - Holds messages for instances not open yet (bounded), replays them on open.
// - Answers an INVITE for an instance it knows decided with LEARN (from its
//   own instances, else from `lookup`, the store's history).
// - Puts each client write into the next open instance it leads that it has
//   not proposed in yet; a write that loses there is retried at the next one
//   until it is chosen; `written` reports the seqn it finally got.
// - Fill: every instance seen in use makes every earlier undecided instance
//   (and itself) due for a `nop:` after the fill delay, proposed with this
//   node's own rounds. Instances it leads and has not used are filled with
//   `nop:` without that delay (the idle-leader rule, which keeps an idle CAL
//   from costing a fill delay per write), but only once they come near the
//   lowest undecided instance (`fillAhead`; at the latest `idleFillMaxMs`):
//   until then a write may still take them. An instance at or below (highest in use - alpha) is known
//   decided (whoever uses that instance applied it), so it is filled at
//   once: that is the catch-up path of a node that fell behind, answered by
//   LEARN.

import { CalConfig } from './cals.js';
import type { CoordinatorTiming } from './coordinator.js';
import { Instance, type Outbox } from './instance.js';
import {
  bytesEqual,
  Cmd,
  LOCAL_SOURCE,
  msg,
  NOP_VALUE,
  type Cal,
  type Learned,
  type PaxosMsg,
  type Rng,
  type Send,
  type Written,
} from './types.js';

export interface ManagerOptions {
  /** This node: its id (as in /ctl/cal/*) and its address. */
  self: Cal;
  /** Random source in [0, 1) for tick jitter. */
  rng: Rng;
  /** Instances open ahead of the store (spec: 50). */
  alpha?: number;
  /** Delay before filling an instance this node does not lead (spec -fill: 100 ms). */
  fillDelayMs?: number;
  /** First coordinator tick bound (spec: 1 ms), doubling per retry ... */
  tickInitialBoundMs?: number;
  /** ... up to this cap (ours; default 1000 ms). */
  tickMaxBoundMs?: number;
  /**
   * Timeout of a round-1 fast nomination before the INVITE fallback (default
   * 20 ms). Not the 1 ms tick bound: under load the event loop runs expired
   * timers before reading the votes already waiting in the socket, and a
   * fallback per write would double the traffic exactly when it hurts.
   */
  fastTimeoutMs?: number;
  /** Leader's first proposal skips phase 1 (default true). */
  fastPath?: boolean;
  /** An idle leader fills its own instances without the fill delay when a later one is in use (default true). */
  idleLeaderFill?: boolean;
  /**
   * How near the lowest undecided instance an idle leader's own instance
   * must come before that rule fills it, in seqns (default 2k, two turns of
   * the leader rotation; Infinity: as soon as a later instance is in use).
   */
  fillAhead?: number;
  /**
   * Longest that rule leaves such an instance unfilled once a later one is in
   * use, however far it is from the lowest undecided one (default 20 ms):
   * the bound for a node that missed a decision the others have.
   */
  idleFillMaxMs?: number;
  /** Most messages held for instances not open yet (default 4096). */
  maxHeld?: number;
  /** Hold messages for at most this many seqns beyond the highest open one (default 2*alpha). */
  holdAhead?: number;
  /** Decided instances kept behind the store for answering INVITEs (default alpha). */
  retain?: number;
  /** Value of an old decided seqn (store history), for catch-up answers. */
  lookup?: (seqn: number) => Uint8Array | undefined;
}

/** One instance's acceptor: highest promise, last vote. */
export interface AcceptorState {
  seqn: number;
  rnd: number;
  vrnd: number;
  vval: Uint8Array;
}

/** Counters for /metrics (this node's coordinators). */
export interface ManagerStats {
  /** Client writes placed in an instance (again after losing one). */
  proposals: number;
  /** `nop:` fills proposed. */
  fills: number;
  /** Rounds started (INVITE, or a round-1 NOMINATE). */
  rounds: number;
  /** Rounds started after an instance's first (timeouts). */
  retries: number;
}

export interface Ready {
  /** Acceptors that promised or voted since the last drain (their new state). */
  accepted: AcceptorState[];
  sends: Send[];
  learned: Learned[];
  written: Written[];
  wakeAt: number;
}

export interface InstanceView {
  seqn: number;
  leader: string;
  isCal: boolean;
  learned: boolean;
  value?: string;
  rnd: number;
  vrnd: number;
  crnd: number;
  tickAt: number;
  fillAt: number;
  writeId: number;
}

export interface ManagerView {
  self: Cal;
  low: number;
  high: number;
  highestUsed: number;
  held: number;
  queuedWrites: number[];
  instances: InstanceView[];
}

const NO_STATES: AcceptorState[] = [];

interface PendingWrite {
  id: number;
  value: Uint8Array;
  /** Instance it is proposed at, -1 while queued. */
  seqn: number;
}

interface Loopback {
  from: string;
  m: PaxosMsg;
}

export class Manager implements Outbox {
  readonly self: Cal;
  readonly alpha: number;
  private readonly rng: Rng;
  readonly fillDelayMs: number;
  private readonly timing: CoordinatorTiming;
  private readonly fastPath: boolean;
  private readonly idleLeaderFill: boolean;
  private readonly fillAhead: number | undefined;
  private readonly idleFillMaxMs: number;
  private readonly maxHeld: number;
  private readonly holdAhead: number;
  private readonly retain: number;
  /** Value of an old decided seqn, for catch-up answers (settable: a restored manager gets it again). */
  lookup: ((seqn: number) => Uint8Array | undefined) | undefined;

  readonly stats: ManagerStats = { proposals: 0, fills: 0, rounds: 0, retries: 0 };
  /** Acceptor states handed over by restoreAcceptors(), for instances not open yet. */
  private readonly restored = new Map<number, AcceptorState>();
  private readonly instances = new Map<number, Instance>();
  /** Instances with a timer (coordinator tick or fill). */
  private readonly active = new Set<Instance>();
  /** Lowest seqn kept; older ones were dropped. 0 before the first open. */
  private low = 0;
  /** Highest seqn opened; 0 before the first open. */
  private high = 0;
  private lastCfg: CalConfig | null = null;
  /** Highest seqn seen in use (any message, or a proposal of ours). */
  private highestUsed = 0;
  /** Lowest seqn that may be a free instance this node leads. */
  private ledCursor = 0;
  /** Lowest seqn that may be undecided here (see frontier()). */
  private undecided = 0;

  private readonly held = new Map<number, Loopback[]>();
  private heldCount = 0;

  private nextWriteId = 1;
  private readonly writes = new Map<number, PendingWrite>();
  private queue: PendingWrite[] = [];

  private loop: Loopback[] = [];
  private sends: Send[] = [];
  private learnedOut: Learned[] = [];
  private writtenOut: Written[] = [];
  /** Instances whose acceptor changed since the last drain. */
  private changed = new Set<Instance>();
  private now = 0;
  /** wakeAt() cache; recomputed when a timer may have changed. */
  private wakeCache = Infinity;
  private wakeDirty = false;

  constructor(opts: ManagerOptions) {
    this.self = { id: opts.self.id, addr: opts.self.addr };
    this.rng = opts.rng;
    this.alpha = opts.alpha ?? 50;
    this.fillDelayMs = opts.fillDelayMs ?? 100;
    this.timing = {
      initialBoundMs: opts.tickInitialBoundMs ?? 1,
      maxBoundMs: opts.tickMaxBoundMs ?? 1000,
      fastTimeoutMs: opts.fastTimeoutMs ?? 20,
    };
    this.fastPath = opts.fastPath ?? true;
    this.idleLeaderFill = opts.idleLeaderFill ?? true;
    this.fillAhead = opts.fillAhead;
    this.idleFillMaxMs = opts.idleFillMaxMs ?? 20;
    this.maxHeld = opts.maxHeld ?? 4096;
    this.holdAhead = opts.holdAhead ?? 2 * this.alpha;
    this.retain = opts.retain ?? this.alpha;
    this.lookup = opts.lookup;
  }

  // ---------------------------------------------------------------- inputs

  /**
   * Open instance `seqn` with CAL list `cals` (the non-empty /ctl/cal/* bodies
   * at store version seqn-alpha, with their addresses; order does not matter).
   * An empty list reuses the list of seqn-1 (or the last one opened).
   * Opening an instance that is open or was dropped does nothing.
   */
  open(seqn: number, cals: readonly Cal[], now: number): void {
    this.now = now;
    if (this.instances.has(seqn) || (this.low > 0 && seqn < this.low)) return;
    let cfg: CalConfig;
    const prev = this.instances.get(seqn - 1)?.cfg ?? this.lastCfg;
    if (cals.length === 0) cfg = prev ?? new CalConfig([], this.self.id);
    else if (prev !== null && prev.sameAs(cals)) cfg = prev;
    else cfg = new CalConfig(cals, this.self.id);
    const inst = new Instance(seqn, cfg);
    this.instances.set(seqn, inst);
    const restored = this.restored.get(seqn);
    if (restored !== undefined) {
      this.restored.delete(seqn);
      Object.assign(inst.acceptor, { rnd: restored.rnd, vrnd: restored.vrnd, vval: restored.vval });
    }
    if (this.low === 0) {
      this.low = seqn;
      this.ledCursor = seqn;
    }
    if (seqn > this.high) {
      this.high = seqn;
      this.lastCfg = cfg;
    }
    if (seqn < this.ledCursor) this.ledCursor = seqn;
    if (seqn <= this.highestUsed) this.considerFill(inst, this.highestUsed);
    const held = this.held.get(seqn);
    if (held !== undefined) {
      this.held.delete(seqn);
      this.heldCount -= held.length;
      for (const h of held) {
        if (seqn > this.highestUsed && cfg.indexOf(h.from) >= 0) this.noteUse(seqn);
        inst.receive(h.from, h.m, this);
      }
    }
    this.prune();
    this.settle();
  }

  /** A datagram from address `from`. Messages without a valid cmd or seqn are ignored. */
  receive(from: string, m: PaxosMsg, now: number): void {
    this.now = now;
    const s = m.seqn;
    if (!Number.isSafeInteger(s) || s <= 0) return;
    const c = m.cmd;
    if (c !== Cmd.INVITE && c !== Cmd.RSVP && c !== Cmd.NOMINATE && c !== Cmd.VOTE && c !== Cmd.LEARN) return;
    const inst = this.instances.get(s);
    if (inst !== undefined) {
      // Only CALs' messages show an instance in use (not a stray sender's).
      if (s > this.highestUsed && inst.cfg.indexOf(from) >= 0) this.noteUse(s);
      inst.receive(from, m, this);
    } else if (s < this.low) {
      // Dropped: catch-up only.
      if (c === Cmd.INVITE && this.lookup !== undefined) {
        const v = this.lookup(s);
        if (v !== undefined) this.sends.push({ to: [from], msg: msg(Cmd.LEARN, s, 0, 0, v) });
      }
    } else {
      if (s > this.highestUsed && this.lastCfg !== null && this.lastCfg.indexOf(from) >= 0) this.noteUse(s);
      this.hold(from, m);
    }
    this.settle();
  }

  /**
   * A value known decided by other means (e.g. the store stream a slave
   * follows): same as a LEARN message. Reported in `learned` if new here.
   */
  decided(seqn: number, value: Uint8Array, now: number): void {
    this.now = now;
    const inst = this.instances.get(seqn);
    if (inst !== undefined) {
      if (seqn > this.highestUsed) this.noteUse(seqn);
      if (inst.learner.learn(value) !== null) {
        if (inst.coord !== null) inst.coord.stop();
        inst.fillAt = Infinity;
        this.learned(inst, false);
      }
    } else if (seqn >= this.low) {
      this.hold(LOCAL_SOURCE, msg(Cmd.LEARN, seqn, 0, 0, value));
    }
    this.settle();
  }

  /** A client write. Returns its id; `written` reports (id, seqn) when it is chosen. */
  propose(value: Uint8Array, now: number): number {
    this.now = now;
    const w: PendingWrite = { id: this.nextWriteId++, value, seqn: -1 };
    this.writes.set(w.id, w);
    this.queue.push(w);
    this.settle();
    return w.id;
  }

  /**
   * Forget a client write (e.g. this node stopped being a CAL). True if it was
   * still queued; a write already proposed somewhere cannot be withdrawn, and
   * is then still reported if chosen.
   */
  cancel(id: number): boolean {
    const w = this.writes.get(id);
    if (w === undefined || w.seqn >= 0) return false;
    this.writes.delete(id);
    this.queue = this.queue.filter((q) => q !== w);
    return true;
  }

  /** Time has passed: run due coordinator ticks and fills. */
  tick(now: number): void {
    this.now = now;
    this.wakeDirty = true;
    for (const inst of this.active) {
      if (inst.value !== null) {
        this.active.delete(inst);
        continue;
      }
      if (inst.coord !== null && inst.coord.tickAt <= now) inst.tick(now, this.rng, this);
      if (inst.fillAt <= now) {
        inst.fillAt = Infinity;
        // Known decided (far below what is in use): INVITE at once, to get its LEARN.
        const fast = this.fastPath && inst.seqn > this.highestUsed - this.alpha;
        if (!inst.proposed) {
          this.stats.fills++;
          inst.propose(NOP_VALUE, fast, this.timing, now, this.rng, this);
        }
      }
      if (inst.wakeAt === Infinity) this.active.delete(inst);
    }
    this.settle();
  }

  // --------------------------------------------------------------- outputs

  /** Take the outputs produced since the last drain. */
  drain(): Ready {
    let accepted: AcceptorState[] = NO_STATES;
    if (this.changed.size > 0) {
      accepted = [];
      for (const inst of this.changed) {
        const a = inst.acceptor;
        accepted.push({ seqn: inst.seqn, rnd: a.rnd, vrnd: a.vrnd, vval: a.vval });
      }
      this.changed.clear();
    }
    const r: Ready = { accepted, sends: this.sends, learned: this.learnedOut, written: this.writtenOut, wakeAt: this.wakeAt() };
    if (this.sends.length > 0) this.sends = [];
    if (this.learnedOut.length > 0) this.learnedOut = [];
    if (this.writtenOut.length > 0) this.writtenOut = [];
    return r;
  }

  /** When tick() has work next (Infinity: nothing scheduled). */
  wakeAt(): number {
    if (!this.wakeDirty) return this.wakeCache;
    let t = Infinity;
    for (const inst of this.active) {
      const w = inst.wakeAt;
      if (w < t) t = w;
    }
    this.wakeCache = t;
    this.wakeDirty = false;
    return t;
  }

  /** Whether outputs are waiting for drain(). */
  get hasReady(): boolean {
    return this.sends.length > 0 || this.learnedOut.length > 0 || this.writtenOut.length > 0;
  }

  /** A snapshot for the debug view. Allocates; not for the hot path. */
  inspect(): ManagerView {
    const dec = new TextDecoder();
    const instances: InstanceView[] = [];
    const seqns = [...this.instances.keys()].sort((a, b) => a - b);
    for (const s of seqns) {
      const inst = this.instances.get(s)!;
      const li = inst.cfg.leaderIndex(s);
      const v = inst.value;
      const view: InstanceView = {
        seqn: s,
        leader: li >= 0 ? inst.cfg.cals[li]!.id : '',
        isCal: inst.isCal,
        learned: v !== null,
        rnd: inst.acceptor.rnd,
        vrnd: inst.acceptor.vrnd,
        crnd: inst.coord?.crnd ?? 0,
        tickAt: inst.coord?.tickAt ?? Infinity,
        fillAt: inst.fillAt,
        writeId: inst.writeId,
      };
      if (v !== null) view.value = dec.decode(v.subarray(0, 64));
      instances.push(view);
    }
    return {
      self: { ...this.self },
      low: this.low,
      high: this.high,
      highestUsed: this.highestUsed,
      held: this.heldCount,
      queuedWrites: this.queue.map((w) => w.id),
      instances,
    };
  }

  /**
   * What must outlive this object (spec: an acceptor never forgets a promise
   * or a vote): the acceptor state of every open instance that promised.
   * Everything else (learner counts, coordinator rounds, queued writes) the
   * protocol rebuilds by retrying.
   */
  acceptorStates(): AcceptorState[] {
    const out: AcceptorState[] = [];
    for (const inst of this.instances.values()) {
      const a = inst.acceptor;
      if (a.rnd > 0) out.push({ seqn: inst.seqn, rnd: a.rnd, vrnd: a.vrnd, vval: a.vval });
    }
    for (const r of this.restored.values()) if (r.seqn >= this.low) out.push(r);
    return out;
  }

  /**
   * Give a new manager the acceptor states of its predecessor; each applies
   * when its instance opens. `inUse`: also treat the highest of them as in
   * use, so the instances up to it are filled (after a restart from disk, a
   * value voted there may have been chosen: the fill's round finds it).
   */
  restoreAcceptors(states: readonly AcceptorState[], inUse = false): void {
    for (const r of states) {
      this.restored.set(r.seqn, r);
      if (inUse && r.seqn > this.highestUsed && this.high === 0) this.highestUsed = r.seqn;
    }
  }

  /** Highest seqn opened; 0 before the first open (a restored manager opens its window again). */
  get highestOpen(): number {
    return this.high;
  }

  /** The decided value of `seqn` if this node still has it. */
  valueOf(seqn: number): Uint8Array | undefined {
    return this.instances.get(seqn)?.value ?? undefined;
  }

  // ------------------------------------------------- Outbox (for instances)

  broadcast(inst: Instance, m: PaxosMsg): void {
    const cfg = inst.cfg;
    // A round starts with an INVITE, or with the leader's round-1 NOMINATE.
    if (m.cmd === Cmd.INVITE || (m.cmd === Cmd.NOMINATE && m.crnd === 1)) {
      this.stats.rounds++;
      if (m.cmd === Cmd.INVITE && (inst.coord?.rounds ?? 0) > 1) this.stats.retries++;
    }
    if (cfg.others.length > 0) this.sends.push({ to: cfg.others, msg: m });
    if (cfg.myIndex >= 0) this.loop.push({ from: cfg.myAddr, m });
    if (inst.seqn > this.highestUsed) this.noteUse(inst.seqn);
  }

  accepted(inst: Instance): void {
    this.changed.add(inst);
  }

  reply(inst: Instance, to: string, m: PaxosMsg): void {
    if (to === inst.cfg.myAddr || to === this.self.addr) this.loop.push({ from: to, m });
    else this.sends.push({ to: [to], msg: m });
  }

  learned(inst: Instance, fromVotes: boolean): void {
    const v = inst.value!;
    this.learnedOut.push({ seqn: inst.seqn, value: v });
    this.active.delete(inst);
    this.wakeDirty = true;
    if (fromVotes && inst.cfg.myIndex >= 0 && inst.cfg.others.length > 0) {
      this.sends.push({ to: inst.cfg.others, msg: msg(Cmd.LEARN, inst.seqn, 0, 0, v) });
    }
    if (inst.writeId >= 0) {
      const w = this.writes.get(inst.writeId);
      inst.writeId = -1;
      if (w !== undefined) {
        if (bytesEqual(w.value, v)) {
          this.writes.delete(w.id);
          this.writtenOut.push({ id: w.id, seqn: inst.seqn });
        } else {
          // Lost to a fill or another value: retry first, at the next instance we lead.
          w.seqn = -1;
          this.queue.unshift(w);
        }
      }
    }
  }

  // -------------------------------------------------------------- internals

  private hold(from: string, m: PaxosMsg): void {
    if (this.heldCount >= this.maxHeld) return;
    if (this.high > 0 && m.seqn > this.high + this.holdAhead) return;
    let list = this.held.get(m.seqn);
    if (list === undefined) {
      list = [];
      this.held.set(m.seqn, list);
    }
    list.push({ from, m });
    this.heldCount++;
  }

  /** Instance `s` is in use and is the highest so far: schedule fills below it. */
  private noteUse(s: number): void {
    const prev = this.highestUsed;
    this.highestUsed = s;
    if (this.high === 0) return;
    // Newly covered instances: (prev, s].
    const from = Math.max(prev + 1, this.low);
    const to = Math.min(s, this.high);
    for (let i = from; i <= to; i++) {
      const inst = this.instances.get(i);
      if (inst !== undefined) this.considerFill(inst, s);
    }
    // Newly known decided: (prev - alpha, s - alpha].
    const from2 = Math.max(prev - this.alpha + 1, this.low);
    const to2 = Math.min(s - this.alpha, this.high, from - 1);
    for (let i = from2; i <= to2; i++) {
      const inst = this.instances.get(i);
      if (inst !== undefined) this.considerFill(inst, s);
    }
  }

  /** Instance `inst` is at or below `used`, an instance in use. */
  private considerFill(inst: Instance, used: number): void {
    if (inst.value !== null || inst.proposed || !inst.isCal) return;
    // Instances we lead are filled by settle() (after queued writes) once
    // near the lowest undecided one; the timer here is a bound for when that
    // stays behind (this node missed a decision the others have).
    const delay = this.idleLeaderFill && inst.leads ? this.idleFillMaxMs : this.fillDelayMs;
    const due = inst.seqn <= used - this.alpha ? this.now : this.now + delay;
    if (due < inst.fillAt) {
      inst.fillAt = due;
      this.active.add(inst);
      this.wakeDirty = true;
    }
  }

  /** The lowest open, undecided instance this node leads and has not proposed in; null if none. */
  private freeLed(): Instance | null {
    if (this.ledCursor < this.low) this.ledCursor = this.low;
    while (this.ledCursor <= this.high) {
      const inst = this.instances.get(this.ledCursor);
      if (inst !== undefined && inst.leads && inst.value === null && !inst.proposed) return inst;
      this.ledCursor++;
    }
    return null;
  }

  /** Deliver our own messages, place queued writes, fill idle led instances; until quiet. */
  private settle(): void {
    const now = this.now;
    for (;;) {
      for (let i = 0; i < this.loop.length; i++) {
        const l = this.loop[i]!;
        const inst = this.instances.get(l.m.seqn);
        if (inst !== undefined) inst.receive(l.from, l.m, this);
      }
      this.loop.length = 0;

      while (this.queue.length > 0) {
        const inst = this.freeLed();
        if (inst === null) break;
        const w = this.queue.shift()!;
        w.seqn = inst.seqn;
        inst.writeId = w.id;
        this.stats.proposals++;
        inst.propose(w.value, this.fastPath, this.timing, now, this.rng, this);
        this.active.add(inst);
        this.wakeDirty = true;
      }
      if (this.idleLeaderFill && this.queue.length === 0) {
        for (;;) {
          const inst = this.freeLed();
          if (inst === null || inst.seqn > this.highestUsed) break;
          const knownDecided = inst.seqn <= this.highestUsed - this.alpha;
          // Far above the lowest undecided instance a no-op holds up nobody
          // yet, but it takes a slot of the window (alpha instances, shared
          // by all CALs) that our next write could use, and pushes that
          // write towards the window's edge, where it waits for everything
          // below it. Under load that wasted a third of the window. So the
          // no-op waits until the store is about to need this instance; the
          // margin gives it about a round trip to be decided first.
          if (!knownDecided && inst.seqn > this.frontier() + (this.fillAhead ?? 2 * inst.cfg.k)) break;
          this.stats.fills++;
          inst.propose(NOP_VALUE, this.fastPath && !knownDecided, this.timing, now, this.rng, this);
          this.active.add(inst);
          this.wakeDirty = true;
        }
      }
      if (this.loop.length === 0) return;
    }
  }

  /**
   * The lowest instance not decided here (or not open yet): where the store
   * waits. Only moves up: it never passes an instance that is not open, and
   * a decided instance stays decided.
   */
  private frontier(): number {
    if (this.undecided < this.low) this.undecided = this.low;
    for (;;) {
      const inst = this.instances.get(this.undecided);
      if (inst === undefined || inst.value === null) return this.undecided;
      this.undecided++;
    }
  }

  /** Drop decided instances that fell `retain` behind the store. */
  private prune(): void {
    // Everything at or below high - alpha has been applied by the store (the
    // caller opens v + alpha after applying v), so it is decided even if this
    // node never learned it here (a node that was not a CAL of it, fed by the
    // store rather than by decided()).
    const keepFrom = this.high - this.alpha - this.retain;
    while (this.low < keepFrom) {
      const inst = this.instances.get(this.low);
      if (inst !== undefined) {
        if (inst.value === null && inst.writeId >= 0) {
          // Our write was proposed here and we missed the decision: settle it from the store.
          const v = this.lookup?.(this.low);
          if (v === undefined) return; // keep it until we can tell
          inst.learner.learn(v);
          this.learned(inst, false);
        }
        this.instances.delete(this.low);
        this.active.delete(inst);
        this.wakeDirty = true;
      }
      this.low++;
    }
  }
}

// The proposer role of one node over its window of instances: a coordinator
// per instance (rounds, spec/consensus.md), the queue of this node's client
// writes, and fills. Pure, in the style of etcd's raft library: no sockets,
// timers, clock or Math.random; every input takes `now` (ms, chosen by the
// caller), outputs are collected by drain().
//
// Inputs:
//   open(seqn, cals, now)      instance `seqn` opens (store version seqn-alpha applied)
//   receive(from, m, now)      an RSVP from `from` (LOCAL_SOURCE: this node's own acceptor)
//   decided(seqn, value, now)  instance `seqn` is decided (the learner learned it, or the store applied it)
//   applied(seqn)              the store applied `seqn`: instances up to it are dropped
//   seen(used, promised, now, wrote)  what this node's acceptor and learner saw: the highest
//                              seqn a CAL used, promises above round 1 (coordinator floors),
//                              and the highest seqn nominated with a client write
//   propose(value, now)        a client write; returns its id
//   cancel(id)                 forget a queued write
//   tick(now)                  time has passed (call at or after drain().wakeAt)
//   fastLease(from, to, now)   this node's acceptor granted round 1 of seqns from + 1 .. to (fastLeases)
// Outputs (drain()):
//   sends    INVITE and NOMINATE to the other CALs
//   local    the same for this node's own acceptor
//   written  client writes chosen: (id, seqn)
//   unknown  client writes whose instance the store skipped (a snapshot): chosen or not
//   wakeAt   when to call tick next (Infinity: nothing scheduled)
//   wantFast a lease of round 1 up to this seqn is wanted from the acceptor (0: none; fastLeases)
//
// What it does beyond single instances:
// - Puts each client write into the next open instance it leads that it has
//   not proposed in yet; a write that loses there is retried at the next one
//   until it is chosen; `written` reports the seqn it finally got.
// - Fill: every instance seen in use makes every earlier undecided instance
//   (and itself) due for a `nop:` after the fill delay, proposed with this
//   node's own rounds. Instances it leads and has not used are filled with
//   `nop:` without that delay (the idle-leader rule, which keeps an idle CAL
//   from costing a fill delay per write), but only once they come near the
//   lowest undecided instance (`fillAhead`; at the latest `idleFillMaxMs`):
//   until then a write may still take them. The next-rotation rule: when
//   this node has no write of its own in flight and sees another CAL
//   nominate a client write at w, it fills its led instances up to w + k - 1
//   that way at once, without waiting for that CAL's next write to use the
//   instance after them. A lone writer's next write then finds them filled:
//   their votes ride the syncs of the write's own votes (they are lazy votes,
//   AcceptorCore drain().lazy) rather than costing a hop and a sync of their
//   own on its path. The rule is off while the cluster has an original
//   node (setNextRotation). An instance at or below
//   (highest in use - alpha) is known decided (whoever uses that instance
//   applied it), so it is filled at once: that is the catch-up path of a
//   node that fell behind, answered by LEARN.
import type { CalConfig } from './cals.js';
import { Coordinator, type CoordinatorTiming } from './coordinator.js';
import { bytesEqual, Cmd, LOCAL_SOURCE, NOP_VALUE, type Cal, type PaxosMsg, type Rng, type Send, type Written } from './types.js';
import { InstanceWindow } from './window.js';
import { ALPHA } from '../../wire/limits.js';
import { FAST_LEASE_SPAN } from './acceptor-core.js';

/** A round-1 lease is asked for when the one held ends less than this many seqns above the window. */
const LEASE_AHEAD = FAST_LEASE_SPAN / 2;
/** A lease asked for and not granted (a lost message) is asked for again after this long (ms). */
const LEASE_RETRY_MS = 1000;

export interface ProposerCoreOptions {
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
  /**
   * The fast path only in seqns this node's acceptor leased to this core
   * (fastLease; AcceptorCore.grantFast), never twice in one seqn across
   * restarts (default false: anywhere, for tests of one core's life).
   */
  fastLeases?: boolean;
  /**
   * With fastLeases, how long a core without a lease yet (a fresh one) holds
   * its writes and idle fills for the first lease (default 50 ms; it comes
   * from this node's acceptor in a mailbox round trip and, with -data, one
   * fsync), rather than sending them by the two-round-trip path.
   */
  leaseWaitMs?: number;
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
  /**
   * How long the lowest undecided instance may stay so here while a later
   * one is decided here, before this node fills it (default 20 ms;
   * Infinity: only the fill delay). Only in instances with another CAL of
   * ours (Cal.ours). That is the sign of a node that missed
   * the votes of a decision the others have: our nodes send each other no
   * LEARN (learner-core.ts), so this fill, an INVITE its peers answer with
   * the voted value (or with LEARN once they applied it), is how it learns
   * the instance, as soon as the cluster moves on rather than after the
   * fill delay.
   */
  missedFillMs?: number;
}

/** Counters for /metrics (this node's coordinators). */
export interface ProposerStats {
  /** Client writes placed in an instance (again after losing one). */
  proposals: number;
  /** `nop:` fills proposed. */
  fills: number;
  /** Rounds started (INVITE, or a round-1 NOMINATE). */
  rounds: number;
  /** Rounds started after an instance's first (timeouts). */
  retries: number;
}

export interface ProposerReady {
  sends: Send[];
  local: PaxosMsg[];
  written: Written[];
  /** Writes whose outcome this node cannot know (the store skipped their instance): chosen or not. */
  unknown: number[];
  wakeAt: number;
  /** With fastLeases: ask this node's acceptor for a round-1 lease covering this seqn (0: nothing to ask). */
  wantFast: number;
}

/** One instance as the debug view shows it. */
export interface InstanceView {
  seqn: number;
  leader: string;
  isCal: boolean;
  learned: boolean;
  value?: string;
  /** Highest round this node's acceptor promised, as far as the proposer knows (its coordinator's floor). */
  floor: number;
  crnd: number;
  tickAt: number;
  fillAt: number;
  writeId: number;
}

export interface ProposerView {
  self: Cal;
  low: number;
  high: number;
  highestUsed: number;
  queuedWrites: number[];
  instances: InstanceView[];
}

/** One instance as the proposer keeps it (exported for tests that plant bugs). */
export class ProposerInstance {
  coord: Coordinator | null = null;
  /** When to propose a fill no-op here (Infinity: not scheduled). */
  fillAt = Infinity;
  /** Id of this node's client write proposed here, -1 if none. */
  writeId = -1;
  /** The decided value, once known. */
  value: Uint8Array | null = null;
  /** Highest round this node's acceptor promised here, as reported. */
  floor = 0;

  constructor(
    readonly seqn: number,
    readonly cfg: CalConfig,
  ) {}

  get isCal(): boolean {
    return this.cfg.myIndex >= 0;
  }

  /** Whether this node leads the instance (cals[seqn mod k]). */
  get leads(): boolean {
    return this.cfg.myIndex >= 0 && this.cfg.leaderIndex(this.seqn) === this.cfg.myIndex;
  }

  get proposed(): boolean {
    return this.coord !== null && this.coord.crnd !== 0;
  }

  get wakeAt(): number {
    if (this.value !== null) return Infinity;
    const t = this.coord === null ? Infinity : this.coord.tickAt;
    return t < this.fillAt ? t : this.fillAt;
  }
}

interface PendingWrite {
  id: number;
  value: Uint8Array;
  /** Instance it is proposed at, -1 while queued. */
  seqn: number;
}

export class ProposerCore {
  readonly self: Cal;
  readonly alpha: number;
  readonly fillDelayMs: number;
  private readonly rng: Rng;
  private readonly timing: CoordinatorTiming;
  private readonly fastPath: boolean;
  private readonly fastLeases: boolean;
  /** Round 1 is this core's in seqns fastFrom + 1 .. fastTo (leases; everywhere without fastLeases). */
  private fastFrom = 0;
  private fastTo = Infinity;
  /** When a lease was last asked for (ms; a lost answer is asked for again after LEASE_RETRY_MS). */
  private leaseAskedAt = -Infinity;
  private readonly leaseWaitMs: number;
  /** Until when writes wait for the first lease (set at the first open). */
  private leaseWaitUntil = -Infinity;
  private readonly idleLeaderFill: boolean;
  private readonly fillAhead: number | undefined;
  private readonly idleFillMaxMs: number;
  private readonly missedFillMs: number;
  /** Highest seqn decided here (missedFillMs). */
  private highestDecided = 0;

  readonly stats: ProposerStats = { proposals: 0, fills: 0, rounds: 0, retries: 0 };
  private readonly window: InstanceWindow<ProposerInstance>;
  /** Instances with a timer (coordinator tick or fill). */
  private readonly active = new Set<ProposerInstance>();
  /** Floors reported for instances not open yet. */
  private readonly floors = new Map<number, number>();
  /** Highest seqn seen in use (any CAL's message, or a proposal of ours). */
  private highestUsed = 0;
  /**
   * Our led instances up to here may be filled although no later one is in
   * use yet (the next-rotation rule): the last client write another CAL
   * nominated, plus k - 1.
   */
  private nextRotationTo = 0;
  /** The next-rotation rule is on (off while the cluster has an original node: setNextRotation). */
  private nextRotation = true;
  private highestApplied = 0;
  /** Lowest seqn that may be a free instance this node leads. */
  private ledCursor = 0;
  /** Lowest seqn that may be undecided here (see frontier()). */
  private undecided = 0;

  private nextWriteId = 1;
  private readonly writes = new Map<number, PendingWrite>();
  private queue: PendingWrite[] = [];

  private sends: Send[] = [];
  private local: PaxosMsg[] = [];
  private writtenOut: Written[] = [];
  private unknownOut: number[] = [];
  private now = 0;
  private wakeCache = Infinity;
  private wakeDirty = false;

  constructor(opts: ProposerCoreOptions) {
    this.self = { id: opts.self.id, addr: opts.self.addr };
    this.rng = opts.rng;
    this.alpha = opts.alpha ?? ALPHA;
    this.fillDelayMs = opts.fillDelayMs ?? 100;
    this.timing = {
      initialBoundMs: opts.tickInitialBoundMs ?? 1,
      maxBoundMs: opts.tickMaxBoundMs ?? 1000,
      fastTimeoutMs: opts.fastTimeoutMs ?? 20,
    };
    this.fastPath = opts.fastPath ?? true;
    this.fastLeases = opts.fastLeases ?? false;
    if (this.fastLeases) this.fastTo = 0;
    this.leaseWaitMs = opts.leaseWaitMs ?? 50;
    this.idleLeaderFill = opts.idleLeaderFill ?? true;
    this.fillAhead = opts.fillAhead;
    this.idleFillMaxMs = opts.idleFillMaxMs ?? 20;
    this.missedFillMs = opts.missedFillMs ?? 20;
    // RSVPs are never held: they answer an INVITE of an open instance.
    this.window = new InstanceWindow<ProposerInstance>({ selfId: opts.self.id, holdAhead: 0, maxHeld: 0 }, (seqn, cfg) => new ProposerInstance(seqn, cfg));
  }

  // ---------------------------------------------------------------- inputs

  /** Open instance `seqn` with CAL list `cals` (empty: the previous list). */
  open(seqn: number, cals: readonly Cal[], now: number): void {
    this.now = now;
    if (seqn <= this.highestApplied) return;
    if (this.leaseWaitUntil === -Infinity && this.fastLeases && this.fastPath && this.fastTo === 0) this.leaseWaitUntil = now + this.leaseWaitMs;
    const o = this.window.open(seqn, cals);
    if (o === undefined) return;
    const e = o.entry;
    const f = this.floors.get(seqn);
    if (f !== undefined) {
      this.floors.delete(seqn);
      e.floor = f;
    }
    if (this.ledCursor === 0 || seqn < this.ledCursor) this.ledCursor = seqn;
    if (seqn <= this.highestUsed) this.considerFill(e, this.highestUsed);
    this.settle();
  }

  /** An RSVP from `from`; anything else is ignored. */
  receive(from: string, m: PaxosMsg, now: number): void {
    this.now = now;
    if (m.cmd !== Cmd.RSVP) return;
    const e = this.window.get(m.seqn);
    if (e === undefined || e.coord === null || e.value !== null) return;
    const idx = from === LOCAL_SOURCE ? e.cfg.myIndex : e.cfg.indexOf(from);
    if (idx < 0) return;
    const nom = e.coord.rsvp(e.seqn, idx, m.crnd, m.vrnd, m.value);
    if (nom !== null) this.broadcast(e, nom);
    this.settle();
  }

  /**
   * Turns the next-rotation rule on or off. Off while any node of the cluster
   * is an original doozerd: an original node attaching reads REV right after
   * its last registration write and copies the store as of that rev, and it
   * hangs for good when no-ops were decided in between (its copy then waits
   * for revs its follower has already passed). Filling at once after every
   * write makes that likely; without the rule no-ops come only when a later
   * write needs them, as in a cluster of originals.
   */
  setNextRotation(on: boolean): void {
    this.nextRotation = on;
    if (!on) this.nextRotationTo = 0;
  }

  /**
   * What this node's acceptor or learner saw: `used` the highest seqn in use
   * (0: none new), `promised` floors, `wrote` the highest seqn nominated with
   * a client write (0: none new; the next-rotation rule).
   */
  seen(used: number, promised: readonly (readonly [number, number])[], now: number, wrote = 0): void {
    this.now = now;
    if (wrote > 0 && this.idleLeaderFill && this.nextRotation) {
      const w = this.window.get(wrote);
      if (w !== undefined && w.isCal && !w.leads) this.nextRotationTo = Math.max(this.nextRotationTo, wrote + w.cfg.k - 1);
    }
    for (const [seqn, rnd] of promised) {
      const e = this.window.get(seqn);
      if (e !== undefined) {
        if (rnd > e.floor) e.floor = rnd;
      } else if (seqn > this.window.high && rnd > (this.floors.get(seqn) ?? 0)) {
        this.floors.set(seqn, rnd);
      }
    }
    if (used > this.highestUsed) this.noteUse(used);
    this.settle();
  }

  /**
   * Instance `seqn` is decided with `value` (from the learner, or the store:
   * both may report it; the second report does nothing). A write of ours
   * proposed there is reported written if it is the value, else queued again.
   */
  decided(seqn: number, value: Uint8Array, now: number): void {
    this.now = now;
    const e = this.window.get(seqn);
    if (e === undefined || e.value !== null) return;
    if (seqn > this.highestUsed) this.noteUse(seqn);
    e.value = value;
    if (e.coord !== null) e.coord.stop();
    e.fillAt = Infinity;
    this.active.delete(e);
    this.wakeDirty = true;
    if (seqn > this.highestDecided) this.highestDecided = seqn;
    this.settleWrite(e, value);
    this.watchFrontier();
    this.settle();
  }

  /**
   * The store applied `seqn`: drop every instance up to it. A write of ours
   * proposed in one whose value was never reported (the store jumped to a
   * snapshot over it) may or may not have been chosen: reported `unknown`.
   */
  applied(seqn: number): void {
    if (seqn <= this.highestApplied) return;
    this.highestApplied = seqn;
    this.window.dropBelow(seqn + 1, (e) => {
      this.active.delete(e);
      this.wakeDirty = true;
      if (e.writeId >= 0 && this.writes.delete(e.writeId)) this.unknownOut.push(e.writeId);
    });
    for (const s of this.floors.keys()) if (s <= seqn) this.floors.delete(s);
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
    for (const e of this.active) {
      if (e.value !== null) {
        this.active.delete(e);
        continue;
      }
      if (e.coord !== null && e.coord.tickAt <= now) {
        const m = e.coord.tick(e.seqn, e.floor, now, this.rng);
        if (m !== null) this.broadcast(e, m);
      }
      if (e.fillAt <= now) {
        e.fillAt = Infinity;
        // Known decided (far below what is in use): INVITE at once, to get its LEARN.
        const fast = this.fastPath && e.seqn > this.highestUsed - this.alpha;
        if (!e.proposed) {
          this.stats.fills++;
          this.start(e, NOP_VALUE, fast);
        }
      }
      if (e.wakeAt === Infinity) this.active.delete(e);
    }
    this.settle();
  }

  /**
   * This node's acceptor granted round 1 of seqns from + 1 .. to to this core
   * (AcceptorCore.grantFast). A lease that continues the current one extends
   * it; any other replaces it (each seqn is granted once, to one core).
   */
  fastLease(from: number, to: number, now: number): void {
    this.now = now;
    if (!this.fastLeases || !(to > from)) return;
    if (from === this.fastTo && this.fastTo > this.fastFrom) this.fastTo = to;
    else {
      this.fastFrom = from;
      this.fastTo = to;
    }
    this.leaseAskedAt = -Infinity;
    this.leaseWaitUntil = 0;
    this.wakeDirty = true;
    this.settle();
  }

  // --------------------------------------------------------------- outputs

  /** Take the outputs produced since the last drain. */
  drain(): ProposerReady {
    const r: ProposerReady = {
      sends: this.sends, local: this.local, written: this.writtenOut, unknown: this.unknownOut, wakeAt: this.wakeAt(), wantFast: this.leaseWanted(),
    };
    if (this.sends.length > 0) this.sends = [];
    if (this.local.length > 0) this.local = [];
    if (this.writtenOut.length > 0) this.writtenOut = [];
    if (this.unknownOut.length > 0) this.unknownOut = [];
    return r;
  }

  /** When tick() has work next (Infinity: nothing scheduled). */
  wakeAt(): number {
    if (!this.wakeDirty) return this.wakeCache;
    let t = this.waitingForLease() && this.queue.length > 0 ? this.leaseWaitUntil : Infinity;
    for (const e of this.active) {
      const w = e.wakeAt;
      if (w < t) t = w;
    }
    this.wakeCache = t;
    this.wakeDirty = false;
    return t;
  }

  /** Ids of writes proposed or queued and not chosen yet. */
  pendingWrites(): number[] {
    return [...this.writes.keys()];
  }

  /** A snapshot for the debug view. Allocates; not for the hot path. */
  inspect(): ProposerView {
    const dec = new TextDecoder();
    const instances: InstanceView[] = [];
    for (const e of [...this.window.values()].sort((a, b) => a.seqn - b.seqn)) {
      const li = e.cfg.leaderIndex(e.seqn);
      const view: InstanceView = {
        seqn: e.seqn,
        leader: li >= 0 ? e.cfg.cals[li]!.id : '',
        isCal: e.isCal,
        learned: e.value !== null,
        floor: e.floor,
        crnd: e.coord?.crnd ?? 0,
        tickAt: e.coord?.tickAt ?? Infinity,
        fillAt: e.fillAt,
        writeId: e.writeId,
      };
      if (e.value !== null) view.value = dec.decode(e.value.subarray(0, 64));
      instances.push(view);
    }
    return {
      self: { ...this.self },
      low: this.window.low,
      high: this.window.high,
      highestUsed: this.highestUsed,
      queuedWrites: this.queue.map((w) => w.id),
      instances,
    };
  }

  // -------------------------------------------------------------- internals

  /** Whether writes wait for this fresh core's first lease (fastLeases, leaseWaitMs). */
  private waitingForLease(): boolean {
    return this.now < this.leaseWaitUntil && this.fastTo === 0;
  }

  /** Whether round 1 of `seqn` is this core's to use (fastLeases). */
  private mayUseRound1(seqn: number): boolean {
    return seqn > this.fastFrom && seqn <= this.fastTo;
  }

  /** The seqn to ask a round-1 lease up to (0: none needed, or asked recently): half a lease ahead of the window. */
  private leaseWanted(): number {
    if (!this.fastLeases || !this.fastPath) return 0;
    const high = this.window.high;
    if (high === 0 || this.fastTo >= high + LEASE_AHEAD) return 0;
    if (this.now - this.leaseAskedAt < LEASE_RETRY_MS) return 0;
    this.leaseAskedAt = this.now;
    return high;
  }

  /** Start this node's proposal of `v` at `e`; false if it cannot (not a CAL, proposed already, decided). */
  private start(e: ProposerInstance, v: Uint8Array, fast: boolean): boolean {
    if (e.value !== null || e.cfg.myIndex < 0) return false;
    if (e.coord === null) e.coord = new Coordinator(e.cfg.myIndex, e.cfg.k, e.cfg.quorum, this.timing);
    const m = e.coord.propose(e.seqn, v, fast && e.leads && this.mayUseRound1(e.seqn), e.floor, this.now, this.rng);
    if (m === null) return false;
    e.fillAt = Infinity;
    this.broadcast(e, m);
    this.active.add(e);
    this.wakeDirty = true;
    return true;
  }

  private broadcast(e: ProposerInstance, m: PaxosMsg): void {
    // A round starts with an INVITE, or with the leader's round-1 NOMINATE.
    if (m.cmd === Cmd.INVITE || (m.cmd === Cmd.NOMINATE && m.crnd === 1)) {
      this.stats.rounds++;
      if (m.cmd === Cmd.INVITE && (e.coord?.rounds ?? 0) > 1) this.stats.retries++;
    }
    if (e.cfg.others.length > 0) this.sends.push({ to: e.cfg.others, msg: m });
    if (e.cfg.myIndex >= 0) this.local.push(m);
    if (e.seqn > this.highestUsed) this.noteUse(e.seqn);
    this.wakeDirty = true;
  }

  /** The write proposed at `e` is settled: chosen if `value` is its value, else queued again. */
  private settleWrite(e: ProposerInstance, value: Uint8Array): void {
    if (e.writeId < 0) return;
    const w = this.writes.get(e.writeId);
    e.writeId = -1;
    if (w === undefined) return;
    if (bytesEqual(w.value, value)) {
      this.writes.delete(w.id);
      this.writtenOut.push({ id: w.id, seqn: e.seqn });
    } else {
      // Lost to a fill or another value: retry first, at the next instance we lead.
      w.seqn = -1;
      this.queue.unshift(w);
    }
  }

  /** Instance `s` is in use and is the highest so far: schedule fills below it. */
  private noteUse(s: number): void {
    const prev = this.highestUsed;
    this.highestUsed = s;
    const low = this.window.low;
    const high = this.window.high;
    if (high === 0) return;
    // Newly covered instances: (prev, s].
    const from = Math.max(prev + 1, low);
    const to = Math.min(s, high);
    for (let i = from; i <= to; i++) {
      const e = this.window.get(i);
      if (e !== undefined) this.considerFill(e, s);
    }
    // Newly known decided: (prev - alpha, s - alpha].
    const from2 = Math.max(prev - this.alpha + 1, low);
    const to2 = Math.min(s - this.alpha, high, from - 1);
    for (let i = from2; i <= to2; i++) {
      const e = this.window.get(i);
      if (e !== undefined) this.considerFill(e, s);
    }
  }

  /** Instance `e` is at or below `used`, an instance in use. */
  private considerFill(e: ProposerInstance, used: number): void {
    if (e.value !== null || e.proposed || !e.isCal) return;
    // Instances we lead are filled by settle() (after queued writes) once
    // near the lowest undecided one; the timer here is a bound for when that
    // stays behind (this node missed a decision the others have).
    const delay = this.idleLeaderFill && e.leads ? this.idleFillMaxMs : this.fillDelayMs;
    const due = e.seqn <= used - this.alpha ? this.now : this.now + delay;
    if (due < e.fillAt) {
      e.fillAt = due;
      this.active.add(e);
      this.wakeDirty = true;
    }
  }

  /** The lowest open, undecided instance this node leads and has not proposed in; null if none. */
  private freeLed(): ProposerInstance | null {
    if (this.ledCursor < this.window.low) this.ledCursor = this.window.low;
    while (this.ledCursor <= this.window.high) {
      const e = this.window.get(this.ledCursor);
      if (e !== undefined && e.leads && e.value === null && !e.proposed) return e;
      this.ledCursor++;
    }
    return null;
  }

  /** Place queued writes, fill idle led instances. */
  private settle(): void {
    if (this.waitingForLease()) {
      this.wakeDirty = true; // tick at leaseWaitUntil if the lease does not come
      return;
    }
    while (this.queue.length > 0) {
      const e = this.freeLed();
      if (e === null) break;
      const w = this.queue.shift()!;
      w.seqn = e.seqn;
      e.writeId = w.id;
      this.stats.proposals++;
      this.start(e, w.value, this.fastPath);
    }
    if (!this.idleLeaderFill || this.queue.length > 0) return;
    for (;;) {
      const e = this.freeLed();
      // Not above what is in use, unless the next-rotation rule allows it (and we have no write in flight).
      if (e === null || (e.seqn > this.highestUsed && (e.seqn > this.nextRotationTo || this.writes.size > 0))) break;
      const knownDecided = e.seqn <= this.highestUsed - this.alpha;
      // Far above the lowest undecided instance a no-op holds up nobody
      // yet, but it takes a slot of the window (alpha instances, shared
      // by all CALs) that our next write could use, and pushes that
      // write towards the window's edge, where it waits for everything
      // below it. Under load that wasted a third of the window. So the
      // no-op waits until the store is about to need this instance; the
      // margin gives it about a round trip to be decided first.
      if (!knownDecided && e.seqn > this.frontier() + (this.fillAhead ?? 2 * e.cfg.k)) break;
      this.stats.fills++;
      this.start(e, NOP_VALUE, this.fastPath && !knownDecided);
    }
  }

  /**
   * An instance above the lowest undecided one is decided here: that one is
   * due for a fill within missedFillMs (this node may have missed its votes).
   */
  private watchFrontier(): void {
    if (this.missedFillMs === Infinity) return;
    const f = this.frontier();
    if (f >= this.highestDecided) return;
    const e = this.window.get(f);
    if (e === undefined || e.value !== null || e.proposed || !e.isCal) return;
    // Only where a peer of ours sends this node no LEARN: with original peers alone nothing changed.
    if (e.cfg.learnTo.length === e.cfg.others.length) return;
    const due = this.now + this.missedFillMs;
    if (due < e.fillAt) {
      e.fillAt = due;
      this.active.add(e);
      this.wakeDirty = true;
    }
  }

  /**
   * The lowest instance not decided here (or not open yet): where the store
   * waits. Only moves up: it never passes an instance that is not open, and
   * a decided instance stays decided.
   */
  private frontier(): number {
    if (this.undecided < this.window.low) this.undecided = this.window.low;
    for (;;) {
      const e = this.window.get(this.undecided);
      if (e === undefined || e.value === null) return this.undecided;
      this.undecided++;
    }
  }
}

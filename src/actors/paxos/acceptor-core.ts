// The acceptor role of one node over its window of instances
// (spec/consensus.md, "Roles inside one instance"): promises (INVITE -> RSVP)
// and votes (NOMINATE -> VOTE). Pure, in the style of etcd's raft library:
// inputs are method calls, outputs are collected by drain().
//
// Inputs:
//   open(seqn, cals)      instance `seqn` opens (store version seqn-alpha applied)
//   receive(from, m)      an INVITE or NOMINATE from address `from` (LOCAL_SOURCE: this node's own proposer)
//   decided(seqn, value)  the store applied `seqn`: its instance is over; INVITEs for it are answered with LEARN
//   restore(states)       promises and votes of a predecessor (a restart): each applies when its instance opens
//   grantFast(upTo)       this node's proposer asks for round 1 of seqns (the fast path): a lease
//   restoreFastGrants(n)  a predecessor granted round 1 up to seqn n (a restart)
// Outputs (drain()):
//   accepted   acceptor states changed since the last drain: with -data they
//              are stored before `sends` and `local` leave
//   sends      RSVP replies, VOTE broadcasts, LEARN catch-up answers, to other nodes
//   local      messages for this node's own roles (RSVP to its proposer, VOTE to its learner)
//   used       highest seqn a CAL was seen using, when it rose (0: unchanged)
//   wrote      highest seqn seen nominated with a client's data write (not a no-op, not under /ctl), when it rose (0: unchanged)
//   lazy       every promise and vote since the last drain is a vote for a
//              no-op above every instance seen in use otherwise: nothing
//              waits for it yet (an idle leader's fill of its next rotation),
//              so with -data it may wait for the next sync rather than cost
//              one of its own
//   promised   promises above round 1 ([seqn, rnd]): the floor of this node's coordinators
import { Acceptor } from './acceptor.js';
import type { CalConfig } from './cals.js';
import { bytesEqual, Cmd, LOCAL_SOURCE, msg, NOP_VALUE, writesCtl, type Cal, type PaxosMsg, type Send } from './types.js';
import { InstanceWindow } from './window.js';

/** One instance's acceptor state (what -data keeps). */
export interface AcceptorState {
  seqn: number;
  rnd: number;
  vrnd: number;
  vval: Uint8Array;
}

export interface AcceptorCoreOptions {
  /** This node: its id (as in /ctl/cal/*) and its address. */
  self: Cal;
  /** Instances open ahead of the store (spec: 50). */
  alpha: number;
  /** Decided values kept to answer a lagging peer's INVITE with LEARN. */
  keep: number;
  /** Most messages held for instances not open yet (default 4096). */
  maxHeld?: number;
}

export interface AcceptorReady {
  accepted: AcceptorState[];
  sends: Send[];
  local: PaxosMsg[];
  used: number;
  wrote: number;
  lazy: boolean;
  promised: [seqn: number, rnd: number][];
}

interface Entry {
  readonly seqn: number;
  readonly cfg: CalConfig;
  readonly acceptor: Acceptor;
}

const NO_STATES: AcceptorState[] = [];

/**
 * Seqns per round-1 lease (grantFast): with -data each lease costs one
 * fsync, and after a restart up to this many seqns go without the fast path.
 */
export const FAST_LEASE_SPAN = 4096;
const NO_PROMISES: [number, number][] = [];

export class AcceptorCore {
  readonly self: Cal;
  readonly alpha: number;
  readonly keep: number;
  private readonly window: InstanceWindow<Entry>;
  /** States handed over by restore(), for instances not open yet. */
  private readonly restored = new Map<number, AcceptorState>();
  /** Decided values by seqn (the last `keep`), for catch-up answers. */
  private readonly decidedValues = new Map<number, Uint8Array>();
  private highestDecided = 0;
  /** Highest seqn whose round 1 was ever granted to a proposer of this node (grantFast). */
  private fastGrantedTo = 0;
  private highestUsed = 0;
  private usedOut = 0;
  /** Highest seqn seen in use by anything but a no-op's nomination (a write, an INVITE, a restored state). */
  private urgentTo = 0;
  private highestWrote = 0;
  private wroteOut = 0;
  /** Something handled since the last drain was not a lazy vote (see drain().lazy). */
  private urgent = false;

  private sends: Send[] = [];
  private local: PaxosMsg[] = [];
  private changed = new Set<Entry>();
  private promised: [number, number][] = NO_PROMISES;

  constructor(opts: AcceptorCoreOptions) {
    this.self = { id: opts.self.id, addr: opts.self.addr };
    this.alpha = opts.alpha;
    this.keep = opts.keep;
    this.window = new InstanceWindow<Entry>(
      { selfId: opts.self.id, holdAhead: 2 * opts.alpha, ...(opts.maxHeld !== undefined ? { maxHeld: opts.maxHeld } : {}) },
      (seqn, cfg) => ({ seqn, cfg, acceptor: new Acceptor() }),
    );
  }

  /** Open instance `seqn` with CAL list `cals` (empty: the previous list). */
  open(seqn: number, cals: readonly Cal[]): void {
    if (seqn <= this.highestDecided) return;
    const o = this.window.open(seqn, cals);
    if (o === undefined) return;
    const r = this.restored.get(seqn);
    if (r !== undefined) {
      this.restored.delete(seqn);
      Object.assign(o.entry.acceptor, { rnd: r.rnd, vrnd: r.vrnd, vval: r.vval });
    }
    for (const h of o.held) this.handle(o.entry, h.from, h.m);
  }

  /** An INVITE or NOMINATE from `from`; anything else, or an invalid seqn, is ignored. */
  receive(from: string, m: PaxosMsg): void {
    const s = m.seqn;
    if (!Number.isSafeInteger(s) || s <= 0 || (m.cmd !== Cmd.INVITE && m.cmd !== Cmd.NOMINATE)) return;
    if (s <= this.highestDecided) {
      // Over here: a lagging coordinator gets the decision (catch-up).
      const v = m.cmd === Cmd.INVITE ? this.decidedValues.get(s) : undefined;
      if (v !== undefined) {
        this.urgent = true;
        this.reply(from, msg(Cmd.LEARN, s, 0, 0, v));
      }
      return;
    }
    const e = this.window.get(s);
    if (e !== undefined) this.handle(e, from, m);
    else if (this.window.holdEarly(from, m)) this.noteUse(s);
  }

  /**
   * The store applied `seqn` (with `value`, when known: a store that starts
   * from a snapshot knows only its rev): its instance and every earlier one
   * are over.
   */
  decided(seqn: number, value?: Uint8Array): void {
    if (value !== undefined) {
      this.decidedValues.set(seqn, value);
      this.decidedValues.delete(seqn - this.keep);
    }
    if (seqn <= this.highestDecided) return;
    this.highestDecided = seqn;
    this.window.dropBelow(seqn + 1, (e) => this.changed.delete(e));
    for (const r of this.restored.keys()) if (r <= seqn) this.restored.delete(r);
  }

  /**
   * Promises and votes of a predecessor (a restart, from disk or from a dead
   * thread); each applies when its instance opens. The highest is reported
   * as in use, so the proposer fills up to it (a value voted there may have
   * been chosen: the fill's round finds it).
   */
  restore(states: readonly AcceptorState[]): void {
    for (const r of states) {
      if (r.seqn <= this.highestDecided) continue;
      this.restored.set(r.seqn, r);
      // Every restored promise, round 1 included: a coordinator of ours must
      // not try the fast path where this acceptor already voted (it would
      // wait out the fast timeout per instance before a node restarted from
      // -data became writable).
      this.notePromise(r.seqn, r.rnd);
      this.noteUse(r.seqn);
      if (r.seqn > this.urgentTo) this.urgentTo = r.seqn;
    }
  }

  /**
   * A lease of round 1 (the leader's fast path, coordinator.ts) for this
   * node's proposer: seqns from + 1 .. to, covering `upTo`. Round 1 of a seqn
   * must be used once, with one value, ever; a proposer's rounds die with it
   * (an actor restart, a crash), so it may use round 1 only where its node's
   * acceptor granted it, and each seqn is granted once: every lease starts
   * above all earlier ones. With -data the caller stores `to`
   * (restoreFastGrants after a restart) before the lease leaves.
   */
  grantFast(upTo: number): { from: number; to: number } {
    const from = this.fastGrantedTo;
    const to = Math.max(from, upTo) + FAST_LEASE_SPAN;
    this.fastGrantedTo = to;
    return { from, to };
  }

  /** A predecessor granted round 1 up to seqn `n` (from -data, or a moved core): later leases start above it. */
  restoreFastGrants(n: number): void {
    if (n > this.fastGrantedTo) this.fastGrantedTo = n;
  }

  /** Highest seqn whose round 1 was granted (what -data and a moved core keep). */
  get fastGranted(): number {
    return this.fastGrantedTo;
  }

  /** The decided values kept for catch-up answers, oldest first (what a moved acceptor must take along). */
  decidedKept(): { seqn: number; value: Uint8Array }[] {
    return [...this.decidedValues].sort((a, b) => a[0] - b[0]).map(([seqn, value]) => ({ seqn, value }));
  }

  /** Every promise this node holds (open instances and restored ones): what must outlive this object. */
  states(): AcceptorState[] {
    const out: AcceptorState[] = [];
    for (const e of this.window.values()) {
      const a = e.acceptor;
      if (a.rnd > 0) out.push({ seqn: e.seqn, rnd: a.rnd, vrnd: a.vrnd, vval: a.vval });
    }
    for (const r of this.restored.values()) out.push(r);
    return out;
  }

  /** Take the outputs produced since the last drain. */
  drain(): AcceptorReady {
    let accepted = NO_STATES;
    if (this.changed.size > 0) {
      accepted = [];
      for (const e of this.changed) {
        const a = e.acceptor;
        accepted.push({ seqn: e.seqn, rnd: a.rnd, vrnd: a.vrnd, vval: a.vval });
      }
      this.changed.clear();
    }
    const r: AcceptorReady = {
      accepted, sends: this.sends, local: this.local, used: this.usedOut, wrote: this.wroteOut, lazy: !this.urgent, promised: this.promised,
    };
    if (this.sends.length > 0) this.sends = [];
    if (this.local.length > 0) this.local = [];
    this.promised = NO_PROMISES;
    this.usedOut = 0;
    this.wroteOut = 0;
    this.urgent = false;
    return r;
  }

  /** For the debug view: open instances, held messages, highest decided. */
  inspect(): { low: number; high: number; held: number; highestDecided: number; promises: AcceptorState[] } {
    return { low: this.window.low, high: this.window.high, held: this.window.heldMessages, highestDecided: this.highestDecided, promises: this.states() };
  }

  private handle(e: Entry, from: string, m: PaxosMsg): void {
    const cfg = e.cfg;
    // Only CALs of the instance may lead it, and only a CAL votes.
    if (cfg.myIndex < 0 || (from !== LOCAL_SOURCE && cfg.indexOf(from) < 0)) return;
    if (e.seqn > this.highestUsed) this.noteUse(e.seqn);
    const a = e.acceptor;
    if (m.cmd === Cmd.INVITE) {
      if (!a.invite(m.crnd)) return;
      this.changed.add(e);
      this.urgent = true;
      if (e.seqn > this.urgentTo) this.urgentTo = e.seqn;
      if (m.crnd > 1) this.notePromise(e.seqn, m.crnd);
      this.reply(from, msg(Cmd.RSVP, e.seqn, m.crnd, a.vrnd, a.vval));
    } else {
      if (!a.nominate(m.crnd, m.value)) return;
      this.changed.add(e);
      if (!bytesEqual(m.value, NOP_VALUE)) {
        if (e.seqn > this.urgentTo) this.urgentTo = e.seqn;
        // Writes under /ctl start no next rotation: an original node attaching
        // reads REV right after its registration writes, and no-ops decided
        // then would hang it (ProposerCore.setNextRotation).
        if (e.seqn > this.highestWrote && !writesCtl(m.value)) this.highestWrote = this.wroteOut = e.seqn;
        this.urgent = true;
      } else if (e.seqn <= this.urgentTo) this.urgent = true;
      if (m.crnd > 1) this.notePromise(e.seqn, m.crnd);
      // VOTE(vrnd, v); crnd carries the same round for peers that read it.
      const vote = msg(Cmd.VOTE, e.seqn, m.crnd, m.crnd, m.value);
      if (cfg.others.length > 0) this.sends.push({ to: cfg.others, msg: vote });
      this.local.push(vote);
    }
  }

  private reply(to: string, m: PaxosMsg): void {
    if (to === LOCAL_SOURCE || to === this.self.addr) this.local.push(m);
    else this.sends.push({ to: [to], msg: m });
  }

  private noteUse(s: number): void {
    if (s <= this.highestUsed) return;
    this.highestUsed = s;
    this.usedOut = s;
  }

  private notePromise(seqn: number, rnd: number): void {
    if (this.promised === NO_PROMISES) this.promised = [];
    this.promised.push([seqn, rnd]);
  }
}

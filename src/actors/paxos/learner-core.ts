// The learner role of one node over its window of instances
// (spec/consensus.md): counts VOTEs, takes LEARNs, and reports each decided
// value once. Pure: inputs are method calls, outputs are collected by drain().
//
// Inputs:
//   open(seqn, cals)    instance `seqn` opens (store version seqn-alpha applied)
//   receive(from, m)    a VOTE or LEARN from address `from` (LOCAL_SOURCE: this node's own acceptor)
//   applied(seqn)       the store applied `seqn`: that instance and every earlier one are over
// Outputs (drain()):
//   learned   decisions (seqn, value), each once, in the order learned
//   sends     LEARN to the other CALs of an instance this node learned from
//             votes, except CALs known to run this implementation (Cal.ours):
//             every CAL gets every VOTE, so among our nodes a LEARN repeats
//             what each learns from the votes anyway, and cost an encode, a
//             decode and a lookup per write per peer. Original nodes get it
//             as the spec says. One of ours that missed the votes learns
//             the instance by its proposer's fill (an INVITE answered with
//             the voted value, or with LEARN once decided; proposer-core.ts
//             `missedFillMs`), as an original does when a LEARN is lost.
//   used      highest seqn a CAL was seen using, when it rose (0: unchanged)
import type { CalConfig } from './cals.js';
import { Learner } from './learner.js';
import { Cmd, LOCAL_SOURCE, msg, type Cal, type Learned, type PaxosMsg, type Send } from './types.js';
import { InstanceWindow } from './window.js';

export interface LearnerCoreOptions {
  /** This node's id (as in /ctl/cal/*). */
  selfId: string;
  /** Instances open ahead of the store (spec: 50). */
  alpha: number;
  /** Most messages held for instances not open yet (default 4096). */
  maxHeld?: number;
  /** Send LEARN to CALs known to be ours too (default false: only to the others; for measurements and tests). */
  learnToOurs?: boolean;
}

export interface LearnerReady {
  learned: Learned[];
  sends: Send[];
  used: number;
}

interface Entry {
  readonly seqn: number;
  readonly cfg: CalConfig;
  readonly learner: Learner;
}

export class LearnerCore {
  private readonly window: InstanceWindow<Entry>;
  private highestApplied = 0;
  private highestUsed = 0;
  private usedOut = 0;
  private learned: Learned[] = [];
  private sends: Send[] = [];
  private readonly learnToOurs: boolean;

  constructor(opts: LearnerCoreOptions) {
    this.learnToOurs = opts.learnToOurs ?? false;
    this.window = new InstanceWindow<Entry>(
      { selfId: opts.selfId, holdAhead: 2 * opts.alpha, ...(opts.maxHeld !== undefined ? { maxHeld: opts.maxHeld } : {}) },
      (seqn, cfg) => ({ seqn, cfg, learner: new Learner(cfg.k, cfg.quorum) }),
    );
  }

  /** Open instance `seqn` with CAL list `cals` (empty: the previous list). */
  open(seqn: number, cals: readonly Cal[]): void {
    if (seqn <= this.highestApplied) return;
    const o = this.window.open(seqn, cals);
    if (o === undefined) return;
    for (const h of o.held) this.handle(o.entry, h.from, h.m);
  }

  /** A VOTE or LEARN from `from`; anything else, or an invalid seqn, is ignored. */
  receive(from: string, m: PaxosMsg): void {
    const s = m.seqn;
    if (!Number.isSafeInteger(s) || s <= this.highestApplied || (m.cmd !== Cmd.VOTE && m.cmd !== Cmd.LEARN)) return;
    const e = this.window.get(s);
    if (e !== undefined) this.handle(e, from, m);
    else if (this.window.holdEarly(from, m)) this.noteUse(s);
  }

  /** The store applied `seqn`: that instance and every earlier one are over. */
  applied(seqn: number): void {
    if (seqn <= this.highestApplied) return;
    this.highestApplied = seqn;
    this.window.dropBelow(seqn + 1);
  }

  /** Take the outputs produced since the last drain. */
  drain(): LearnerReady {
    const r: LearnerReady = { learned: this.learned, sends: this.sends, used: this.usedOut };
    if (this.learned.length > 0) this.learned = [];
    if (this.sends.length > 0) this.sends = [];
    this.usedOut = 0;
    return r;
  }

  /** For the debug view. */
  inspect(): { low: number; high: number; held: number; applied: number; learnedAhead: number[] } {
    const learnedAhead: number[] = [];
    for (const e of this.window.values()) if (e.learner.done) learnedAhead.push(e.seqn);
    return { low: this.window.low, high: this.window.high, held: this.window.heldMessages, applied: this.highestApplied, learnedAhead };
  }

  private handle(e: Entry, from: string, m: PaxosMsg): void {
    if (e.learner.done) return;
    const cfg = e.cfg;
    const idx = from === LOCAL_SOURCE ? cfg.myIndex : cfg.indexOf(from);
    // Only a CAL of the instance (or this node itself) counts: anybody else could inject any value.
    if (idx < 0 && from !== LOCAL_SOURCE) return;
    if (e.seqn > this.highestUsed && idx >= 0) this.noteUse(e.seqn);
    if (m.cmd === Cmd.VOTE) {
      const v = e.learner.vote(idx, m.vrnd > 0 ? m.vrnd : m.crnd, m.value);
      if (v === null) return;
      this.learned.push({ seqn: e.seqn, value: v });
      const to = this.learnToOurs ? cfg.others : cfg.learnTo;
      if (cfg.myIndex >= 0 && to.length > 0) this.sends.push({ to, msg: msg(Cmd.LEARN, e.seqn, 0, 0, v) });
    } else {
      const v = e.learner.learn(m.value);
      if (v !== null) this.learned.push({ seqn: e.seqn, value: v });
    }
  }

  private noteUse(s: number): void {
    if (s <= this.highestUsed) return;
    this.highestUsed = s;
    this.usedOut = s;
  }
}

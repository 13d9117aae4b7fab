// One instance of Paxos (one seqn) on one node: its CAL list and the three
// roles wired together. Routing of the messages it produces, and what a
// decision means to the node, are left to the Outbox (the manager).

import { Acceptor } from './acceptor.js';
import type { CalConfig } from './cals.js';
import { Coordinator, type CoordinatorTiming } from './coordinator.js';
import { Learner } from './learner.js';
import { Cmd, LOCAL_SOURCE, msg, type PaxosMsg, type Rng } from './types.js';

export interface Outbox {
  /** Send to every CAL of the instance, this node included. */
  broadcast(inst: Instance, m: PaxosMsg): void;
  /** Send to one address. */
  reply(inst: Instance, to: string, m: PaxosMsg): void;
  /** The instance was just learned (`fromVotes`: by a quorum of votes, not a LEARN). */
  learned(inst: Instance, fromVotes: boolean): void;
  /** The acceptor just promised or voted: its state must be stored before the reply leaves. */
  accepted(inst: Instance): void;
}

export class Instance {
  readonly acceptor = new Acceptor();
  readonly learner: Learner;
  coord: Coordinator | null = null;
  /** When to propose a fill no-op here (Infinity: not scheduled). */
  fillAt = Infinity;
  /** Id of this node's client write proposed here, -1 if none. */
  writeId = -1;

  constructor(
    readonly seqn: number,
    readonly cfg: CalConfig,
  ) {
    this.learner = new Learner(cfg.k, cfg.quorum);
  }

  /** The decided value, or null. */
  get value(): Uint8Array | null {
    return this.learner.value;
  }

  /** Whether this node is a CAL of the instance. */
  get isCal(): boolean {
    return this.cfg.myIndex >= 0;
  }

  /** Whether this node leads the instance (cals[seqn mod k]). */
  get leads(): boolean {
    return this.cfg.myIndex >= 0 && this.cfg.leaderIndex(this.seqn) === this.cfg.myIndex;
  }

  /** Whether this node has proposed here (its coordinator started). */
  get proposed(): boolean {
    return this.coord !== null && this.coord.crnd !== 0;
  }

  /** Next time this instance wants a tick (Infinity: none). */
  get wakeAt(): number {
    if (this.learner.value !== null) return Infinity;
    const t = this.coord === null ? Infinity : this.coord.tickAt;
    return t < this.fillAt ? t : this.fillAt;
  }

  /** A message for this instance from `from`. */
  receive(from: string, m: PaxosMsg, out: Outbox): void {
    const learned = this.learner.value;
    if (learned !== null) {
      // Catch-up: a coordinator still running here gets the decision.
      if (m.cmd === Cmd.INVITE) out.reply(this, from, msg(Cmd.LEARN, this.seqn, 0, 0, learned));
      return;
    }
    const idx = this.cfg.indexOf(from);
    switch (m.cmd) {
      case Cmd.INVITE:
        if (idx < 0 || this.cfg.myIndex < 0) return;
        if (this.acceptor.invite(m.crnd)) {
          out.accepted(this);
          const a = this.acceptor;
          out.reply(this, from, msg(Cmd.RSVP, this.seqn, m.crnd, a.vrnd, a.vval));
        }
        return;
      case Cmd.RSVP:
        if (idx < 0 || this.coord === null) return;
        {
          const nom = this.coord.rsvp(this.seqn, idx, m.crnd, m.vrnd, m.value);
          if (nom !== null) out.broadcast(this, nom);
        }
        return;
      case Cmd.NOMINATE:
        if (idx < 0 || this.cfg.myIndex < 0) return;
        if (this.acceptor.nominate(m.crnd, m.value)) {
          out.accepted(this);
          // VOTE(vrnd, v); crnd carries the same round for peers that read it.
          out.broadcast(this, msg(Cmd.VOTE, this.seqn, m.crnd, m.crnd, m.value));
        }
        return;
      case Cmd.VOTE:
        if (idx < 0) return;
        if (this.learner.vote(idx, m.vrnd > 0 ? m.vrnd : m.crnd, m.value) !== null) this.decided(true, out);
        return;
      case Cmd.LEARN:
        // Only from a CAL of this instance (or this node itself, a decision
        // known from the store): anybody else could inject any value.
        if (idx < 0 && from !== LOCAL_SOURCE) return;
        if (this.learner.learn(m.value) !== null) this.decided(false, out);
        return;
      default:
        return;
    }
  }

  /**
   * Start this node's proposal of `v` here. `fast`: may use the round-1 fast
   * path (only if this node leads the instance). False if this node is not a
   * CAL, already proposed, or the instance is decided.
   */
  propose(v: Uint8Array, fast: boolean, timing: CoordinatorTiming, now: number, rng: Rng, out: Outbox): boolean {
    if (this.learner.value !== null || this.cfg.myIndex < 0) return false;
    if (this.coord === null) this.coord = new Coordinator(this.cfg.myIndex, this.cfg.k, this.cfg.quorum, timing);
    const m = this.coord.propose(this.seqn, v, fast && this.leads, this.acceptor.rnd, now, rng);
    if (m === null) return false;
    this.fillAt = Infinity;
    out.broadcast(this, m);
    return true;
  }

  /** Coordinator timeout: start a new round if its time has come. */
  tick(now: number, rng: Rng, out: Outbox): void {
    if (this.learner.value !== null || this.coord === null) return;
    const m = this.coord.tick(this.seqn, this.acceptor.rnd, now, rng);
    if (m !== null) out.broadcast(this, m);
  }

  private decided(fromVotes: boolean, out: Outbox): void {
    if (this.coord !== null) this.coord.stop();
    this.fillAt = Infinity;
    out.learned(this, fromVotes);
  }
}

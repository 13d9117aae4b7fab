// The CAL list of an instance and what a node derives from it
// (spec/consensus.md, "Which CALs run instance n"). Instances with the same
// list share one CalConfig, so opening an instance allocates nothing here.

import type { Cal } from './types.js';

/** Byte order of ASCII/UTF-8 ids (code point order; ids are base32). */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameCal(a: Cal, b: Cal): boolean {
  return a.id === b.id && a.addr === b.addr && (a.ours === true) === (b.ours === true);
}

export class CalConfig {
  readonly cals: readonly Cal[];
  readonly k: number;
  /** k/2 + 1, integer division. */
  readonly quorum: number;
  /** This node's index in the list, -1 if it is not a CAL of these instances. */
  readonly myIndex: number;
  /** This node's address as listed ('' if not listed). */
  readonly myAddr: string;
  /** Addresses of the other CALs: where a broadcast goes besides this node. */
  readonly others: readonly string[];
  /**
   * Addresses of the other CALs not known to run this implementation: where
   * a LEARN goes (learner-core.ts). Ours learn from the VOTEs they all get.
   */
  readonly learnTo: readonly string[];
  private readonly byAddr: Map<string, number>;

  constructor(cals: readonly Cal[], selfId: string) {
    const sorted = [...cals].sort((a, b) => compareIds(a.id, b.id));
    this.cals = sorted;
    this.k = sorted.length;
    this.quorum = Math.floor(this.k / 2) + 1;
    this.myIndex = sorted.findIndex((c) => c.id === selfId);
    this.myAddr = this.myIndex >= 0 ? sorted[this.myIndex]!.addr : '';
    this.byAddr = new Map();
    sorted.forEach((c, i) => this.byAddr.set(c.addr, i));
    this.others = sorted.filter((_, i) => i !== this.myIndex).map((c) => c.addr);
    this.learnTo = sorted.filter((c, i) => i !== this.myIndex && c.ours !== true).map((c) => c.addr);
  }

  /** Index of the CAL at `addr`, -1 for a sender that is not a CAL of these instances. */
  indexOf(addr: string): number {
    const i = this.byAddr.get(addr);
    return i === undefined ? -1 : i;
  }

  /** Index of the leader of instance `seqn` (cals[seqn mod k]); -1 if there are no CALs. */
  leaderIndex(seqn: number): number {
    return this.k === 0 ? -1 : seqn % this.k;
  }

  /** Whether `cals` is the same list (same ids, addresses and ours flags, any order). */
  sameAs(cals: readonly Cal[]): boolean {
    if (cals.length !== this.k) return false;
    let i = 0;
    while (i < cals.length && sameCal(cals[i]!, this.cals[i]!)) i++;
    if (i === cals.length) return true; // same order (the usual case): no sort
    const sorted = [...cals].sort((a, b) => compareIds(a.id, b.id));
    for (i = 0; i < sorted.length; i++) {
      if (!sameCal(sorted[i]!, this.cals[i]!)) return false;
    }
    return true;
  }
}

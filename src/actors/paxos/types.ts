// Plain data types of the consensus core (spec/consensus.md).
//
// Everything here is structured-clone safe: numbers, strings and Uint8Array
// only, no class instances, so messages can cross threads unchanged. Field
// names follow the wire message `consensus.Msg` (cmd, seqn, crnd, vrnd,
// value), so encoding is a field-by-field copy.

// The wire-level parts (command numbers, message shape) live in src/wire;
// re-exported here so the Paxos core imports them from one place.
export { Cmd, type CmdValue, type PaxosMsg } from '../../wire/paxos-msg.js';
import type { PaxosMsg } from '../../wire/paxos-msg.js';

/** A message to send to every address in `to` (the node's own address is never in it). */
export interface Send {
  to: readonly string[];
  msg: PaxosMsg;
}

/** A CAL of an instance: node id (the body of a /ctl/cal/* file) and its address. */
export interface Cal {
  id: string;
  addr: string;
  /**
   * The node runs this implementation (its /ctl/node/<id>/version has our
   * prefix): it learns every decision from the VOTEs, so its peers of ours
   * send it no LEARN (learner-core.ts). Absent: not known to be ours.
   */
  ours?: boolean;
}

/** A decision: the value of instance `seqn`. */
export interface Learned {
  seqn: number;
  value: Uint8Array;
}

/** A client write of this node that was chosen: write `id` is the value of `seqn`. */
export interface Written {
  id: number;
  seqn: number;
}

/** Random source in [0, 1). Passed in so the core stays deterministic. */
export type Rng = () => number;

/** The no-op mutation. */
/**
 * The `from` of a message this node makes for itself (a decision known from
 * the store, held until its instance opens). Never a datagram's source: those
 * are always host:port.
 */
export const LOCAL_SOURCE = '';

export const NOP_VALUE: Uint8Array = new TextEncoder().encode('nop:');

export const EMPTY: Uint8Array = new Uint8Array(0);

const CTL_DIR = new TextEncoder().encode('/ctl/');
/** Longest `<rev>:` prefix of a mutation: an int64 in decimal, its sign, the colon. */
const MAX_REV_PREFIX = 21;

/**
 * Whether mutation `v` (`<rev>:<path>=<body>` or `<rev>:<path>`,
 * spec/store.md) writes under /ctl/: doozerd's own files (a node's
 * registration, its pulses, the CAL slots) rather than a client's data.
 */
export function writesCtl(v: Uint8Array): boolean {
  let colon = -1;
  for (let i = 0; i < v.length && i < MAX_REV_PREFIX; i++) {
    if (v[i] === 0x3a) {
      colon = i;
      break;
    }
  }
  if (colon < 0 || v.length < colon + 1 + CTL_DIR.length) return false;
  for (let i = 0; i < CTL_DIR.length; i++) if (v[colon + 1 + i] !== CTL_DIR[i]) return false;
  return true;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function msg(cmd: number, seqn: number, crnd: number, vrnd: number, value: Uint8Array): PaxosMsg {
  return { cmd, seqn, crnd, vrnd, value };
}

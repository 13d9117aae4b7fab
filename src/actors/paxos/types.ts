// Plain data types of the consensus core (spec/consensus.md).
//
// Everything here is structured-clone safe: numbers, strings and Uint8Array
// only, no class instances, so messages can cross threads unchanged. Field
// names follow the wire message `consensus.Msg` (cmd, seqn, crnd, vrnd,
// value), so encoding is a field-by-field copy.

/** Msg.Cmd values (proto/consensus.proto). TICK and PROPOSE never go on the wire. */
export const Cmd = {
  NOP: 0,
  INVITE: 1,
  RSVP: 2,
  NOMINATE: 3,
  VOTE: 4,
  TICK: 5,
  PROPOSE: 6,
  LEARN: 7,
} as const;
export type CmdValue = (typeof Cmd)[keyof typeof Cmd];

/** One consensus message, as carried by one datagram. */
export interface PaxosMsg {
  cmd: number;
  seqn: number;
  /** Round of the sender's coordinator (INVITE, RSVP, NOMINATE); 0 when unused. */
  crnd: number;
  /** Round of the vote (RSVP: last vote of the acceptor, VOTE: this vote); 0 when unused. */
  vrnd: number;
  /** The value (RSVP, NOMINATE, VOTE, LEARN); empty when unused. */
  value: Uint8Array;
}

/** A message to send to every address in `to` (the node's own address is never in it). */
export interface Send {
  to: readonly string[];
  msg: PaxosMsg;
}

/** A CAL of an instance: node id (the body of a /ctl/cal/* file) and its address. */
export interface Cal {
  id: string;
  addr: string;
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

// The consensus datagram's message (proto/consensus.proto, spec/consensus.md):
// its command numbers and its shape as plain data. Structured-clone safe
// (numbers and a Uint8Array), so a message crosses threads unchanged. The
// Paxos core re-exports these from src/actors/paxos/types.ts.

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


// What the Paxos role actors exchange with the UDP transport (src/net) and
// with each other, and which role handles which consensus message: the
// routing of the design card ("the supervisor routes network messages to
// them"). The transport and the roles' own local messages use the same
// table, so a message from this node to itself takes the path a peer's does.
import { Cmd, type PaxosMsg, type Send } from './paxos/types.js';

export const ACCEPTOR = 'acceptor';
export const LEARNER = 'learner';
export { PROPOSER } from './proposer-messages.js';
import { PROPOSER } from './proposer-messages.js';

/** Endpoint of the UDP transport: datagrams out. */
export const UDP_OUT = 'udp-out';

/**
 * Transport (or a role of this node) → role: consensus messages from `from`
 * (host:port of a peer; LOCAL_SOURCE, '', for this node's own roles).
 */
export interface PeerInMessage {
  type: 'peer-in';
  from: string;
  msgs: PaxosMsg[];
}

/** Role → transport. */
export type PeerOutMessage =
  /**
   * `now`: flush at once, with what is queued, rather than at the end of the
   * drain (votes released by a disk sync: the rest of the drain, the learner
   * and the store applying what they decide, must not delay them).
   */
  | { type: 'peer-out'; sends: Send[]; now?: boolean }
  /** Addresses of peers known to run this implementation (batching allowed). */
  | { type: 'peer-ours'; addrs: string[] };

/**
 * The role actor that handles consensus message `cmd` (spec/consensus.md):
 * INVITE and NOMINATE the acceptor, RSVP the proposer (TICK and PROPOSE never
 * travel), VOTE and LEARN the learner; undefined for anything else.
 */
export function roleOf(cmd: number): string | undefined {
  switch (cmd) {
    case Cmd.INVITE:
    case Cmd.NOMINATE:
      return ACCEPTOR;
    case Cmd.RSVP:
    case Cmd.TICK:
    case Cmd.PROPOSE:
      return PROPOSER;
    case Cmd.VOTE:
    case Cmd.LEARN:
      return LEARNER;
    default:
      return undefined;
  }
}

/**
 * Split `msgs` by the role that handles each, in order; calls `deliver` once
 * per role with its messages (one call in the usual case: a datagram carries
 * messages of one kind). Messages no role handles are dropped.
 */
export function routeByRole(msgs: readonly PaxosMsg[], deliver: (role: string, msgs: PaxosMsg[]) => void): void {
  if (msgs.length === 1) {
    const role = roleOf(msgs[0]!.cmd);
    if (role !== undefined) deliver(role, msgs as PaxosMsg[]);
    return;
  }
  let acceptor: PaxosMsg[] | undefined;
  let learner: PaxosMsg[] | undefined;
  let proposer: PaxosMsg[] | undefined;
  for (const m of msgs) {
    const role = roleOf(m.cmd);
    if (role === ACCEPTOR) (acceptor ??= []).push(m);
    else if (role === LEARNER) (learner ??= []).push(m);
    else if (role === PROPOSER) (proposer ??= []).push(m);
  }
  if (acceptor) deliver(ACCEPTOR, acceptor);
  if (proposer) deliver(PROPOSER, proposer);
  if (learner) deliver(LEARNER, learner);
}

/** Acceptor or learner → proposer: what it saw (ProposerCore.seen). Sent only when something rose. */
export interface SeenMessage {
  type: 'seen';
  /** Highest seqn a CAL was seen using (0: none new). */
  used: number;
  /** Highest seqn seen nominated with a client write (not a no-op), when it rose: the next-rotation fill (ProposerCore.seen). */
  wrote?: number;
  /** Promises of this node's acceptor above round 1: [seqn, rnd]. */
  promised: [seqn: number, rnd: number][];
}

/**
 * Proposer → acceptor: a lease of round 1 (the fast path) up to at least
 * seqn `upTo` is wanted (ProposerCore drain().wantFast).
 */
export interface FastWantMessage {
  type: 'fast-want';
  upTo: number;
}

/**
 * Acceptor → proposer: round 1 of seqns from + 1 .. to is this proposer's
 * (AcceptorCore.grantFast; with -data stored before it is sent).
 */
export interface FastLeaseMessage {
  type: 'fast-lease';
  from: number;
  to: number;
}

/** Learner → proposer: instances decided (each reported once by the learner). */
export interface DecidedMessage {
  type: 'decided';
  learned: { seqn: number; value: Uint8Array }[];
}

/**
 * Acceptor → proposer: the -data disk refuses (`failure` says why) or takes
 * writes again (no `failure`). While it refuses, this node cannot vote, and
 * the proposer refuses client writes rather than hold them.
 */
export interface DiskStateMessage {
  type: 'disk-state';
  failure?: string;
}

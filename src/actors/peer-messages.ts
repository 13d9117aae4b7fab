// The messages between the consensus actors and the UDP transport
// (src/net/udp-transport.ts), and the transport's endpoint name. Defined on
// the actor side so actors never import from src/net; the transport imports
// them (layers: docs/architecture.md).
import type { PaxosMsg } from '../wire/paxos-msg.js';
import type { Send } from './paxos/types.js';

/** Endpoint of the UDP transport: actors send it PeerOutMessage. */
export const UDP_OUT = 'udp-out';

/** Consensus actor ← transport: the messages of one datagram. `at`: when it arrived (ms, Date.now()). */
export interface PeerInMessage {
  type: 'peer-in';
  from: string;
  msgs: PaxosMsg[];
  at: number;
}

/** Consensus actor → transport. */
export type PeerOutMessage =
  | { type: 'peer-out'; sends: Send[] }
  /** Addresses of peers known to run this implementation (batching allowed). */
  | { type: 'peer-ours'; addrs: string[] };

/** Transport → liveness: peers heard since the last report, with the receive time of their last datagram. */
export interface HeardMessage {
  type: 'heard';
  peers: [addr: string, at: number][];
}

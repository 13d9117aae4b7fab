// The proposer's interface, the same for a lone CAL and for a Paxos cluster:
// sessions hand it a mutation and get back the seqn it was applied at (after
// this node's store applied it) or the mutation's error.
export const PROPOSER = 'proposer';

export interface ProposeMessage {
  type: 'propose';
  mutation: Uint8Array;
  replyTo: string;
  tag: number;
}

export type ProposedMessage =
  | { type: 'proposed'; tag: number; seqn: number }
  | { type: 'proposed'; tag: number; err: { code: 'READONLY' | 'REV_MISMATCH' | 'NOTDIR' | 'ISDIR' | 'BAD_PATH' | 'OTHER'; text: string } };

// Limits that follow from the wire (spec/consensus.md, store.md).

/**
 * alpha: how many consensus instances are open ahead of the store
 * (spec/consensus.md). Every node of a cluster must use the same value: a
 * mutation chosen at seqn n may change the CALs of instance n + alpha.
 */
export const ALPHA = 50;

/** One consensus datagram carries at most 3000 bytes. */
export const MAX_DATAGRAM_BYTES = 3000;

/**
 * The largest mutation (`<rev>:<path>=<body>`) we accept from a client: a
 * datagram minus the worst-case Msg header (cmd, seqn, crnd, vrnd as 10-byte
 * varints, value tag and length). Enforced the same on a single node and in a
 * cluster, so a write that works alone also works replicated.
 */
export const MAX_MUTATION_BYTES = MAX_DATAGRAM_BYTES - 40;

/**
 * The largest value (body) a SET may carry in a cluster whose CALs are all
 * ours (ZooKeeper's default limit): a larger body travels outside the
 * consensus datagram and Paxos agrees on a reference to it
 * (src/actors/store/blob-ref.ts, docs/protocol.md "Large values").
 */
export const MAX_BIG_VALUE_BYTES = 1024 * 1024;

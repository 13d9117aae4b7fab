// Messages the store actor understands and sends. Plain data only.
import type { Response } from '../../wire/client-codec.js';
import type { StoreEvent, StoreFile } from './store.js';
import type { CtlCal } from './ctl.js';

export const STORE = 'store';

export type ReadOp = 'get' | 'stat' | 'getdir' | 'walk';

export type StoreMessage =
  /** A decided mutation for seqn (from the learner); applied strictly in order. */
  | { type: 'apply'; seqn: number; mutation: Uint8Array }
  /** A client read; rev in the future waits until the store reaches it. */
  | { type: 'read'; op: ReadOp; path: string; rev?: number; offset?: number; replyTo: string; tag: number }
  | { type: 'rev'; replyTo: string; tag: number }
  /** WAIT: first change at or after rev matching glob. */
  | { type: 'wait'; glob: string; rev: number; replyTo: string; tag: number }
  /** Forget every pending wait/read of `owner` (its session ended), or with `tag` only that one (superseded). */
  | { type: 'cancel'; owner: string; tag?: number }
  /** Refuse a DEL that would hit the replicated quirk (store.md), else pass it to `forwardTo`. */
  | { type: 'check-del'; path: string; forwardTo: string; forward: { type: string } & Record<string, unknown>; replyTo: string; tag: number }
  /** Stream every event with seqn > fromRev to `subscriber` as `store-event`s (fromRev < oldest: `store-too-late`).
   * With `withCals`, first a `store-cals` for version fromRev, and every event that changes the
   * /ctl/cal/* slots (or their nodes' addresses) carries all slots. fromRev -1: from the current rev. */
  | { type: 'subscribe'; subscriber: string; fromRev: number; withCals?: boolean }
  /** Replace the store with a copy taken from a CAL (a follower that fell out of its history). */
  | { type: 'load-snapshot'; snapshot: { rev: number; files: StoreFile[] } }
  | { type: 'unsubscribe'; subscriber: string }
  /** Web view: every file at the current rev, answered with `store-snapshot`; with
   * `subscribe`, `replyTo` then also gets every later event (as `subscribe`), with no gap. */
  | { type: 'snapshot'; replyTo: string; tag: number; subscribe?: boolean }
  /** /metrics: numbers about the store, answered with `store-stats`. */
  | { type: 'store-stats'; replyTo: string; tag: number }
  | { type: 'clean' }
  /** Timer: reads waited RECOVER_WAIT_MS for the store to reach recoverTo (store-actor.ts). */
  | { type: 'recover-timeout' }
  /** Large values: the /ctl/cal/* slots now, answered with `store-cals` carrying `tag`. */
  | { type: 'cals'; replyTo: string; tag: number }
  /** Large values: the body of a blob reference, from the blob service (src/actors/blob-messages.ts). */
  | { type: 'blob-body'; digest: string; body: Uint8Array }
  /** The actor's own: commit the values applied since the last one to the -data log. */
  | { type: 'disk-log' };

/** Sent to a requester: the wire response for its tag. */
export interface ReplyMessage {
  type: 'reply';
  tag: number;
  response: Response;
}

export interface StoreEventMessage {
  type: 'store-event';
  event: StoreEvent;
  /** For `withCals` subscribers: every /ctl/cal/* slot as of this event's version, when they or foreignNodes changed. */
  cals?: CtlCal[];
  /** Sent with `cals`: a node of the cluster runs the original doozerd (ctl.ts hasForeignNode). */
  foreignNodes?: boolean;
  /** The store was replaced by a snapshot at event.seqn (a follower fell out of history): the revs since the previous event were skipped, and `event` is no real change. */
  snapshot?: true;
}

/** For `withCals` subscribers: every /ctl/cal/* slot as of version `rev`. */
export interface StoreCalsMessage {
  type: 'store-cals';
  rev: number;
  cals: CtlCal[];
  /** A node of the cluster runs the original doozerd (ctl.ts hasForeignNode). */
  foreignNodes: boolean;
  /** Answer to a `cals` request: its tag. */
  tag?: number;
}

/** Answer to `snapshot`: all files at `rev`, each with its own rev. */
export interface StoreSnapshotMessage {
  type: 'store-snapshot';
  tag: number;
  rev: number;
  files: StoreFile[];
}

/** Answer to `store-stats`. */
export interface StoreStatsMessage {
  type: 'store-stats';
  tag: number;
  rev: number;
  oldestRev: number;
  /** Pending WAITs. */
  waits: number;
  subscribers: number;
}

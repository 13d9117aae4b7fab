// The follower's interface (src/node/follower.ts): what the slave-watcher asks
// of it, and its endpoint name. Defined beside the actor that sends these so
// actors never import from src/node (layers: docs/architecture.md).
import type { Request } from '../wire/client-codec.js';

/** Endpoint of the follower. */
export const FOLLOWER = 'follower';

/** Slave-watcher → follower. Answers to `upstream-call` come back as `{type:'reply', tag, response}`. */
export type FollowerMessage =
  /** Follow from `fromRev` + 1 up to (not including) `until`; `cals`: addresses to follow, in preference order. */
  | { type: 'follow'; fromRev: number; until: number; cals: string[] }
  /** Addresses of the current CALs changed. */
  | { type: 'follow-cals'; cals: string[] }
  /** Copy nothing at or after `until` (the node may be a CAL from there on); raised as the store moves. */
  | { type: 'follow-until'; until: number }
  /** A request to make through a CAL; answered with `{type:'reply', tag, response}`. */
  | { type: 'upstream-call'; req: Omit<Request, 'tag'>; replyTo: string; tag: number };

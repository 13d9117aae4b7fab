// Per-actor numbers for the debug endpoint and /metrics.
export interface ActorStats {
  name: string;
  kind: string;
  thread: string;
  depth: number;
  maxDepth: number;
  capacity: number;
  processed: number;
  refused: number;
  restarts: number;
  /** Messages handled per second over the last full second. */
  rate?: number;
  lastError?: string;
  /** Set when the actor is not simply running: "starting", "not answering", "thread dead". */
  state?: string;
  /** Milliseconds since this instance of the actor started (a client session: the connection's age). */
  ageMs?: number;
  /** Its supervisor (supervisor.ts). */
  supervisor?: string;
  /** Summaries of the first queued messages (never bodies or secrets). */
  peek: string[];
}

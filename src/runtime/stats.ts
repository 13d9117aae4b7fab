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
  lastError?: string;
  /** Summaries of the first queued messages (never bodies or secrets). */
  peek: string[];
}

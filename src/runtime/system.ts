// What the node's network code needs from the actor runtime, wherever the
// actors actually run (this thread or worker threads).
import type { ActorSpec } from './actor.js';
import type { ExitCallback } from './host.js';
import type { Message } from './message.js';
import type { ActorStats } from './stats.js';
import type { SupervisorInfo, SupervisorSpec } from './supervisor.js';

export interface ActorSystem {
  /** Start an actor, as the last child of `spec.supervisor` (default: the root supervisor). */
  spawn(spec: ActorSpec): void;
  /** Start a supervisor and its children in order (supervisor.ts, docs/runtime.md "Supervision"). */
  spawnSupervisor(spec: SupervisorSpec): void;
  /** The supervision tree, parents before children. */
  supervisors?(): SupervisorInfo[];
  stop(name: string, reason?: string): void;
  send<M extends Message>(to: string, msg: M): boolean;
  /** A receiver on the main thread that is not an actor (a socket writer). */
  registerEndpoint(name: string, deliver: (msg: Message) => void): () => void;
  onExit(name: string, cb: ExitCallback): void;
  stats(peekCount?: number): ActorStats[] | Promise<ActorStats[]>;
  stopAll(): void | Promise<void>;
}

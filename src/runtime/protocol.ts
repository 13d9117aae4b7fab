// What crosses between the main thread and a worker thread.
//
// Data plane: two SharedArrayBuffer rings per worker (data-plane.ts), each
// message in them a batch of entries (everything one event-loop turn
// produced), encoded by wire-codec.ts, in order.
// Control plane: a MessagePort driven by comlink (WorkerControl).
import type { MessagePort } from 'node:worker_threads';
import type { ActorSpec } from './actor.js';
import type { DataRings } from './data-plane.js';
import type { DurableInit, DurableRecord } from './durable.js';
import type { Message } from './message.js';
import type { ActorStats } from './stats.js';

/** Marker in the main -> worker stream: actor `name` starts here (its spawn request comes by comlink). */
export const EXPECT = 0;

/**
 * Main -> worker: deliver `msg` to actor `to`. `rseq` > 0 numbers the
 * message in the main thread's journal for that actor (its permanent
 * actors' inputs are kept until the worker reports them handled).
 * Or: the start marker of actor `name`.
 */
export type DownEntry = [to: string, msg: Message, rseq: number] | [marker: typeof EXPECT, name: string];

/** Worker -> main. */
export type UpEntry =
  /** Route `msg` to `to` (not on this worker); `from` is the sending actor ('' if none). */
  | ['m', to: string, msg: Message, from: string]
  /** A copy of a message one actor here sent to another permanent actor here (`lseq`: its number in that actor's local stream). */
  | ['j', to: string, lseq: number, msg: Message]
  /** A durable state change of `actor`. */
  | ['d', actor: string, record: DurableRecord]
  /** `actor` has handled every journaled message up to these numbers (main-sent, local). */
  | ['p', actor: string, remoteDone: number, localDone: number]
  /** `actor` stopped for good. */
  | ['x', actor: string, reason: string]
  /** Permanent `actor` crashed: its instance ended, its messages queue; its supervisor (on main) answers with resume or stop. */
  | ['c', actor: string, reason: string]
  /** `actor` started on this (fresh) thread with only part of its durable state (DurableClass.partial): what it lost. */
  | ['r', actor: string, lost: string];

export interface SpawnState {
  restarts: number;
  lastError?: string;
  durable: DurableInit;
}

/** The comlink-exposed control API of a worker thread. */
export interface WorkerControl {
  /** Start an actor at its start marker in the data stream (resolves once started). */
  spawn(spec: ActorSpec, state: SpawnState): void | Promise<void>;
  stop(name: string, reason: string): void;
  /** See ActorHost.restart. */
  restart(name: string, reason: string): void;
  /** See ActorHost.suspend (a supervisor restarts it or something it depends on). */
  suspend(name: string): void;
  /** See ActorHost.resume. */
  resume(name: string, reason: string, dependency?: string): boolean;
  stats(peek: number): ActorStats[];
  inspect(name: string, peek: number): ActorStats | undefined;
  /** Debug hook: make this thread die of an uncaught exception. */
  crash(): void;
  /** Stop every actor and end the thread's task. */
  shutdown(): void;
}

/** The piscina task that turns a pool thread into an actor host. */
export interface HostTask {
  thread: string;
  /** The data plane's rings (down: main -> worker, up: worker -> main). */
  rings: DataRings;
  controlPort: MessagePort;
  /** Extra modules (file URLs) exporting `actorKinds` (and registering durable classes). */
  kindModules: string[];
  debugHooks: boolean;
}

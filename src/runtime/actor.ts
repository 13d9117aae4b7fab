// What an actor is: a named unit with a mailbox and a handler. Actor code
// sees only this context, never the thread it runs on.
import type { Logger } from './log.js';
import type { Message } from './message.js';

export interface ActorContext {
  /** This actor's address. */
  readonly self: string;
  /** Queue a message for another actor (or endpoint). False when its mailbox is full. */
  send<M extends Message>(to: string, msg: M): boolean;
  /** Deliver `msg` to this actor after `delayMs`; a timer with the same key is replaced. */
  setTimer(key: string, delayMs: number, msg: Message): void;
  clearTimer(key: string): void;
  /**
   * Deliver `msg` to this actor soon: after the current drain of the host,
   * once what it sent has left (the transport's flush), before the event
   * loop reads more I/O; called outside a drain (an I/O callback), right
   * after that callback. For work that must not delay this turn's outputs
   * but must not wait for an event-loop turn either (a disk write after the
   * nomination went out). `afterIo`: later, in the host's next drain, once
   * the event loop has read pending I/O (work that gains from gathering
   * more: a disk batch while the disk is busy anyway). Like a timer message
   * it bypasses the mailbox's capacity.
   */
  defer<M extends Message>(msg: M, afterIo?: boolean): void;
  /** Monotonic milliseconds (from the runtime: a simulation runs actors on a virtual clock). */
  now(): number;
  /** A random number in [0, 1) (from the runtime: a simulation seeds it). */
  random(): number;
  readonly log: Logger;
  /**
   * State that must survive a restart of this actor (an acceptor's promises,
   * the store). Kept by the host, outside the actor instance. Values must be
   * structured-clone safe.
   */
  readonly durable: Map<string, unknown>;
  /** Stop this actor after the current message. */
  stopSelf(reason?: string): void;
  /**
   * Set when this instance is not the first: how many restarts so far, why,
   * and `dependency` when its supervisor restarted it because an actor it
   * depends on (one before it in a rest_for_one group) restarted: whatever
   * it had in flight with that actor is gone (supervisor.ts).
   */
  readonly restart?: RestartInfo | undefined;
}

export interface RestartInfo {
  count: number;
  reason: string;
  /** The actor before it whose restart restarted this one. */
  dependency?: string;
}

export interface Actor {
  /** Handle one message. Throwing crashes the actor; its supervisor decides what happens next. */
  receive(msg: Message): void;
  /** Called when the actor stops or is about to be replaced by a restart. */
  stopped?(): void;
}

export type ActorFactory = (ctx: ActorContext, args: any) => Actor;

/**
 * How the supervisor treats a crash (supervisor.ts):
 * - permanent: restart (with backoff, by its supervisor's strategy); too many
 *   restarts within its supervisor's period make the supervisor fail.
 * - temporary: stop it and tell its watchers (a client session: its
 *   connection closes); never restarted, not counted.
 */
export type RestartPolicy = 'permanent' | 'temporary';

export interface ActorSpec {
  name: string;
  kind: string;
  args?: unknown;
  restart?: RestartPolicy;
  mailboxCapacity?: number;
  /** The supervisor whose child it is (default: the root supervisor). */
  supervisor?: string;
}

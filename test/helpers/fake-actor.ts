// A fake ActorContext for unit tests of one actor: records what it sends,
// which timers it sets and what it logs; the test delivers messages by hand
// (timers never fire by themselves).
import type { Actor, ActorContext, ActorFactory } from '../../src/runtime/actor.js';
import type { Message } from '../../src/runtime/message.js';

export interface Sent {
  to: string;
  msg: Message & Record<string, unknown>;
}

export interface FakeActor {
  actor: Actor;
  ctx: ActorContext;
  /** Every message sent, in order. */
  sent: Sent[];
  /** Timers currently set: key -> { delayMs, msg }. */
  timers: Map<string, { delayMs: number; msg: Message }>;
  /** Log lines "level: text". */
  logs: string[];
  /** Messages sent to `to` since the last take() for it (removed from `sent`). */
  take(to: string): Array<Message & Record<string, unknown>>;
  receive(msg: Message): void;
  /** When sends to `to` fail (a full mailbox): return false for them. */
  fullMailboxes: Set<string>;
}

/** Starts `factory` with `args` on a fake context named `self`. */
export function startActor(self: string, factory: ActorFactory, args: unknown, durable = new Map<string, unknown>()): FakeActor {
  const sent: Sent[] = [];
  const timers = new Map<string, { delayMs: number; msg: Message }>();
  const logs: string[] = [];
  const fullMailboxes = new Set<string>();
  const line = (level: string) => (m: string): void => void logs.push(`${level}: ${m}`);
  const ctx: ActorContext = {
    self,
    send(to, msg) {
      if (fullMailboxes.has(to)) return false;
      sent.push({ to, msg: msg as Message & Record<string, unknown> });
      return true;
    },
    setTimer(key, delayMs, msg) {
      timers.set(key, { delayMs, msg });
    },
    clearTimer(key) {
      timers.delete(key);
    },
    defer(msg) {
      // Shows as a message to itself: a test delivers it with receive(take(self)...).
      sent.push({ to: self, msg: msg as Message & Record<string, unknown> });
    },
    now: () => Date.now(), // follows vi.setSystemTime in tests that fake time
    random: Math.random,
    log: { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug'), enabled: () => true },
    durable,
    stopSelf() {
      throw new Error(`${self} stopped itself`);
    },
  };
  const actor = factory(ctx, args);
  return {
    actor,
    ctx,
    sent,
    timers,
    logs,
    fullMailboxes,
    take(to) {
      const out: Array<Message & Record<string, unknown>> = [];
      for (let i = 0; i < sent.length; ) {
        if (sent[i]!.to === to) out.push(sent.splice(i, 1)[0]!.msg);
        else i++;
      }
      return out;
    },
    receive: (msg) => actor.receive(msg),
  };
}

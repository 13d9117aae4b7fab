// Proposer for a node that is the only CAL: every proposal is decided at
// once (a one-CAL quorum), numbered in order and handed to the store. The
// Paxos proposer replaces it behind the same messages.
import type { Actor, ActorContext } from '../runtime/actor.js';
import type { Message } from '../runtime/message.js';
import { STORE, type StoreEventMessage } from './store/messages.js';
import type { ProposeMessage, ProposedMessage } from './proposer-messages.js';

export interface SoloProposerArgs {
  /** Store rev when the proposer first starts. */
  startRev: number;
  /** Proposed first (the startup no-ops and the writable file); client writes get READONLY until they are applied. */
  startup: Uint8Array[];
}

interface State {
  next: number;
  writableAt: number;
  writable: boolean;
  /** Last store event seen: a restarted proposer resumes its subscription there. */
  lastSeen: number;
  pending: Map<number, { replyTo: string; tag: number }>;
}

export function createSoloProposer(ctx: ActorContext, args: SoloProposerArgs): Actor {
  // Kept across restarts so no decided seqn is handed out twice and no client is left unanswered.
  let st = ctx.durable.get('state') as State | undefined;
  if (!st) {
    st = { next: args.startRev + 1, writableAt: args.startRev + args.startup.length, writable: args.startup.length === 0, lastSeen: args.startRev, pending: new Map() };
    ctx.durable.set('state', st);
    for (const mutation of args.startup) ctx.send(STORE, { type: 'apply', seqn: st.next++, mutation });
  }
  const s = st;
  ctx.send(STORE, { type: 'subscribe', subscriber: ctx.self, fromRev: s.lastSeen });

  return {
    receive(msg: Message) {
      if (msg.type === 'propose') {
        const m = msg as ProposeMessage;
        if (!s.writable) {
          ctx.send(m.replyTo, { type: 'proposed', tag: m.tag, err: { code: 'READONLY', text: 'node is starting: not writable yet' } } satisfies ProposedMessage);
          return;
        }
        const seqn = s.next++;
        s.pending.set(seqn, { replyTo: m.replyTo, tag: m.tag });
        ctx.send(STORE, { type: 'apply', seqn, mutation: m.mutation });
      } else if (msg.type === 'store-event') {
        const ev = (msg as StoreEventMessage).event;
        s.lastSeen = ev.seqn;
        if (ev.seqn >= s.writableAt) s.writable = true;
        const p = s.pending.get(ev.seqn);
        if (!p) return;
        s.pending.delete(ev.seqn);
        const reply: ProposedMessage = ev.err
          ? { type: 'proposed', tag: p.tag, err: ev.err }
          : { type: 'proposed', tag: p.tag, seqn: ev.seqn };
        ctx.send(p.replyTo, reply);
      }
    },
  };
}

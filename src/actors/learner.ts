// The learner actor: hosts LearnerCore (src/actors/paxos) and does its I/O by
// messages. VOTE and LEARN come in from the UDP transport (peers) and from
// this node's acceptor; each decided value goes to the store (`apply`, in any
// order: the store applies in seqn order) and to this node's proposer (its
// coordinator stops, its write is settled), and a decision learned from
// votes is sent to the other CALs as LEARN.
import type { Actor, ActorContext } from '../runtime/actor.js';
import type { Message } from '../runtime/message.js';
import { LearnerCore } from './paxos/index.js';
import { STORE, type StoreCalsMessage, type StoreEventMessage } from './store/messages.js';
import { ClusterView } from './cluster-view.js';
import { PROPOSER, UDP_OUT, type DecidedMessage, type PeerInMessage, type PeerOutMessage, type SeenMessage } from './paxos-messages.js';

export { LEARNER } from './paxos-messages.js';

export interface LearnerArgs {
  nodeId: string;
  alpha: number;
}

export function createLearner(ctx: ActorContext, args: LearnerArgs): Actor {
  // Nothing durable: votes lost with a restart are cast again by the
  // coordinators' retries, and decisions come again as LEARN.
  const core = new LearnerCore({ selfId: args.nodeId, alpha: args.alpha });
  const view = new ClusterView(args.nodeId, args.alpha);
  let storeRev = -1;
  ctx.send(STORE, { type: 'subscribe', subscriber: ctx.self, fromRev: -1, withCals: true });
  // Store events before this instance's store-cals are skipped: they are
  // messages a dead predecessor left unfinished, replayed ahead of our
  // subscription, which sends them again after the store-cals that opens
  // our window (a fresh core can open no instance below its first one).
  let subscribed = false;

  function flush(): void {
    const r = core.drain();
    if (r.sends.length) ctx.send(UDP_OUT, { type: 'peer-out', sends: r.sends } satisfies PeerOutMessage);
    if (r.learned.length) {
      for (const l of r.learned) ctx.send(STORE, { type: 'apply', seqn: l.seqn, mutation: l.value });
      ctx.send(PROPOSER, { type: 'decided', learned: r.learned } satisfies DecidedMessage);
    }
    if (r.used > 0) ctx.send(PROPOSER, { type: 'seen', used: r.used, promised: [] } satisfies SeenMessage);
  }

  return {
    receive(msg: Message) {
      switch (msg.type) {
        case 'peer-in': {
          const p = msg as PeerInMessage;
          for (const m of p.msgs) core.receive(p.from, m);
          break;
        }
        case 'store-cals': {
          const c = msg as StoreCalsMessage;
          subscribed = true;
          view.start(c.rev, c.cals);
          core.applied(c.rev);
          for (let n = c.rev + 1; n <= c.rev + args.alpha; n++) core.open(n, view.instanceCals());
          storeRev = c.rev;
          break;
        }
        case 'store-event': {
          const e = msg as StoreEventMessage;
          if (!subscribed || e.event.seqn <= storeRev) break;
          if (e.cals) view.update(e.event.seqn, e.cals);
          core.applied(e.event.seqn);
          view.openDue(storeRev, e.event.seqn, (n, cals) => core.open(n, cals));
          storeRev = e.event.seqn;
          break;
        }
        default:
          ctx.log.warn(`ignoring unknown message ${msg.type}`);
          return;
      }
      flush();
    },
  };
}

// The acceptor actor: hosts AcceptorCore (src/actors/paxos) and does its I/O
// by messages. INVITE and NOMINATE come in from the UDP transport (peers) and
// from this node's proposer; RSVP and VOTE go out to peers through the
// transport and to this node's own proposer and learner. With -data, promises
// and votes are fsynced before anything that depends on them leaves
// (acceptor-disk.ts), and a restart gets them back from disk.
//
// The instance window follows the store: instance n opens when the store
// applies version n - alpha, with the CAL list of that version (the cluster
// view that every actor of the node shares: ./cluster-view.ts).
import type { Actor, ActorContext } from '../runtime/actor.js';
import type { Message } from '../runtime/message.js';
import { AcceptorCore, LOCAL_SOURCE, type Cal } from './paxos/index.js';
import { STORE, type StoreCalsMessage, type StoreEventMessage } from './store/messages.js';
import { ClusterView } from './cluster-view.js';
import {
  PROPOSER, UDP_OUT, routeByRole,
  type DiskStateMessage, type PeerInMessage, type PeerOutMessage, type SeenMessage,
} from './paxos-messages.js';
import { GroupCommit, type Held } from './acceptor-disk.js';
import { AcceptorRecords } from '../storage/acceptor-records.js';
import { ChosenLog } from '../storage/chosen-log.js';
import { sharedDb } from '../storage/database.js';
import { MAX_MUTATION_BYTES } from '../wire/limits.js';
import { learnValue } from './store/blob-ref.js';

/**
 * What a LEARN may carry for a decided mutation this node holds whole: itself
 * if it fits a datagram, else its blob reference (large values: the peer
 * fetches the body by digest); undefined if not even that fits.
 */
const catchUpValue = (mutation: Uint8Array): Uint8Array | undefined =>
  mutation.length <= MAX_MUTATION_BYTES ? mutation : learnValue(mutation, MAX_MUTATION_BYTES);

export { ACCEPTOR } from './paxos-messages.js';

export interface AcceptorArgs {
  self: Cal;
  alpha: number;
  /** Decided values kept for catch-up answers (LEARN to a lagging peer's INVITE). */
  keep: number;
  /** -data directory: promises and votes are stored there before their messages leave. */
  dataDir?: string;
}

interface State {
  core: AcceptorCore;
  storeRev: number;
}

export function createAcceptor(ctx: ActorContext, args: AcceptorArgs): Actor {
  // Durable (survives a restart, also on a fresh thread: src/actors/durables.ts):
  // an acceptor must never forget a promise or a vote.
  let st = ctx.durable.get('state') as State | undefined;
  if (!st) {
    st = { core: new AcceptorCore({ self: args.self, alpha: args.alpha, keep: args.keep }), storeRev: -1 };
    ctx.durable.set('state', st);
    if (args.dataDir) {
      // A restart from disk: every promise and vote this node made comes back,
      // and the values it decided answer peers that lag behind.
      const db = sharedDb(args.dataDir);
      const records = new AcceptorRecords(db).load();
      if (records.length) ctx.log.info(`restored ${records.length} acceptor states from ${args.dataDir} (seqns ${records[0]!.seqn}..${records.at(-1)!.seqn})`);
      for (const e of new ChosenLog(db).recent(args.keep)) st.core.decided(e.seqn, catchUpValue(e.mutation));
      st.core.restore(records);
    }
  }
  const s = st;
  const core = s.core;
  const view = new ClusterView(args.self.id, args.alpha);
  const disk = args.dataDir ? new GroupCommit(ctx, new AcceptorRecords(sharedDb(args.dataDir))) : undefined;
  if (disk) disk.onFailure = (failure) => ctx.send(PROPOSER, { type: 'disk-state', ...(failure ? { failure } : {}) } satisfies DiskStateMessage);
  // From the beginning of our knowledge, or where we were (a restart).
  ctx.send(STORE, { type: 'subscribe', subscriber: ctx.self, fromRev: s.storeRev, withCals: true });
  // Store events before this instance's store-cals are skipped: they are
  // messages a dead predecessor left unfinished, replayed ahead of our
  // subscription, which sends them again after the store-cals that opens
  // our window (a fresh core can open no instance below its first one).
  let subscribed = false;

  function release(h: Held): void {
    if (h.sends.length) ctx.send(UDP_OUT, { type: 'peer-out', sends: h.sends } satisfies PeerOutMessage);
    if (h.local.length) {
      routeByRole(h.local, (role, msgs) => ctx.send(role, { type: 'peer-in', from: LOCAL_SOURCE, msgs } satisfies PeerInMessage));
    }
  }

  function flush(): void {
    const r = core.drain();
    // Hints for the proposer are no promise of ours to anyone: they need not wait for the disk.
    if (r.used > 0 || r.promised.length > 0) ctx.send(PROPOSER, { type: 'seen', used: r.used, promised: r.promised } satisfies SeenMessage);
    if (r.sends.length === 0 && r.local.length === 0 && r.accepted.length === 0) return;
    if (disk) disk.add(r.accepted, r, release);
    else release(r);
  }

  /** Open the instances the store's version `rev` makes due: up to rev + alpha. */
  function openUpTo(rev: number): void {
    const cals = view.instanceCals();
    for (let n = Math.max(s.storeRev + args.alpha, rev) + 1; n <= rev + args.alpha; n++) core.open(n, cals);
  }

  return {
    receive(msg: Message) {
      switch (msg.type) {
        case 'peer-in': {
          const p = msg as PeerInMessage;
          for (const m of p.msgs) core.receive(p.from, m);
          break;
        }
        case 'disk-commit':
          disk?.commit(release);
          return;
        case 'store-cals': {
          // Our first known version (or where a restart picks up): the instances after it use its list.
          const c = msg as StoreCalsMessage;
          subscribed = true;
          view.start(c.rev, c.cals);
          ctx.send(UDP_OUT, { type: 'peer-ours', addrs: view.ourAddrs() } satisfies PeerOutMessage);
          core.decided(c.rev);
          for (let n = c.rev + 1; n <= c.rev + args.alpha; n++) core.open(n, view.instanceCals());
          s.storeRev = c.rev;
          break;
        }
        case 'store-event': {
          const e = msg as StoreEventMessage;
          if (!subscribed || e.event.seqn <= s.storeRev) break;
          if (e.cals) {
            view.update(e.event.seqn, e.cals);
            ctx.send(UDP_OUT, { type: 'peer-ours', addrs: view.ourAddrs() } satisfies PeerOutMessage);
          }
          // A snapshot's event is no real change: only its rev is known.
          core.decided(e.event.seqn, e.snapshot ? undefined : catchUpValue(e.event.mutation));
          openUpTo(e.event.seqn);
          s.storeRev = e.event.seqn;
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

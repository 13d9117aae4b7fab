// The acceptor actor: hosts AcceptorCore (src/actors/paxos) and does its I/O
// by messages. INVITE and NOMINATE come in from the UDP transport (peers) and
// from this node's proposer; RSVP and VOTE go out to peers through the
// transport and to this node's own proposer and learner. With -data, promises
// and votes are synced to disk before anything that depends on them leaves
// (acceptor-disk.ts: the sync runs off the event loop), and a restart gets
// them back from disk.
//
// The instance window follows the store: instance n opens when the store
// applies version n - alpha, with the CAL list of that version (the cluster
// view that every actor of the node shares: ./cluster-view.ts).
import type { Actor, ActorContext } from '../runtime/actor.js';
import type { Message } from '../runtime/message.js';
import { AcceptorCore, LOCAL_SOURCE, type Cal } from './paxos/index.js';
import { FAST_LEASE_SPAN } from './paxos/acceptor-core.js';
import { STORE, type StoreCalsMessage, type StoreEventMessage } from './store/messages.js';
import { ClusterView } from './cluster-view.js';
import {
  PROPOSER, UDP_OUT, routeByRole,
  type DiskStateMessage, type FastLeaseMessage, type FastWantMessage, type PeerInMessage, type PeerOutMessage, type SeenMessage,
} from './paxos-messages.js';
import { GroupCommit, type DiskMessage, type Held } from './acceptor-disk.js';
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

/** Messages to peers a sync releases that still go out at once, before the rest of the drain (release). */
const URGENT_SENDS = 8;

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
  /**
   * A data directory written before round-1 leases were stored: which seqns
   * the predecessor used round 1 in is unknown, so leases start a whole
   * lease above the restored store's rev (set at its store-cals).
   */
  unknownFastGrants: boolean;
}

export function createAcceptor(ctx: ActorContext, args: AcceptorArgs): Actor {
  // Durable (survives a restart, also on a fresh thread: src/actors/durables.ts):
  // an acceptor must never forget a promise or a vote.
  let st = ctx.durable.get('state') as State | undefined;
  if (!st) {
    st = { core: new AcceptorCore({ self: args.self, alpha: args.alpha, keep: args.keep }), storeRev: -1, unknownFastGrants: false };
    ctx.durable.set('state', st);
    if (args.dataDir) {
      // A restart from disk: every promise and vote this node made comes back,
      // and the values it decided answer peers that lag behind.
      const db = sharedDb(args.dataDir);
      const stored = new AcceptorRecords(db);
      const records = stored.load();
      if (records.length) ctx.log.info(`restored ${records.length} acceptor states from ${args.dataDir} (seqns ${records[0]!.seqn}..${records.at(-1)!.seqn})`);
      const recent = new ChosenLog(db).recent(args.keep);
      for (const e of recent) st.core.decided(e.seqn, catchUpValue(e.mutation));
      st.core.restore(records);
      // Round 1 is never granted twice in a seqn, across restarts either.
      const granted = stored.loadFastGrants();
      if (granted !== undefined) st.core.restoreFastGrants(granted);
      else if (records.length || recent.length) {
        st.core.restoreFastGrants(Math.max(records.at(-1)?.seqn ?? 0, ...recent.map((e) => e.seqn)) + FAST_LEASE_SPAN);
        st.unknownFastGrants = true;
      }
    }
  }
  const s = st;
  const core = s.core;
  const view = new ClusterView(args.self.id, args.alpha);
  const records = args.dataDir ? new AcceptorRecords(sharedDb(args.dataDir, 'deferred')) : undefined;
  const disk = records ? new GroupCommit(ctx, records, release) : undefined;
  // Round-1 leases are rare (one per FAST_LEASE_SPAN seqns) and must be on
  // disk before they leave: stored through a connection whose commits are
  // fsynced before they return, not the group commit's deferred one.
  const grants = args.dataDir ? new AcceptorRecords(sharedDb(args.dataDir)) : undefined;
  if (disk) disk.onFailure = (failure) => ctx.send(PROPOSER, { type: 'disk-state', ...(failure ? { failure } : {}) } satisfies DiskStateMessage);
  // From the beginning of our knowledge, or where we were (a restart).
  ctx.send(STORE, { type: 'subscribe', subscriber: ctx.self, fromRev: s.storeRev, withCals: true });
  // Store events before this instance's store-cals are skipped: they are
  // messages a dead predecessor left unfinished, replayed ahead of our
  // subscription, which sends them again after the store-cals that opens
  // our window (a fresh core can open no instance below its first one).
  let subscribed = false;

  function release(h: Held, quiet = false): void {
    // A few votes a sync released while the disk is otherwise quiet (a lone
    // write's) go out at once: the rest of this drain (our learner and store
    // deciding on them) must not delay them. Under load they share the
    // drain's datagrams with what follows.
    if (h.sends.length) ctx.send(UDP_OUT, { type: 'peer-out', sends: h.sends, now: quiet && h.sends.length <= URGENT_SENDS } satisfies PeerOutMessage);
    if (h.local.length) {
      routeByRole(h.local, (role, msgs) => ctx.send(role, { type: 'peer-in', from: LOCAL_SOURCE, msgs } satisfies PeerInMessage));
    }
  }

  /** `fromPeer`: the drain answers a peer's message (its sync starts in this turn when the disk is idle). */
  function flush(fromPeer = false): void {
    const r = core.drain();
    // Hints for the proposer are no promise of ours to anyone: they need not wait for the disk.
    if (r.used > 0 || r.wrote > 0 || r.promised.length > 0) {
      ctx.send(PROPOSER, { type: 'seen', used: r.used, promised: r.promised, ...(r.wrote > 0 ? { wrote: r.wrote } : {}) } satisfies SeenMessage);
    }
    if (r.sends.length === 0 && r.local.length === 0 && r.accepted.length === 0) return;
    if (disk) disk.add(r.accepted, r, r.lazy, fromPeer);
    else release(r);
  }

  /** A lease wanted before our store-cals (with unknownFastGrants the floor comes from it). */
  let wantedEarly = 0;

  /**
   * Lease round 1 of seqns up to `upTo` (and beyond) to this node's proposer:
   * stored (fsynced) first with -data, so a restart never grants them again.
   * When the disk refuses, no lease: the proposer takes the normal path.
   */
  function grantFast(upTo: number): void {
    const g = core.grantFast(upTo);
    if (grants) {
      try {
        grants.saveFastGrants(g.to);
      } catch (e) {
        ctx.log.warn(`cannot store a round-1 lease: ${(e as Error).message}; writes take two round trips until the disk takes writes again`);
        return;
      }
    }
    ctx.send(PROPOSER, { type: 'fast-lease', from: g.from, to: g.to } satisfies FastLeaseMessage);
  }

  return {
    receive(msg: Message) {
      switch (msg.type) {
        case 'peer-in': {
          const p = msg as PeerInMessage;
          for (const m of p.msgs) core.receive(p.from, m);
          flush(p.from !== LOCAL_SOURCE);
          return;
        }
        case 'disk-start':
        case 'disk-commit':
        case 'disk-hold':
        case 'disk-synced':
          disk?.receive(msg as DiskMessage);
          return;
        case 'fast-want': {
          const w = msg as FastWantMessage;
          if (s.unknownFastGrants) wantedEarly = Math.max(wantedEarly, w.upTo);
          else grantFast(w.upTo);
          return;
        }
        case 'store-cals': {
          // Our first known version (or where a restart picks up): the instances after it use its list.
          const c = msg as StoreCalsMessage;
          subscribed = true;
          view.start(c.rev, c.cals);
          ctx.send(UDP_OUT, { type: 'peer-ours', addrs: view.ourAddrs() } satisfies PeerOutMessage);
          core.decided(c.rev);
          for (let n = c.rev + 1; n <= c.rev + args.alpha; n++) core.open(n, view.instanceCals());
          s.storeRev = c.rev;
          if (s.unknownFastGrants) {
            // An old data directory: the predecessor may have used round 1 anywhere in its window (at most alpha above its store).
            s.unknownFastGrants = false;
            core.restoreFastGrants(c.rev + FAST_LEASE_SPAN);
            if (wantedEarly > 0) grantFast(wantedEarly);
          }
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
          view.openDue(s.storeRev, e.event.seqn, (n, cals) => core.open(n, cals));
          s.storeRev = e.event.seqn;
          break;
        }
        default:
          ctx.log.warn(`ignoring unknown message ${msg.type}`);
          return;
      }
      flush();
    },
    stopped() {
      disk?.stop();
    },
  };
}

// The proposer actor: the one door for writes, and the Paxos proposer
// (coordinators, the client write queue and fills: ProposerCore in
// src/actors/paxos). Sessions (and the node's own actors) hand it mutations;
// it refuses them while this node is not a writable CAL (READONLY), proposes
// them in instances this node leads, and answers each with the seqn it was
// applied at (or the mutation's error) once this node's store has applied
// it, so a later read on this node sees the write.
//
// In: RSVPs (UDP transport and this node's acceptor), `seen` hints from the
// acceptor and learner, `decided` from the learner, the store stream. Out:
// INVITE and NOMINATE to peers (UDP transport) and to this node's acceptor.
import type { Actor, ActorContext } from '../runtime/actor.js';
import type { Message } from '../runtime/message.js';
import { LOCAL_SOURCE, ProposerCore, type Cal, type ProposerStats } from './paxos/index.js';
import { STORE, type StoreCalsMessage, type StoreEventMessage } from './store/messages.js';
import { encodeSet, NOP_MUTATION } from './store/mutation.js';
import { ClusterView } from './cluster-view.js';
import {
  ACCEPTOR, UDP_OUT, routeByRole,
  type DecidedMessage, type FastLeaseMessage, type FastWantMessage, type DiskStateMessage, type PeerInMessage, type PeerOutMessage, type SeenMessage,
} from './paxos-messages.js';
import type { ProposeMessage, ProposedMessage } from './proposer-messages.js';

export { PROPOSER } from './proposer-messages.js';

export interface ProposerArgs {
  self: Cal;
  alpha: number;
  /** Delay before filling an instance this node does not lead (-fill), ms. */
  fillMs: number;
  /** First node of a new cluster: skip alpha seqns with no-ops before becoming writable (spec/cluster.md). */
  seed: boolean;
  /** The leader's round-1 fast path (default true; the simulation compares without it). */
  fastPath?: boolean;
}

/** Main-thread endpoint (the web server's /metrics) that the proposer's counters are reported to. */
export const METRICS_ENDPOINT = 'metrics';

/** Proposer → metrics endpoint: counts since the last report. */
export interface ConsensusCountsMessage extends ProposerStats {
  type: 'consensus-counts';
}

const COUNTS_EVERY_MS = 1000;
/** Names of senders whose writes are allowed before the node is writable (its own bookkeeping). */
const INTERNAL = new Set(['pulse', 'liveness', 'slave-watcher']);
/** Results of recent seqns kept for writes whose `written` arrives after the store applied them. */
const RECENT = 4096;

type WriteError = { code: string; text: string };

interface Pending {
  replyTo: string;
  tag: number;
}

interface State {
  view: ClusterView;
  storeRev: number;
  writable: boolean;
  /** Our writable file is proposed (or the startup sequence is under way). */
  becoming: boolean;
  /** Client writes not answered yet, by our write id. */
  pending: Map<number, Pending>;
  /** Next write id (ours, not the core's: those start again with a restarted core). */
  nextId: number;
  /** seqn → write id, for chosen writes the store has not applied yet. */
  bySeqn: Map<number, number>;
  /** Recent applied seqns: error (or null). */
  recent: Map<number, WriteError | null>;
  started: boolean;
  /** What the acceptor's disk said when it refused (undefined: it takes writes). */
  diskFailure: string | undefined;
}

export function createProposer(ctx: ActorContext, args: ProposerArgs): Actor {
  let st = ctx.durable.get('state') as State | undefined;
  const restarted = st !== undefined;
  if (!st) {
    st = {
      view: new ClusterView(args.self.id, args.alpha),
      storeRev: -1,
      writable: false,
      becoming: false,
      pending: new Map(),
      nextId: 1,
      bySeqn: new Map(),
      recent: new Map(),
      started: false,
      diskFailure: undefined,
    };
    ctx.durable.set('state', st);
  }
  const s = st;
  // The core is not durable: rounds and queued writes die with this instance.
  // So round 1 (the fast path) only where this node's acceptor leased it to
  // this core: never twice in one seqn, across restarts of this actor and
  // (with -data) of the node (fast-path-restart.test.ts).
  const core = new ProposerCore({
    self: args.self, rng: () => ctx.random(), alpha: args.alpha, fillDelayMs: args.fillMs, fastLeases: true,
    ...(args.fastPath !== undefined ? { fastPath: args.fastPath } : {}),
  });
  /** The core's write id → ours, for the writes of this instance's core. */
  const ids = new Map<number, number>();
  const writablePath = `/ctl/node/${args.self.id}/writable`;
  if (restarted) forgetInFlight();
  ctx.send(STORE, { type: 'subscribe', subscriber: ctx.self, fromRev: s.started ? s.storeRev : -1, withCals: true });
  // Store events before this instance's store-cals are skipped: they are
  // messages a dead predecessor left unfinished, replayed ahead of our
  // subscription, which sends them again after the store-cals that opens
  // our window (a fresh core can open no instance below its first one).
  let subscribed = false;

  // Counters for /metrics, reported as deltas once a second.
  const reported: ProposerStats = { ...core.stats };
  ctx.setTimer('counts', COUNTS_EVERY_MS, { type: 'report-counts' });
  function reportCounts(): void {
    const c = core.stats;
    const delta = { proposals: c.proposals - reported.proposals, fills: c.fills - reported.fills, rounds: c.rounds - reported.rounds, retries: c.retries - reported.retries };
    Object.assign(reported, c);
    if (delta.proposals || delta.fills || delta.rounds || delta.retries) ctx.send(METRICS_ENDPOINT, { type: 'consensus-counts', ...delta } satisfies ConsensusCountsMessage);
    ctx.setTimer('counts', COUNTS_EVERY_MS, { type: 'report-counts' });
  }

  let armedFor = Infinity;
  /** Let out what the core produced, and keep its timer. */
  function flush(): void {
    const r = core.drain();
    if (r.wantFast > 0) ctx.send(ACCEPTOR, { type: 'fast-want', upTo: r.wantFast } satisfies FastWantMessage);
    if (r.sends.length) ctx.send(UDP_OUT, { type: 'peer-out', sends: r.sends } satisfies PeerOutMessage);
    if (r.local.length) {
      routeByRole(r.local, (role, msgs) => ctx.send(role, { type: 'peer-in', from: LOCAL_SOURCE, msgs } satisfies PeerInMessage));
    }
    for (const w of r.written) {
      const id = takeId(w.id);
      if (id === undefined) continue;
      if (w.seqn <= s.storeRev) answer(id, s.recent.get(w.seqn), w.seqn);
      else s.bySeqn.set(w.seqn, id);
    }
    for (const cid of r.unknown) {
      const id = takeId(cid);
      if (id !== undefined) answer(id, { code: 'OTHER', text: 'this node skipped the instance of this write (it copied a snapshot): it may or may not have been applied; read it back to check' }, 0);
    }
    if (r.wakeAt !== armedFor) {
      armedFor = r.wakeAt;
      if (r.wakeAt === Infinity) ctx.clearTimer('tick');
      else ctx.setTimer('tick', Math.max(0, r.wakeAt - ctx.now()), { type: 'tick' });
    }
  }

  function answer(id: number, err: WriteError | null | undefined, seqn: number): void {
    const p = s.pending.get(id);
    if (!p) return;
    s.pending.delete(id);
    const msg: ProposedMessage = err
      ? { type: 'proposed', tag: p.tag, err: err as { code: 'OTHER'; text: string } }
      : { type: 'proposed', tag: p.tag, seqn };
    ctx.send(p.replyTo, msg);
  }

  /**
   * This actor restarted (it crashed, an actor before it in the replica group
   * restarted, or its thread died): the rounds of its predecessor's core are
   * gone. Writes not known to be chosen are answered OTHER ("may or may not
   * have been applied"); writes known chosen (bySeqn) still get their answer
   * from the store's stream. An unfinished attempt to become writable is
   * tried again.
   */
  function forgetInFlight(): void {
    const chosen = new Set(s.bySeqn.values());
    const err = { code: 'OTHER', text: 'the proposer restarted: this write may or may not have been applied; read it back to check' };
    for (const id of [...s.pending.keys()]) if (!chosen.has(id)) answer(id, err, 0);
    if (!s.writable) s.becoming = false;
  }

  function submit(value: Uint8Array, p: Pending | undefined): void {
    const cid = core.propose(value, ctx.now());
    if (!p) return;
    const id = s.nextId++;
    s.pending.set(id, p);
    ids.set(cid, id);
  }

  /** Our id of the core's write `cid` (undefined: an internal write nobody waits for); forgets the mapping. */
  function takeId(cid: number): number | undefined {
    const id = ids.get(cid);
    ids.delete(cid);
    return id;
  }

  /**
   * Once a listed CAL for the next instance: (seed only: alpha no-ops, then)
   * our writable file. Not while unlisted but still inside our last alpha
   * instances: that write could never make us writable, and its `becoming`
   * would block the write after a later win of a slot.
   */
  function maybeBecomeWritable(): void {
    if (s.becoming || !s.view.listed || !s.view.isCalAt(s.storeRev + 1)) return;
    s.becoming = true;
    if (args.seed) for (let i = 0; i < args.alpha; i++) submit(NOP_MUTATION, undefined);
    submit(encodeSet(-1, writablePath, Buffer.from('true')), undefined);
  }

  /**
   * Unlisted from the CALs (or past our last instance): refuse client writes,
   * and drop the writes still queued, which would otherwise wait forever for
   * an instance this node leads (they are answered READONLY).
   */
  function stopWriting(): void {
    if (s.writable) ctx.log.warn(`no longer a CAL (removed at rev ${s.view.removedAt}): refusing writes`);
    s.writable = false;
    s.becoming = false;
    for (const [cid, id] of [...ids]) {
      if (core.cancel(cid)) answer(takeId(cid) ?? id, { code: 'READONLY', text: 'this node is no longer a CAL' }, 0);
    }
  }

  function onApplied(seqn: number, path: string, isSet: boolean, err: WriteError | undefined): void {
    const prev = s.storeRev;
    s.storeRev = seqn;
    s.recent.set(seqn, err ?? null);
    s.recent.delete(seqn - RECENT);
    const id = s.bySeqn.get(seqn);
    if (id !== undefined) {
      s.bySeqn.delete(seqn);
      answer(id, err, seqn);
    }
    // Only our own SET of the file, while listed (its delete by liveness once removed is no reason).
    if (path === writablePath && isSet && !err && s.view.isCalAt(seqn + 1) && s.view.listed) {
      if (!s.writable) ctx.log.info(`writable from rev ${seqn}`);
      s.writable = true;
    }
    if (s.view.isCalAt(prev + 1) && !s.view.isCalAt(seqn + 1)) stopWriting();
    maybeBecomeWritable();
  }

  function openUpTo(prev: number, rev: number): void {
    const t = ctx.now();
    s.view.openDue(prev, rev, (n, cals) => core.open(n, cals, t));
  }

  return {
    receive(msg: Message) {
      switch (msg.type) {
        case 'propose': {
          const p = msg as ProposeMessage;
          const internal = INTERNAL.has(p.replyTo);
          // Once unlisted, not even our own bookkeeping: it could only land in
          // instances the others decided long ago (and the node follows now).
          const ok = internal ? s.view.listed && s.view.isCalAt(s.storeRev + 1) : s.writable;
          if (!ok) {
            ctx.send(p.replyTo, {
              type: 'proposed', tag: p.tag,
              err: { code: 'READONLY', text: s.view.calFrom === Infinity ? 'this node is not a CAL' : !s.view.listed ? 'this node is no longer a CAL' : 'this node is not writable yet' },
            } satisfies ProposedMessage);
            return;
          }
          if (s.diskFailure) {
            // Our vote could not be stored: refuse rather than hold the client forever.
            ctx.send(p.replyTo, { type: 'proposed', tag: p.tag, err: { code: 'OTHER', text: s.diskFailure } } satisfies ProposedMessage);
            return;
          }
          submit(p.mutation, { replyTo: p.replyTo, tag: p.tag });
          break;
        }
        case 'peer-in': {
          const p = msg as PeerInMessage;
          const t = ctx.now();
          for (const m of p.msgs) core.receive(p.from, m, t);
          break;
        }
        case 'seen': {
          const m = msg as SeenMessage;
          core.seen(m.used, m.promised, ctx.now(), m.wrote);
          break;
        }
        case 'fast-lease': {
          const l = msg as FastLeaseMessage;
          core.fastLease(l.from, l.to, ctx.now());
          break;
        }
        case 'decided': {
          const t = ctx.now();
          for (const l of (msg as DecidedMessage).learned) core.decided(l.seqn, l.value, t);
          break;
        }
        case 'disk-state':
          s.diskFailure = (msg as DiskStateMessage).failure;
          return;
        case 'tick':
          armedFor = Infinity;
          core.tick(ctx.now());
          break;
        case 'report-counts':
          reportCounts();
          return;
        case 'store-cals': {
          const c = msg as StoreCalsMessage;
          subscribed = true;
          if (!s.started) {
            s.started = true;
            s.storeRev = c.rev;
            s.view.start(c.rev, c.cals);
          }
          core.setNextRotation(!c.foreignNodes);
          core.applied(c.rev);
          const t = ctx.now();
          for (let n = c.rev + 1; n <= c.rev + args.alpha; n++) core.open(n, s.view.instanceCals(), t);
          maybeBecomeWritable();
          break;
        }
        case 'store-event': {
          const e = msg as StoreEventMessage;
          if (!subscribed || e.event.seqn <= s.storeRev) return;
          const prev = s.storeRev;
          if (e.foreignNodes !== undefined) core.setNextRotation(!e.foreignNodes);
          if (e.cals) {
            const change = s.view.update(e.event.seqn, e.cals);
            if (change === 'removed') stopWriting();
            // A slot won (again): become writable from its first instance, as on a first win.
            if (change === 'joined') s.becoming = s.writable = false;
          }
          onApplied(e.event.seqn, e.event.path, e.event.flags === 4, e.event.err);
          // Only the learner's decisions settle our writes. A store event may be
          // a follower's copy (rebuilt from a WAIT answer: not the bytes that
          // were chosen, and a failed write shows as a successful SET of
          // /ctl/err) or a snapshot: a write of ours still undecided here when
          // the store passes its instance is answered "may or may not"
          // (applied() reports it unknown), never OK (torture seed 2028).
          core.applied(e.event.seqn);
          openUpTo(prev, e.event.seqn);
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

// The consensus actor: hosts the pure Paxos core (src/actors/paxos: acceptor,
// coordinator and learner state machines per instance, composed by the
// Manager) and does its I/O by messages: datagrams in from the UDP
// transport, datagrams out to it, decisions to the store, chosen writes to
// the proposer. Instance n opens when the store applies version n - alpha.
//
// The three roles share one mailbox on purpose: every message of an instance
// touches the same per-instance state, so separate actors would add two
// hops per message on the hot path and buy no isolation. The core itself
// keeps them apart as separate pure modules.
import { performance } from 'node:perf_hooks';
import type { Actor, ActorContext } from '../runtime/actor.js';
import type { Message } from '../runtime/message.js';
import { Manager, type Cal, type ManagerStats, type Ready } from './paxos/index.js';
import { STORE, type StoreCalsMessage, type StoreEventMessage } from './store/messages.js';
import { calListOf, type CtlCal } from './store/ctl.js';
import { UDP_OUT, type PeerInMessage, type PeerOutMessage } from '../net/udp-transport.js';
import { PROPOSER } from './proposer-messages.js';
import { AcceptorRecords } from '../storage/acceptor-records.js';
import { ChosenLog } from '../storage/chosen-log.js';
import { sharedDb } from '../storage/database.js';
import { GroupCommit } from './consensus-disk.js';
import { MAX_MUTATION_BYTES } from './limits.js'; // large values
import { learnValue } from './store/blob-ref.js'; // large values

export const CONSENSUS = 'consensus';
const COUNTS_EVERY_MS = 1000;

export interface ConsensusArgs {
  self: Cal;
  alpha: number;
  fillMs: number;
  /** Decided values kept for catch-up answers (LEARN to a lagging peer). */
  keep: number;
  /** -data directory: acceptor states are stored there before their messages leave. */
  dataDir?: string;
}

/** Proposer → consensus: put `value` into an instance this node leads. */
export interface ConsensusProposeMessage {
  type: 'consensus-propose';
  id: number;
  value: Uint8Array;
}

/**
 * Proposer → consensus: this node stopped being a CAL; drop every write still
 * queued (not yet proposed at an instance). Answered with `cancelled`.
 */
export interface ConsensusCancelMessage {
  type: 'consensus-cancel';
}

/**
 * Consensus → proposer: these writes were dropped. 'removed': never chosen
 * (this node is no CAL now). 'restarted': consensus came back on a fresh
 * thread without its queue; each may or may not have been chosen. 'disk':
 * never proposed, the -data disk refuses writes (full, failing).
 */
export interface CancelledMessage {
  type: 'cancelled';
  ids: number[];
  why: 'removed' | 'restarted' | 'disk';
  /** With 'disk': what the disk said. */
  detail?: string;
}

/** Main-thread endpoint (the web server's /metrics) that the consensus counters are reported to. */
export const METRICS_ENDPOINT = 'metrics';

/** Consensus → metrics endpoint: counts since the last report. */
export interface ConsensusCountsMessage {
  type: 'consensus-counts';
  proposals: number;
  fills: number;
  rounds: number;
  retries: number;
}

/** Consensus → proposer: write `id` was chosen at `seqn`. */
export interface WrittenMessage {
  type: 'written';
  id: number;
  seqn: number;
}

interface State {
  manager: Manager;
  /** Manager write id → proposer's id. */
  ids: Map<number, number>;
  cals: Cal[];
  storeRev: number;
  started: boolean;
}

const toCals = (slots: readonly CtlCal[]): Cal[] => calListOf(slots).map((c) => ({ id: c.id, addr: c.addr }));

export function createConsensus(ctx: ActorContext, args: ConsensusArgs): Actor {
  // Durable (survives a restart, also on a fresh thread: see builtin-durables):
  // the manager, whose acceptors must never forget a promise or a vote.
  let st = ctx.durable.get('state') as State | undefined;
  if (!st) {
    st = {
      manager: new Manager({ self: args.self, rng: Math.random, alpha: args.alpha, fillDelayMs: args.fillMs }),
      ids: new Map(),
      cals: [],
      storeRev: 0,
      started: false,
    };
    ctx.durable.set('state', st);
    if (args.dataDir) {
      // A restart from disk: every promise and vote this node made comes back.
      const records = new AcceptorRecords(sharedDb(args.dataDir)).load();
      if (records.length) ctx.log.info(`restored ${records.length} acceptor states from ${args.dataDir} (seqns ${records[0]!.seqn}..${records.at(-1)!.seqn})`);
      st.manager.restoreAcceptors(records, true);
    }
  }
  const s = st;
  const m = s.manager;
  const disk = args.dataDir ? new GroupCommit(ctx, new AcceptorRecords(sharedDb(args.dataDir))) : undefined;
  /** Values this node learned through Paxos, by seqn (the last `keep`), for catch-up answers. Not durable: only an optimisation. */
  const decided = new Map<number, Uint8Array>();
  // Large values: a value held whole (applied from the chosen log, or copied as a follower) goes out as its blob reference, computed when a peer first asks.
  m.lookup = (seqn) => {
    const v = decided.get(seqn);
    if (!v || v.length <= MAX_MUTATION_BYTES) return v;
    const ref = learnValue(v, MAX_MUTATION_BYTES);
    if (ref) decided.set(seqn, ref);
    else decided.delete(seqn);
    return ref;
  };
  if (args.dataDir && !s.started) {
    // Restarted from disk: peers that lag behind us ask for values this process never learned itself.
    for (const e of new ChosenLog(sharedDb(args.dataDir)).recent(args.keep)) decided.set(e.seqn, e.mutation);
  }
  if (s.started && m.highestOpen === 0) {
    // A manager restored on a fresh thread: open our window again; its acceptors' promises come back as they open.
    const t = performance.now();
    for (let n = s.storeRev + 1; n <= s.storeRev + args.alpha; n++) m.open(n, s.cals, t);
    // Writes the old manager held are gone with it: their clients must not wait forever.
    ctx.send(PROPOSER, { type: 'cancelled', ids: [...s.ids.values()], why: 'restarted' } satisfies CancelledMessage);
    s.ids.clear();
  }
  // (Re)subscribe: from the beginning of our knowledge, or where we were.
  ctx.send(STORE, { type: 'subscribe', subscriber: ctx.self, fromRev: s.started ? s.storeRev : -1, withCals: true });

  const now = (): number => performance.now();
  // Counters for /metrics, reported as deltas once a second.
  const reported: ManagerStats = { ...m.stats };
  ctx.setTimer('counts', COUNTS_EVERY_MS, { type: 'report-counts' });
  function reportCounts(): void {
    const c = m.stats;
    const delta = {
      proposals: c.proposals - reported.proposals,
      fills: c.fills - reported.fills,
      rounds: c.rounds - reported.rounds,
      retries: c.retries - reported.retries,
    };
    Object.assign(reported, c);
    if (delta.proposals || delta.fills || delta.rounds || delta.retries) {
      ctx.send(METRICS_ENDPOINT, { type: 'consensus-counts', ...delta } satisfies ConsensusCountsMessage);
    }
    ctx.setTimer('counts', COUNTS_EVERY_MS, { type: 'report-counts' });
  }
  let armedFor = Infinity;

  function flush(): void {
    const r = m.drain();
    if (disk) disk.add(r, release);
    else release(r);
    if (r.wakeAt !== armedFor) {
      armedFor = r.wakeAt;
      if (r.wakeAt === Infinity) ctx.clearTimer('tick');
      else ctx.setTimer('tick', Math.max(0, r.wakeAt - now()), { type: 'tick' });
    }
  }

  /** Let out what the core produced (with -data: once the acceptor states it depends on are on disk). */
  function release(r: Pick<Ready, 'sends' | 'learned' | 'written'>): void {
    if (r.sends.length) ctx.send(UDP_OUT, { type: 'peer-out', sends: r.sends } satisfies PeerOutMessage);
    for (const l of r.learned) {
      decided.set(l.seqn, l.value);
      decided.delete(l.seqn - args.keep);
      ctx.send(STORE, { type: 'apply', seqn: l.seqn, mutation: l.value });
    }
    for (const w of r.written) {
      const id = s.ids.get(w.id);
      s.ids.delete(w.id);
      if (id !== undefined) ctx.send(PROPOSER, { type: 'written', id, seqn: w.seqn } satisfies WrittenMessage);
    }
  }

  function setCals(slots: readonly CtlCal[]): void {
    s.cals = toCals(slots);
    ctx.send(UDP_OUT, { type: 'peer-ours', addrs: calListOf(slots).filter((c) => c.ours).map((c) => c.addr) } satisfies PeerOutMessage);
  }

  return {
    receive(msg: Message) {
      switch (msg.type) {
        case 'peer-in': {
          const p = msg as PeerInMessage;
          const t = now();
          for (const x of p.msgs) m.receive(p.from, x, t);
          break;
        }
        case 'consensus-propose': {
          const p = msg as ConsensusProposeMessage;
          if (disk?.failure) {
            // Our vote could not be stored: refuse rather than hold the client forever.
            ctx.send(PROPOSER, { type: 'cancelled', ids: [p.id], why: 'disk', detail: disk.failure } satisfies CancelledMessage);
            break;
          }
          s.ids.set(m.propose(p.value, now()), p.id);
          break;
        }
        case 'consensus-cancel': {
          // Without a led instance left, a queued write would wait forever.
          const ids: number[] = [];
          for (const [mid, id] of s.ids) {
            if (m.cancel(mid)) {
              s.ids.delete(mid);
              ids.push(id);
            }
          }
          ctx.send(PROPOSER, { type: 'cancelled', ids, why: 'removed' } satisfies CancelledMessage);
          break;
        }
        case 'report-counts':
          reportCounts();
          return;
        case 'disk-commit':
          disk?.commit(release);
          return;
        case 'tick':
          armedFor = Infinity;
          m.tick(now());
          break;
        case 'store-cals': {
          // Our first known version: the instances after it use its list.
          const c = msg as StoreCalsMessage;
          setCals(c.cals);
          if (!s.started) {
            s.started = true;
            s.storeRev = c.rev;
            const t = now();
            for (let n = c.rev + 1; n <= c.rev + args.alpha; n++) m.open(n, s.cals, t);
          }
          break;
        }
        case 'store-event': {
          const e = msg as StoreEventMessage;
          if (e.event.seqn <= s.storeRev) break;
          // Applied without our learning it here (a copied snapshot's successors, a restart): still an answer for a lagging peer.
          if (!decided.has(e.event.seqn)) {
            decided.set(e.event.seqn, e.event.mutation);
            decided.delete(e.event.seqn - args.keep);
          }
          const prev = s.storeRev;
          s.storeRev = e.event.seqn;
          if (e.cals) setCals(e.cals);
          // Usually one instance; more after the store jumped to a snapshot.
          const t = now();
          for (let n = Math.max(prev, e.event.seqn - 1) + args.alpha + 1; n <= e.event.seqn + args.alpha; n++) m.open(n, s.cals, t);
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

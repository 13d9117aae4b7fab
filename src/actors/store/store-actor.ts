// The store actor: owns the node's Store, applies decided mutations in seqn
// order, answers reads (waiting for future revs), WAITs and event streams.
import type { Actor, ActorContext } from '../../runtime/actor.js';
import type { Message } from '../../runtime/message.js';
import { DoozerError } from '../../wire/errors.js';
import { ErrCode, FLAG_SET, type Response } from '../../wire/client-codec.js';
import { compileGlob } from './glob.js';
import { addWait, countWaits, dropWaits, takeAnswered, takeUpTo, type WaitIndex } from './wait-index.js';
import { Store, type StoreEvent } from './store.js';
import { affectsCals, ctlView, type CtlView } from './ctl.js';
import { ChosenLog } from '../../storage/chosen-log.js';
import { sharedDb } from '../../storage/database.js';
import { StoreDisk } from './store-disk.js';
import { BlobResolver } from './blob-resolver.js';
import type { BlobBodyMessage } from '../blob-messages.js';
import type { StoreCalsMessage, ReplyMessage, StoreEventMessage, StoreMessage, StoreSnapshotMessage, StoreStatsMessage } from './messages.js';

export interface StoreActorArgs {
  hist: number;
  /** Files the store starts with (a slave's copied snapshot), at rev `snapshotRev`. */
  snapshot?: { rev: number; files: { path: string; body: Uint8Array; rev: number }[] };
  /** -data directory: applied values are logged there, with periodic snapshots. */
  dataDir?: string;
  /** Revs between snapshots on disk (default 10000). */
  snapshotEvery?: number;
  /** Values after `snapshot` read back from the disk (a restart): applied at start, not logged again. */
  log?: { seqn: number; mutation: Uint8Array }[];
  /** `snapshot` came from the disk (a restart); else, with -data, it is written there at start. */
  snapshotStored?: boolean;
  /**
   * A restart from -data: the highest seqn this node's acceptor had voted in.
   * The chosen log may lack values there that were acknowledged (it is not
   * what makes a write durable: the votes are), and they come back only once
   * consensus decides those instances again. Until the store gets there,
   * reads at the current rev and REV wait (at most RECOVER_WAIT_MS), so a
   * restarted node never answers from before a write it acknowledged.
   */
  recoverTo?: number;
}

/** Longest that reads wait for recoverTo (a node cut from its quorum may never get there): then they are answered, with a warning. */
export const RECOVER_WAIT_MS = 10_000;

type PendingRead = Extract<StoreMessage, { type: 'read' }>;

interface StoreActorState {
  store: Store;
  /** Decided mutations that arrived before their predecessors. */
  early: Map<number, Uint8Array>;
  futureReads: Map<number, PendingRead[]>;
  /** Pending WAITs by pattern, each list ascending by rev (wait-index.ts). */
  waits: WaitIndex;
  subscribers: Set<string>;
  /** Subscribers that also want CAL list changes, and the last list they got. */
  calWatchers: Set<string>;
  lastCals: string;
}

const CLEAN_INTERVAL_MS = 1000;

export function errorResponse(tag: number, e: unknown): ReplyMessage {
  if (e instanceof DoozerError) {
    const response: Response = { tag, errCode: ErrCode[e.code] };
    if (e.detail) response.errDetail = e.detail;
    return { type: 'reply', tag, response };
  }
  return { type: 'reply', tag, response: { tag, errCode: ErrCode.OTHER, errDetail: String((e as Error)?.message ?? e) } };
}

export function createStoreActor(ctx: ActorContext, args: StoreActorArgs): Actor {
  // Everything here survives a restart of this actor: the store is the node's
  // replica, and waiting clients and subscribers must not be forgotten.
  let state = ctx.durable.get('state') as StoreActorState | undefined;
  if (!state) {
    state = {
      store: args.snapshot
        ? Store.fromSnapshot(args.snapshot.rev, args.snapshot.files, { hist: args.hist })
        : new Store({ hist: args.hist }),
      early: new Map(),
      futureReads: new Map(),
      waits: new Map(),
      subscribers: new Set(),
      calWatchers: new Set(),
      lastCals: '',
    };
    ctx.durable.set('state', state);
    for (const e of args.log ?? []) state.store.apply(e.seqn, e.mutation);
  }
  const st = state;
  let s = st.store;
  const disk = args.dataDir
    ? new StoreDisk(ctx, new ChosenLog(sharedDb(args.dataDir, 'ordered')), args.snapshotEvery ?? 10000, args.snapshotStored || !args.snapshot ? (args.snapshot?.rev ?? 0) : -Infinity)
    : undefined;
  if (disk && args.snapshot && !args.snapshotStored && !ctx.durable.get('snapshot-written')) {
    disk.snapshotSoon(s);
    ctx.durable.set('snapshot-written', true);
  }
  const { early, futureReads, subscribers } = st;
  // Reads at the current rev and REVs wait until the store reaches this (recoverTo).
  let holdReadsTo = args.recoverTo ?? 0;
  const heldRevs: { replyTo: string; tag: number }[] = [];
  if (holdReadsTo > s.rev) {
    ctx.log.info(`restarted with votes up to seqn ${holdReadsTo} and the store at rev ${s.rev}: reads wait until it gets there`);
    ctx.setTimer('recover', RECOVER_WAIT_MS, { type: 'recover-timeout' });
  }

  /** The store reached holdReadsTo (or gave up waiting): answer what waited. */
  function endHold(): void {
    holdReadsTo = 0;
    ctx.clearTimer('recover');
    for (const r of heldRevs.splice(0)) reply(r.replyTo, { type: 'reply', tag: r.tag, response: { tag: r.tag, rev: s.rev } });
  }
  // Large values: a chosen blob reference waits here for its body (blob-resolver.ts).
  const blobs = new BlobResolver(ctx);

  ctx.setTimer('clean', CLEAN_INTERVAL_MS, { type: 'clean' });

  const reply = (to: string, msg: ReplyMessage): void => {
    ctx.send(to, msg);
  };

  function waitResponse(tag: number, ev: StoreEvent): ReplyMessage {
    return { type: 'reply', tag, response: { tag, path: ev.path, rev: ev.seqn, value: ev.body, flags: ev.flags } };
  }

  function read(m: PendingRead): void {
    try {
      const rev = m.rev;
      let response: Response;
      switch (m.op) {
        case 'get': {
          const r = s.get(m.path, rev);
          response = { tag: m.tag, value: r.body, rev: r.rev };
          break;
        }
        case 'stat': {
          const r = s.stat(m.path, rev);
          response = { tag: m.tag, len: r.len, rev: r.rev };
          break;
        }
        case 'getdir':
          response = { tag: m.tag, path: s.getdir(m.path, m.offset ?? 0, rev) };
          break;
        case 'walk': {
          const r = s.walk(m.path, m.offset ?? 0, rev);
          response = { tag: m.tag, path: r.path, value: r.body, rev: r.rev, flags: FLAG_SET };
          break;
        }
      }
      reply(m.replyTo, { type: 'reply', tag: m.tag, response });
    } catch (e) {
      reply(m.replyTo, errorResponse(m.tag, e));
    }
  }

  function applyInOrder(seqn: number, mutation: Uint8Array): void {
    if (seqn <= s.rev) return; // learned twice (duplicate LEARN): already applied
    early.set(seqn, mutation);
    drainEarly();
  }

  function drainEarly(): void {
    for (let next = s.rev + 1, ref = early.get(next); ref; next = s.rev + 1, ref = early.get(next)) {
      // Large values: a blob reference becomes its mutation once the body is here; until then nothing after it is applied.
      const m = blobs.resolve(s, next, ref);
      if (m === undefined) return;
      early.delete(next);
      const ev = s.apply(next, m);
      disk?.applied(next, m);
      // Keep exactly -hist revisions at any write rate: a version costs the
      // path it changed, copied, and 20k writes/s between two clean timers
      // piled up 100+ MB. (Amortized O(1): drops one rev per apply.)
      s.clean();
      publish(ev);
    }
  }

  function publish(ev: StoreEvent): void {
    if (holdReadsTo > 0 && ev.seqn >= holdReadsTo) endHold();
    if (st.waits.size) {
      const answered = takeAnswered(st.waits, ev.seqn, ev.path);
      for (const w of answered) reply(w.replyTo, waitResponse(w.tag, ev));
    }
    const readers = futureReads.get(ev.seqn);
    if (readers) {
      futureReads.delete(ev.seqn);
      for (const r of readers) read(r);
    }
    let view: CtlView | undefined;
    if (st.calWatchers.size && affectsCals(ev.path)) {
      const now = ctlView(s);
      const key = JSON.stringify(now);
      if (key !== st.lastCals) {
        st.lastCals = key;
        view = now;
      }
    }
    for (const sub of subscribers) {
      const msg: StoreEventMessage = view && st.calWatchers.has(sub) ? { type: 'store-event', event: ev, ...view } : { type: 'store-event', event: ev };
      ctx.send(sub, msg);
    }
  }

  /**
   * Tell subscribers the store jumped to a snapshot at s.rev: a `store-event`
   * marked `snapshot` (a nop at that rev, not a real change) with every slot
   * for CAL watchers. Without it they would wait for the revs in between
   * forever (the slave-watcher limits how far the follower copies by the
   * rev it has seen).
   */
  function announceSnapshot(): void {
    // WAITs at or below the new rev may have been answered by a skipped
    // change: they get TOO_LATE, as for a rev older than the history.
    for (const w of takeUpTo(st.waits, s.rev)) reply(w.replyTo, errorResponse(w.tag, new DoozerError('TOO_LATE')));
    if (holdReadsTo > 0 && s.rev >= holdReadsTo) endHold();
    // Reads waiting for a rev the store jumped over: answered now (TOO_LATE if it is not kept).
    for (const [rev, readers] of [...futureReads]) {
      if (rev > s.rev) continue;
      futureReads.delete(rev);
      for (const r of readers) read(r);
    }
    const ev: StoreEvent = { seqn: s.rev, path: '/', body: new Uint8Array(0), flags: 0, mutation: new Uint8Array(0) };
    const view = ctlView(s);
    st.lastCals = JSON.stringify(view);
    for (const sub of subscribers) {
      ctx.send(sub, { type: 'store-event', event: ev, snapshot: true, ...(st.calWatchers.has(sub) ? view : {}) } satisfies StoreEventMessage);
    }
  }

  function receive(msg: Message): void {
    const m = msg as StoreMessage;
    switch (m.type) {
      case 'apply':
        applyInOrder(m.seqn, m.mutation);
        return;
      case 'read': {
        // A read at the current rev while recovering waits for holdReadsTo (read there, at the then current rev).
        const at = m.rev ?? (holdReadsTo > s.rev ? holdReadsTo : undefined);
        if (at !== undefined && at > s.rev) {
          const list = futureReads.get(at) ?? [];
          list.push(m);
          futureReads.set(at, list);
        } else read(m);
        return;
      }
      case 'recover-timeout': {
        if (holdReadsTo <= s.rev) return;
        ctx.log.warn(`reads waited ${RECOVER_WAIT_MS / 1000}s for the instances this node voted in before its restart (up to seqn ${holdReadsTo}; the store is at rev ${s.rev}): answering from rev ${s.rev}, which may lack writes acknowledged before the restart until consensus decides them (is a quorum of CALs up?)`);
        const to = holdReadsTo;
        endHold();
        const waiting = futureReads.get(to) ?? [];
        futureReads.delete(to);
        const keep = waiting.filter((r) => r.rev !== undefined);
        if (keep.length) futureReads.set(to, keep);
        for (const r of waiting) if (r.rev === undefined) read(r);
        return;
      }
      case 'blob-body': {
        // Large values: the body a blob reference waits for (blob-resolver.ts).
        const b = msg as unknown as BlobBodyMessage;
        if (blobs.received(b.digest, b.body)) drainEarly();
        return;
      }
      case 'cals':
        // Large values: the blob service asks who the CALs are (with their features).
        ctx.send(m.replyTo, { type: 'store-cals', rev: s.rev, ...ctlView(s), tag: m.tag } satisfies StoreCalsMessage);
        return;
      case 'rev':
        if (holdReadsTo > s.rev) heldRevs.push({ replyTo: m.replyTo, tag: m.tag });
        else reply(m.replyTo, { type: 'reply', tag: m.tag, response: { tag: m.tag, rev: s.rev } });
        return;
      case 'wait': {
        try {
          const glob = compileGlob(m.glob);
          const ev = s.firstEvent(glob, m.rev);
          if (ev) reply(m.replyTo, waitResponse(m.tag, ev));
          else addWait(st.waits, { glob, rev: m.rev, replyTo: m.replyTo, tag: m.tag });
        } catch (e) {
          reply(m.replyTo, errorResponse(m.tag, e));
        }
        return;
      }
      case 'cancel': {
        const drop = (r: { replyTo: string; tag: number }): boolean => r.replyTo === m.owner && (m.tag === undefined || r.tag === m.tag);
        dropWaits(st.waits, drop);
        for (const [rev, list] of futureReads) {
          const kept = list.filter((r) => !drop(r));
          if (kept.length) futureReads.set(rev, kept);
          else futureReads.delete(rev);
        }
        if (m.tag === undefined) subscribers.delete(m.owner);
        return;
      }
      case 'check-del':
        try {
          s.checkDelete(m.path);
          if (!ctx.send(m.forwardTo, m.forward)) throw new DoozerError('OTHER', 'node overloaded: retry later');
        } catch (e) {
          reply(m.replyTo, errorResponse(m.tag, e));
        }
        return;
      case 'subscribe': {
        const fromRev = m.fromRev === -1 ? s.rev : m.fromRev;
        let from = fromRev + 1;
        if (from < s.oldestRev) {
          ctx.send(m.subscriber, { type: 'store-too-late', oldestRev: s.oldestRev });
          return;
        }
        let key = '';
        if (m.withCals) {
          const view = ctlView(s, fromRev);
          ctx.send(m.subscriber, { type: 'store-cals', rev: fromRev, ...view } satisfies StoreCalsMessage);
          key = JSON.stringify(view);
        }
        for (; from <= s.rev; from++) {
          const ev = s.event(from);
          if (!ev) continue; // a copied snapshot has no events up to its rev
          const msg: StoreEventMessage = { type: 'store-event', event: ev };
          if (m.withCals && affectsCals(ev.path)) {
            const view = ctlView(s, from);
            const k = JSON.stringify(view);
            if (k !== key) Object.assign(msg, view);
            key = k;
          }
          ctx.send(m.subscriber, msg);
        }
        if (m.withCals) {
          st.lastCals = key; // the slots as of the current rev
          st.calWatchers.add(m.subscriber);
        }
        subscribers.add(m.subscriber);
        return;
      }
      case 'load-snapshot': {
        if (m.snapshot.rev <= s.rev) return;
        ctx.log.warn(`replacing the store (rev ${s.rev}) with a snapshot at rev ${m.snapshot.rev}; subscribers miss the revs between`);
        s = st.store = Store.fromSnapshot(m.snapshot.rev, m.snapshot.files, { hist: args.hist });
        for (const k of [...early.keys()]) if (k <= s.rev) early.delete(k);
        disk?.snapshotSoon(s);
        announceSnapshot();
        drainEarly();
        return;
      }
      case 'unsubscribe':
        subscribers.delete(m.subscriber);
        st.calWatchers.delete(m.subscriber);
        return;
      case 'snapshot':
        ctx.send(m.replyTo, { type: 'store-snapshot', tag: m.tag, rev: s.rev, files: s.files() } satisfies StoreSnapshotMessage);
        if (m.subscribe) subscribers.add(m.replyTo);
        return;
      case 'store-stats':
        ctx.send(m.replyTo, {
          type: 'store-stats', tag: m.tag, rev: s.rev, oldestRev: s.oldestRev, waits: countWaits(st.waits), subscribers: subscribers.size,
        } satisfies StoreStatsMessage);
        return;
      case 'disk-log':
        disk?.flush(s);
        return;
      case 'clean':
        if (blobs.waiting) drainEarly(); // asks again for a body still missing
        s.clean();
        ctx.setTimer('clean', CLEAN_INTERVAL_MS, { type: 'clean' });
        return;
      default:
        ctx.log.warn(`ignoring unknown message ${(msg as Message).type}`);
    }
  }

  return { receive };
}

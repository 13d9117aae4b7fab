// The slave-watcher: while this node is not a CAL it keeps the follower
// copying the cluster, and when a /ctl/cal/* slot is empty it tries to lock
// it with a compare-and-set of its own id at the slot's rev (through a CAL,
// since a slave cannot propose). The winner becomes a CAL alpha seqns later.
// The winner then drives the cluster to its first instance itself: NOPs,
// one after another, through the CAL it follows, until its store has applied
// the seqn alpha past the lock (spec/cluster.md; an idle original cluster
// would otherwise move only on pulses). A CAL that the cluster removed
// notices here and goes back to being a slave.
//
// A CAL that fell behind further than the others keep decisions (paused, or
// cut off, while they decided more than -hist instances) cannot catch up by
// consensus: nobody can answer its INVITEs any more, and its store would stay
// where it stopped for good (still a CAL if it kept talking to the others, or
// removed without ever learning it). Once a second this watcher notices a CAL
// store that has not moved, asks a CAL for its rev, and when the cluster is
// more than alpha revs ahead copies the store up to there through the
// follower, as a slave does (from a snapshot when even the follower's WAITs
// are past history); consensus takes over from there.
import type { Actor, ActorContext } from '../runtime/actor.js';
import type { Message } from '../runtime/message.js';
import { ErrCode, FLAG_DEL, Verb } from '../wire/client-codec.js';
import { STORE, type ReplyMessage, type StoreCalsMessage, type StoreEventMessage } from './store/messages.js';
import type { CtlCal } from './store/ctl.js';
import { ClusterView } from './cluster-view.js';
import { FOLLOWER, type FollowerMessage } from './follower-messages.js';

export const SLAVE_WATCHER = 'slave-watcher';

export interface SlaveWatcherArgs {
  nodeId: string;
  alpha: number;
  /** This node's node files, re-registered through a CAL after being removed. */
  nodeFiles: { path: string; body: Uint8Array }[];
}

const LOCK_TAG = 1;
const NOP_TAG = 3;
const REV_TAG = 4;
/** How often a CAL checks that its store is not stuck behind the cluster (ms). */
const STALL_CHECK_MS = 1000;
/** Tags REGISTER_TAG + i: the i-th node file re-registered after a removal. */
const REGISTER_TAG = 100;
/** Before trying again a lock or a registration that failed for another reason than losing the race. */
const RETRY_MS = 500;
/** NOPs failing in a row before the winner stops driving (the cluster then moves on its own writes and pulses). */
const NOP_FAILURES = 20;

/** Timer → itself: the lock of slot@rev `key` failed for another reason than a lost race; it may be tried again. */
interface RetryLock extends Message {
  type: 'retry';
  key: string;
}

/** Timer → itself: time to check that this CAL's store moves (STALL_CHECK_MS). */
interface StallCheck extends Message {
  type: 'stall-check';
}

/** Timer → itself: write node file `index` again (its last try failed). */
interface RegisterAgain extends Message {
  type: 'register';
  index: number;
}

export function createSlaveWatcher(ctx: ActorContext, args: SlaveWatcherArgs): Actor {
  const view = new ClusterView(args.nodeId, args.alpha);
  let storeRev = 0;
  let started = false;
  let locking: string | undefined;
  /** The `tried` key of the lock in flight. */
  let lockKey: string | undefined;
  /** Rev of our last won lock: no other slot is tried before the store has reached it (the reply comes first). */
  let lockedAt = 0;
  /** Slot file revs already tried: a lost or won race is not run twice. */
  const tried = new Set<string>();
  let following = false;
  /** Drive NOPs until the store has applied this seqn (0: not driving). */
  let driveTo = 0;
  let nopInFlight = false;
  let nopFailures = 0;
  /** Node files (by index into args.nodeFiles) written after a removal and not yet confirmed: no slot is locked before they are. */
  const unregistered = new Set<number>();
  /** The store's rev at the last stall check; whether a CAL's rev is being asked; copying up to here as a CAL that fell behind (0: not). */
  let checkedRev = -1;
  let revAsked = false;
  let catchUpTo = 0;
  ctx.send(STORE, { type: 'subscribe', subscriber: ctx.self, fromRev: -1, withCals: true });
  ctx.setTimer('stall-check', STALL_CHECK_MS, { type: 'stall-check' } as StallCheck);

  const calAddrs = (): string[] => view.otherCalAddrs();
  const follower = (m: FollowerMessage): void => void ctx.send(FOLLOWER, m);

  /**
   * How far the follower may copy: up to calFrom once we won a slot, else at
   * most alpha - 1 past the store's rev. A slot change at rev r takes effect
   * at r + alpha, so this way the follower never copies an instance this node
   * may be a CAL of before the store (and we) have seen the change; a copied
   * instance of our own would lose what it tells our proposer (a failed
   * write's error) and acknowledge a write that never happened.
   */
  const followLimit = (): number => (view.calFrom !== Infinity ? view.calFrom : storeRev + args.alpha);

  /** Follow the cluster from our store's rev until we are a CAL. */
  function follow(): void {
    following = true;
    follower({ type: 'follow', fromRev: storeRev, until: followLimit(), cals: calAddrs() });
  }

  function register(i: number): void {
    const f = args.nodeFiles[i]!;
    unregistered.add(i);
    follower({ type: 'upstream-call', req: { verb: Verb.SET, path: f.path, rev: -1, value: f.body }, replyTo: ctx.self, tag: REGISTER_TAG + i });
  }

  function tryLock(): void {
    if (locking || unregistered.size > 0 || view.calFrom !== Infinity || storeRev < lockedAt) return;
    // Never a second slot: one naming us may not count yet (say our address
    // file is being written again), but it is ours.
    if (view.slots.some((c) => c.id === args.nodeId)) return;
    const free = view.slots.find((c) => c.id === '' && !tried.has(`${c.slot}@${c.rev}`));
    if (!free) return;
    locking = free.slot;
    lockKey = `${free.slot}@${free.rev}`;
    tried.add(lockKey);
    ctx.log.info(`trying to lock free CAL slot /ctl/cal/${free.slot} at rev ${free.rev}`);
    follower({
      type: 'upstream-call',
      req: { verb: Verb.SET, path: `/ctl/cal/${free.slot}`, rev: free.rev, value: Buffer.from(args.nodeId) },
      replyTo: ctx.self,
      tag: LOCK_TAG,
    });
  }

  /** One NOP at a time through the CAL we follow, while the store is short of driveTo. */
  function drive(): void {
    if (nopInFlight || storeRev >= driveTo) return;
    nopInFlight = true;
    follower({ type: 'upstream-call', req: { verb: Verb.NOP }, replyTo: ctx.self, tag: NOP_TAG });
  }

  function onNopReply(r: ReplyMessage): void {
    nopInFlight = false;
    if (r.response.errCode === undefined) {
      nopFailures = 0;
      return;
    }
    if (++nopFailures >= NOP_FAILURES) {
      ctx.log.warn(`stopped driving the cluster to seqn ${driveTo} with NOPs: ${nopFailures} failed in a row (error ${r.response.errCode} ${r.response.errDetail ?? ''})`);
      driveTo = 0;
    }
  }

  /** A CAL whose store did not move since the last check asks a CAL how far the cluster is. */
  function checkStall(): void {
    ctx.setTimer('stall-check', STALL_CHECK_MS, { type: 'stall-check' } as StallCheck);
    const stalled = storeRev === checkedRev;
    checkedRev = storeRev;
    // (A CAL that was a slave still counts as `following`: its follower
    // stopped where it became a CAL, so only catchUpTo says it copies now.)
    if (!stalled || !view.listed || catchUpTo > 0 || revAsked || calAddrs().length === 0) return;
    revAsked = true;
    follower({ type: 'upstream-call', req: { verb: Verb.REV }, replyTo: ctx.self, tag: REV_TAG });
  }

  function onRevReply(r: ReplyMessage): void {
    revAsked = false;
    const clusterRev = r.response.rev;
    if (r.response.errCode !== undefined || clusterRev === undefined || clusterRev - storeRev <= args.alpha) return;
    if (!view.listed || catchUpTo > 0) return;
    ctx.log.warn(
      `this CAL's store is at rev ${storeRev} and the cluster at ${clusterRev}: too far behind to catch up by consensus ` +
        `(the others keep the last -hist decisions); copying the store from a CAL up to rev ${clusterRev}`,
    );
    following = true;
    catchUpTo = clusterRev;
    follower({ type: 'follow', fromRev: storeRev, until: clusterRev + 1, cals: calAddrs() });
  }

  function onSlots(rev: number, next: CtlCal[]): void {
    const change = view.update(rev, next);
    if (change === 'joined') {
      ctx.log.info(`won a CAL slot at rev ${rev}: a CAL from seqn ${view.calFrom}`);
      follower({ type: 'follow-until', until: view.calFrom });
      driveTo = view.calFrom;
      nopFailures = 0;
    } else if (change === 'removed') {
      ctx.log.warn(`this node was removed from the CALs at rev ${rev} (silent longer than -timeout?); continuing as a slave`);
      // Our files were deleted with the slot: write them again before any
      // lock, or a slot naming us would name a node without an address.
      args.nodeFiles.forEach((_, i) => register(i));
      // Follow from here at once (settle): the instances up to calUntil were
      // decided by the others long ago, and consensus alone may never learn
      // them (nothing here proposes in them), leaving the node stuck.
      view.becomeSlave();
      following = false;
      catchUpTo = 0;
      driveTo = 0;
    }
    follower({ type: 'follow-cals', cals: calAddrs() });
  }

  function settle(): void {
    // Not a CAL of the next instance (a slave, or removed): copy from a CAL.
    if (!following && !view.isCalAt(storeRev + 1) && view.calFrom === Infinity) follow();
    if (!following && view.calUntil !== Infinity && storeRev + 1 >= view.calUntil) {
      view.becomeSlave();
      follow();
    }
    tryLock();
    drive();
  }

  return {
    receive(msg: Message) {
      switch (msg.type) {
        case 'store-cals': {
          const c = msg as StoreCalsMessage;
          if (started) return;
          started = true;
          storeRev = c.rev;
          view.start(c.rev, c.cals);
          break;
        }
        case 'store-event': {
          const e = msg as StoreEventMessage;
          storeRev = e.event.seqn;
          if (e.cals) onSlots(e.event.seqn, e.cals);
          // One of our node files deleted while we live (liveness removing us
          // races with our re-registration, or a client): write it again, or
          // a slot we hold or lock would name a node without an address.
          if (e.event.flags === FLAG_DEL) {
            const i = args.nodeFiles.findIndex((f) => f.path === e.event.path);
            if (i >= 0 && !unregistered.has(i)) register(i);
          }
          if (following && view.calFrom === Infinity) follower({ type: 'follow-until', until: followLimit() });
          if (catchUpTo > 0 && storeRev >= catchUpTo) {
            ctx.log.info(`caught up with the cluster at rev ${storeRev}; consensus from here`);
            following = false;
            catchUpTo = 0;
          }
          break;
        }
        case 'stall-check':
          checkStall();
          return;
        case 'retry':
          tried.delete((msg as RetryLock).key);
          break;
        case 'register': {
          const i = (msg as RegisterAgain).index;
          if (unregistered.has(i)) register(i);
          return;
        }
        case 'reply': {
          const r = msg as ReplyMessage;
          if (r.tag === NOP_TAG) {
            onNopReply(r);
            break;
          }
          if (r.tag === REV_TAG) {
            onRevReply(r);
            break;
          }
          if (r.tag >= REGISTER_TAG) {
            const i = r.tag - REGISTER_TAG;
            if (r.response.errCode === undefined) unregistered.delete(i);
            else {
              ctx.log.info(`re-registering ${args.nodeFiles[i]?.path} failed (error ${r.response.errCode} ${r.response.errDetail ?? ''}); retrying`);
              ctx.setTimer(`register-${i}`, RETRY_MS, { type: 'register', index: i } as RegisterAgain);
            }
            break;
          }
          if (r.tag !== LOCK_TAG) return;
          const slot = locking;
          const tryKey = lockKey;
          locking = undefined;
          if (r.response.errCode === undefined) {
            ctx.log.info(`locked /ctl/cal/${slot} at rev ${r.response.rev}`);
            lockedAt = r.response.rev ?? 0;
          } else if (r.response.errCode === ErrCode.REV_MISMATCH) {
            ctx.log.info(`lost the race for /ctl/cal/${slot}`);
          } else {
            // Not a lost race (no CAL reachable, a CAL going away...): the
            // slot may still be free. Another free slot may be tried now;
            // this one again after a pause.
            ctx.log.info(`locking /ctl/cal/${slot} failed (error ${r.response.errCode} ${r.response.errDetail ?? ''}); trying again in ${RETRY_MS} ms`);
            if (tryKey) ctx.setTimer(`retry-${tryKey}`, RETRY_MS, { type: 'retry', key: tryKey } as RetryLock);
          }
          break;
        }
        default:
          return;
      }
      settle();
    },
  };
}

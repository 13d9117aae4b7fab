// The slave-watcher: while this node is not a CAL it keeps the follower
// copying the cluster, and when a /ctl/cal/* slot is empty it tries to lock
// it with a compare-and-set of its own id at the slot's rev (through a CAL,
// since a slave cannot propose). The winner becomes a CAL alpha seqns later.
// The winner then drives the cluster to its first instance itself: NOPs,
// one after another, through the CAL it follows, until its store has applied
// the seqn alpha past the lock (spec/cluster.md; an idle original cluster
// would otherwise move only on pulses). A CAL that the cluster removed
// notices here and goes back to being a slave.
import type { Actor, ActorContext } from '../runtime/actor.js';
import type { Message } from '../runtime/message.js';
import { Verb } from '../net/client-codec.js';
import { STORE, type ReplyMessage, type StoreCalsMessage, type StoreEventMessage } from './store/messages.js';
import { calListOf, type CtlCal } from './store/ctl.js';
import { Membership } from './membership.js';
import { FOLLOWER, type FollowerMessage } from '../net/follower.js';

export const SLAVE_WATCHER = 'slave-watcher';

export interface SlaveWatcherArgs {
  nodeId: string;
  alpha: number;
  /** This node's node files, re-registered through a CAL after being removed. */
  nodeFiles: { path: string; body: Uint8Array }[];
}

const LOCK_TAG = 1;
const REGISTER_TAG = 2;
const NOP_TAG = 3;
/** NOPs failing in a row before the winner stops driving (the cluster then moves on its own writes and pulses). */
const NOP_FAILURES = 20;

export function createSlaveWatcher(ctx: ActorContext, args: SlaveWatcherArgs): Actor {
  const membership = new Membership(args.nodeId, args.alpha);
  let slots: CtlCal[] = [];
  let storeRev = 0;
  let started = false;
  let locking: string | undefined;
  /** Rev of our last won lock: no other slot is tried before the store has reached it (the reply comes first). */
  let lockedAt = 0;
  /** Slot file revs already tried: a lost or won race is not run twice. */
  const tried = new Set<string>();
  let following = false;
  /** Drive NOPs until the store has applied this seqn (0: not driving). */
  let driveTo = 0;
  let nopInFlight = false;
  let nopFailures = 0;
  ctx.send(STORE, { type: 'subscribe', subscriber: ctx.self, fromRev: -1, withCals: true });

  const calAddrs = (): string[] => calListOf(slots).filter((c) => c.id !== args.nodeId && c.addr).map((c) => c.addr);
  const follower = (m: FollowerMessage): void => void ctx.send(FOLLOWER, m);

  /** Follow the cluster from our store's rev until we are a CAL. */
  function follow(): void {
    following = true;
    follower({ type: 'follow', fromRev: storeRev, until: membership.calFrom, cals: calAddrs() });
  }

  function tryLock(): void {
    if (locking || membership.calFrom !== Infinity || storeRev < lockedAt) return;
    const free = slots.find((c) => c.id === '' && !tried.has(`${c.slot}@${c.rev}`));
    if (!free) return;
    locking = free.slot;
    tried.add(`${free.slot}@${free.rev}`);
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

  function onSlots(rev: number, next: CtlCal[]): void {
    slots = next;
    const change = membership.update(rev, slots);
    if (change === 'joined') {
      ctx.log.info(`won a CAL slot at rev ${rev}: a CAL from seqn ${membership.calFrom}`);
      follower({ type: 'follow-until', until: membership.calFrom });
      driveTo = membership.calFrom;
      nopFailures = 0;
    } else if (change === 'removed') {
      ctx.log.warn(`this node was removed from the CALs at rev ${rev} (silent longer than -timeout?); continuing as a slave`);
      for (const f of args.nodeFiles) {
        follower({ type: 'upstream-call', req: { verb: Verb.SET, path: f.path, rev: -1, value: f.body }, replyTo: ctx.self, tag: REGISTER_TAG });
      }
      // Follow from here at once (settle): the instances up to calUntil were
      // decided by the others long ago, and consensus alone may never learn
      // them (nothing here proposes in them), leaving the node stuck.
      membership.calFrom = Infinity;
      membership.calUntil = Infinity;
      following = false;
      driveTo = 0;
    }
    follower({ type: 'follow-cals', cals: calAddrs() });
  }

  function settle(): void {
    // Not a CAL of the next instance (a slave, or removed): copy from a CAL.
    if (!following && !membership.isCalAt(storeRev + 1) && membership.calFrom === Infinity) follow();
    if (!following && membership.calUntil !== Infinity && storeRev + 1 >= membership.calUntil) {
      membership.calFrom = Infinity;
      membership.calUntil = Infinity;
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
          slots = c.cals;
          membership.start(c.rev, c.cals);
          break;
        }
        case 'store-event': {
          const e = msg as StoreEventMessage;
          storeRev = e.event.seqn;
          if (e.cals) onSlots(e.event.seqn, e.cals);
          break;
        }
        case 'reply': {
          const r = msg as ReplyMessage;
          if (r.tag === NOP_TAG) {
            onNopReply(r);
            break;
          }
          if (r.tag !== LOCK_TAG) return;
          const slot = locking;
          locking = undefined;
          if (r.response.errCode === undefined) {
            ctx.log.info(`locked /ctl/cal/${slot} at rev ${r.response.rev}`);
            lockedAt = r.response.rev ?? 0;
          } else ctx.log.info(`lost the race for /ctl/cal/${slot} (error ${r.response.errCode})`);
          break;
        }
        default:
          return;
      }
      settle();
    },
  };
}

// Liveness: a CAL removes CALs it has not heard from for -timeout seconds
// (spec/consensus.md): their /ctl/cal/* slot is emptied at its rev and their
// /ctl/node/<id>/ files deleted, through ordinary proposals, so a slave can
// take the slot. "Heard" is stamped with the time a datagram was received.
// After a pause of this process, or on becoming a CAL, every peer gets a
// full timeout before being judged.
import type { Actor, ActorContext } from '../runtime/actor.js';
import type { Message } from '../runtime/message.js';
import { STORE, type StoreCalsMessage, type StoreEventMessage } from './store/messages.js';
import { encodeDel, encodeSet } from './store/mutation.js';
import { ClusterView } from './cluster-view.js';
import { PROPOSER, type ProposedMessage } from './proposer-messages.js';

export const LIVENESS = 'liveness';

export interface LivenessArgs {
  nodeId: string;
  alpha: number;
  timeoutMs: number;
}

/** Files doozerd keeps per node (spec/cluster.md), and ours: `features` (large values, docs/protocol.md). */
const NODE_FILES = ['addr', 'hostname', 'version', 'writable', 'applied', 'features'];

/**
 * Transport → liveness: consensus addresses heard from since the last report
 * (sent every quarter second or so). Liveness stamps them with its own clock
 * on arrival: late by at most the report interval, which only ever makes a
 * peer look alive a little longer.
 */
export interface HeardMessage {
  type: 'heard';
  peers: string[];
}

export function createLiveness(ctx: ActorContext, args: LivenessArgs): Actor {
  const view = new ClusterView(args.nodeId, args.alpha);
  const checkEvery = Math.max(50, args.timeoutMs / 2);
  /** Last time each address was heard from (ctx.now() ms). */
  const lastHeard = new Map<string, number>();
  let storeRev = 0;
  let wasCal = false;
  let lastCheck = ctx.now();
  /** The last check heard from fewer than a quorum of CALs (logged once per episode). */
  let cutOff = false;
  /** Ids with a removal in flight, so one silence is not proposed twice. */
  const removing = new Set<string>();
  /** Proposal tag → id whose slot it empties (its files go once that succeeds). */
  const emptying = new Map<number, string>();
  let nextTag = 1;
  ctx.send(STORE, { type: 'subscribe', subscriber: ctx.self, fromRev: -1, withCals: true });
  ctx.setTimer('check', checkEvery, { type: 'check' });

  /** Give every peer a full timeout from now. */
  function grace(): void {
    const now = ctx.now();
    for (const c of view.slots) if (c.addr) lastHeard.set(c.addr, now);
  }

  function check(): void {
    const now = ctx.now();
    const late = now - lastCheck - checkEvery;
    lastCheck = now;
    // Unlisted (removed, on the way out): judge no one, it is most likely the silent one.
    const isCal = view.isCalAt(storeRev + 1) && view.listed;
    if (!isCal) {
      wasCal = false;
      return;
    }
    if (!wasCal || late > checkEvery) {
      // Just became a CAL, or this process was paused: we know nothing recent.
      if (late > checkEvery) ctx.log.info(`checks were ${Math.round(late)} ms late (paused?): giving every peer a full timeout`);
      wasCal = true;
      grace();
      return;
    }
    // A node that hears from fewer than a quorum of the CALs (itself
    // included) is most likely the one cut off: it judges no one. Its
    // removals would wait for a quorum anyway, and once the partition heals
    // they would remove healthy nodes (the original's "a different, healthy
    // node is kicked instead").
    const cals = view.cals;
    const heardCals = cals.filter((c) => c.id === args.nodeId || now - (lastHeard.get(c.addr) ?? -Infinity) < args.timeoutMs).length;
    if (heardCals < Math.floor(cals.length / 2) + 1) {
      if (!cutOff) ctx.log.warn(`heard from only ${heardCals} of ${cals.length} CALs within -timeout: judging no one until a quorum is heard again`);
      cutOff = true;
      return;
    }
    cutOff = false;
    for (const c of view.slots) {
      if (!c.id || c.id === args.nodeId || removing.has(c.id)) continue;
      const heard = lastHeard.get(c.addr);
      if (heard === undefined) {
        lastHeard.set(c.addr, now); // a new CAL: start its clock
        continue;
      }
      if (now - heard < args.timeoutMs) continue;
      ctx.log.warn(`CAL ${c.id} at ${c.addr} silent for ${Math.round((now - heard) / 1000)} s (-timeout ${args.timeoutMs / 1000} s): removing it`);
      removing.add(c.id);
      const tag = nextTag++;
      emptying.set(tag, c.id);
      propose(encodeSet(c.rev, `/ctl/cal/${c.slot}`, new Uint8Array()), tag);
    }
  }

  function propose(mutation: Uint8Array, tag: number): void {
    ctx.send(PROPOSER, { type: 'propose', mutation, replyTo: ctx.self, tag });
  }

  return {
    receive(msg: Message) {
      switch (msg.type) {
        case 'heard':
          {
            const at = ctx.now();
            for (const addr of (msg as HeardMessage).peers) lastHeard.set(addr, at);
          }
          return;
        case 'check':
          ctx.setTimer('check', checkEvery, { type: 'check' });
          check();
          return;
        case 'store-cals': {
          const c = msg as StoreCalsMessage;
          storeRev = c.rev;
          view.start(c.rev, c.cals);
          return;
        }
        case 'store-event': {
          const e = msg as StoreEventMessage;
          storeRev = e.event.seqn;
          if (e.cals) {
            const before = new Set(view.slots.map((c) => c.id));
            view.update(e.event.seqn, e.cals);
            const listed = new Set(view.slots.map((c) => c.id));
            for (const id of removing) if (!listed.has(id)) removing.delete(id);
            // A node that (re)enters a slot gets a full timeout from now: what
            // was heard of its address before (say, before it was paused and
            // removed) says nothing about it now, and it sends consensus
            // datagrams only from its first instance, alpha revs later.
            const now = ctx.now();
            for (const c of view.slots) if (c.id && c.addr && !before.has(c.id)) lastHeard.set(c.addr, now);
          }
          return;
        }
        case 'proposed': {
          const p = msg as ProposedMessage;
          const id = emptying.get(p.tag);
          if (id === undefined) return;
          emptying.delete(p.tag);
          if ('err' in p) {
            removing.delete(id); // the slot changed meanwhile (or we are no CAL now): judge again later
            return;
          }
          for (const f of NODE_FILES) propose(encodeDel(-1, `/ctl/node/${id}/${f}`), 0);
          return;
        }
        default:
          ctx.log.warn(`ignoring unknown message ${msg.type}`);
      }
    },
  };
}

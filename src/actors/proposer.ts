// The proposer: the one door for writes. Sessions (and the node's own
// actors) hand it mutations; it refuses them while this node is not a
// writable CAL (READONLY), passes them to consensus, and answers each with
// the seqn it was applied at (or the mutation's error) once this node's
// store has applied it, so a later read on this node sees the write.
import type { Actor, ActorContext } from '../runtime/actor.js';
import type { Message } from '../runtime/message.js';
import { STORE, type StoreCalsMessage, type StoreEventMessage } from './store/messages.js';
import { encodeSet, NOP_MUTATION } from './store/mutation.js';
import { Membership } from './membership.js';
import { CONSENSUS, type CancelledMessage, type ConsensusCancelMessage, type ConsensusProposeMessage, type WrittenMessage } from './consensus.js';
import type { ProposeMessage, ProposedMessage } from './proposer-messages.js';

export interface ProposerArgs {
  nodeId: string;
  alpha: number;
  /** First node of a new cluster: skip alpha seqns with no-ops before becoming writable (spec/cluster.md). */
  seed: boolean;
}

/** Names of senders whose writes are allowed before the node is writable (its own bookkeeping). */
const INTERNAL = new Set(['pulse', 'liveness', 'slave-watcher']);
/** Results of recent seqns kept for writes whose `written` arrives after the store applied them. */
const RECENT = 4096;

interface Pending {
  replyTo: string;
  tag: number;
}

interface State {
  membership: Membership;
  storeRev: number;
  writable: boolean;
  /** Our writable file is proposed (or the startup sequence is under way). */
  becoming: boolean;
  nextId: number;
  pending: Map<number, Pending>;
  /** seqn → write id, for chosen writes the store has not applied yet. */
  bySeqn: Map<number, number>;
  /** Recent applied seqns: error (or null). */
  recent: Map<number, { code: string; text: string } | null>;
  started: boolean;
}

export function createProposer(ctx: ActorContext, args: ProposerArgs): Actor {
  let st = ctx.durable.get('state') as State | undefined;
  const restarted = st !== undefined;
  if (!st) {
    st = {
      membership: new Membership(args.nodeId, args.alpha),
      storeRev: 0,
      writable: false,
      becoming: false,
      nextId: 1,
      pending: new Map(),
      bySeqn: new Map(),
      recent: new Map(),
      started: false,
    };
    ctx.durable.set('state', st);
  }
  const s = st;
  ctx.send(STORE, { type: 'subscribe', subscriber: ctx.self, fromRev: s.started ? s.storeRev : -1, withCals: true });
  const writablePath = `/ctl/node/${args.nodeId}/writable`;
  // Restarted because consensus restarted (rest_for_one: src/node/supervision-tree.ts).
  if (restarted && ctx.restart?.dependency === CONSENSUS) forgetInFlight();

  function answer(id: number, err: { code: string; text: string } | null | undefined, seqn: number): void {
    const p = s.pending.get(id);
    if (!p) return;
    s.pending.delete(id);
    const msg: ProposedMessage = err
      ? { type: 'proposed', tag: p.tag, err: err as { code: 'OTHER'; text: string } }
      : { type: 'proposed', tag: p.tag, seqn };
    ctx.send(p.replyTo, msg);
  }

  /**
   * Consensus restarted (its supervisor restarts the proposer after it), and
   * may have lost the writes it held for us (it does on a fresh thread).
   * Writes not known to be chosen are answered OTHER ("may or may not have
   * been applied"); writes known chosen (bySeqn) still get their answer from
   * the store's stream. An unfinished attempt to become writable is tried
   * again.
   */
  function forgetInFlight(): void {
    const chosen = new Set(s.bySeqn.values());
    const err = { code: 'OTHER', text: 'the node restarted its consensus actors: this write may or may not have been applied; read it back to check' };
    for (const id of [...s.pending.keys()]) if (!chosen.has(id)) answer(id, err, 0);
    if (!s.writable) s.becoming = false;
  }

  function submit(value: Uint8Array, p: Pending | undefined): void {
    const id = s.nextId++;
    if (p) s.pending.set(id, p);
    ctx.send(CONSENSUS, { type: 'consensus-propose', id, value } satisfies ConsensusProposeMessage);
  }

  /**
   * Once a listed CAL for the next instance: (seed only: alpha no-ops, then)
   * our writable file. Not while unlisted but still inside our last alpha
   * instances: that write could never make us writable, and its `becoming`
   * would block the write after a later win of a slot.
   */
  function maybeBecomeWritable(): void {
    if (s.becoming || s.membership.calUntil !== Infinity || !s.membership.isCalAt(s.storeRev + 1)) return;
    s.becoming = true;
    if (args.seed) for (let i = 0; i < args.alpha; i++) submit(NOP_MUTATION, undefined);
    submit(encodeSet(-1, writablePath, Buffer.from('true')), undefined);
  }

  /**
   * Unlisted from the CALs (or past our last instance): refuse client writes,
   * and have consensus drop the writes still queued, which would otherwise
   * wait forever for an instance this node leads (they are answered READONLY).
   */
  function stopWriting(): void {
    if (s.writable) ctx.log.warn(`no longer a CAL (removed at rev ${s.membership.removedAt}): refusing writes`);
    s.writable = false;
    s.becoming = false;
    ctx.send(CONSENSUS, { type: 'consensus-cancel' } satisfies ConsensusCancelMessage);
  }

  function onApplied(seqn: number, path: string, isSet: boolean, err: { code: string; text: string } | undefined): void {
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
    if (path === writablePath && isSet && !err && s.membership.isCalAt(seqn + 1) && s.membership.calUntil === Infinity) {
      if (!s.writable) ctx.log.info(`writable from rev ${seqn}`);
      s.writable = true;
    }
    if (s.membership.isCalAt(prev + 1) && !s.membership.isCalAt(seqn + 1)) stopWriting();
    maybeBecomeWritable();
  }

  return {
    receive(msg: Message) {
      switch (msg.type) {
        case 'propose': {
          const p = msg as ProposeMessage;
          const internal = INTERNAL.has(p.replyTo);
          // Once unlisted, not even our own bookkeeping: it could only land in
          // instances the others decided long ago (and the node follows now).
          const listed = s.membership.calUntil === Infinity;
          const ok = internal ? listed && s.membership.isCalAt(s.storeRev + 1) : s.writable;
          if (!ok) {
            ctx.send(p.replyTo, {
              type: 'proposed', tag: p.tag,
              err: { code: 'READONLY', text: s.membership.calFrom === Infinity ? 'this node is not a CAL' : !listed ? 'this node is no longer a CAL' : 'this node is not writable yet' },
            } satisfies ProposedMessage);
            return;
          }
          submit(p.mutation, { replyTo: p.replyTo, tag: p.tag });
          return;
        }
        case 'written': {
          const w = msg as WrittenMessage;
          if (w.seqn <= s.storeRev) answer(w.id, s.recent.get(w.seqn), w.seqn);
          else s.bySeqn.set(w.seqn, w.id);
          return;
        }
        case 'cancelled': {
          const c = msg as CancelledMessage;
          const err = c.why === 'removed'
            ? { code: 'READONLY', text: 'this node is no longer a CAL' }
            : { code: 'OTHER', text: c.detail ?? 'the disk refuses writes' };
          for (const id of c.ids) answer(id, err, 0);
          return;
        }
        case 'store-cals': {
          const c = msg as StoreCalsMessage;
          if (!s.started) {
            s.started = true;
            s.storeRev = c.rev;
            s.membership.start(c.rev, c.cals);
          }
          maybeBecomeWritable();
          return;
        }
        case 'store-event': {
          const e = msg as StoreEventMessage;
          if (e.event.seqn <= s.storeRev) return;
          if (e.cals) {
            const change = s.membership.update(e.event.seqn, e.cals);
            if (change === 'removed') stopWriting();
            // A slot won (again): become writable from its first instance, as on a first win.
            if (change === 'joined') s.becoming = s.writable = false;
          }
          onApplied(e.event.seqn, e.event.path, e.event.flags === 4, e.event.err);
          return;
        }
        default:
          ctx.log.warn(`ignoring unknown message ${msg.type}`);
      }
    },
  };
}

// Durable classes the node's actors keep in ctx.durable (src/runtime/durable.ts).
// Imported by kinds.ts, the module every thread loads its actor kinds from
// (the main thread imports it; worker threads load it as a kind module), so
// both sides know them. The runtime itself knows none of them.
//
// Store (replayed): its mutating calls are apply(seqn, mutation) and clean();
// replaying them gives the same store (store.ts is deterministic). A snapshot
// is the files at the oldest kept rev plus the kept mutations after it, so a
// store moved to a fresh thread keeps its history window (one event fewer:
// the event of the oldest rev itself is not carried over).
//
// Glob (snapshot): a compiled glob is its pattern.
//
// ClusterView (fields): plain fields only.
//
// AcceptorCore (replayed): the core is pure (acceptor-core.ts), so the main
// thread keeps a live copy by replaying its input calls (open, receive,
// decided, restore; not drain, which only takes outputs, and no input
// depends on them). Copying it whole
// every turn cost most of a worker's time: it keeps `keep` decided values
// (2000 by default) for catch-up answers. What must survive is its promises
// and votes (states()) and those values; a snapshot (only to start it on a
// fresh thread) carries both, and a restored core gets each promise back as
// its instance opens again. Learners and coordinators are not durable: they
// rebuild by the protocol's own retries.
import { Store, type StoreFile } from './store/store.js';
import { compileGlob, type Glob } from './store/glob.js';
import { ClusterView } from './cluster-view.js';
import { AcceptorCore, type AcceptorState, type Cal } from './paxos/index.js';
import { registerDataClass, registerDurableClass } from '../runtime/durable.js';

interface StoreSnapshot {
  hist: number;
  base: number;
  files: StoreFile[];
  mutations: Uint8Array[];
}

registerDurableClass<Store>({
  name: 'Store',
  ctor: Store,
  strategy: 'replay',
  mutators: ['apply', 'clean'],
  // A snapshot restores it exactly (but for the event of its oldest rev):
  // the main thread keeps a checkpoint and the calls after it.
  checkpoint: true,
  snapshot(s): StoreSnapshot {
    const base = s.oldestRev;
    const mutations: Uint8Array[] = [];
    for (let seqn = base + 1; seqn <= s.rev; seqn++) {
      const ev = s.event(seqn);
      if (!ev) throw new Error(`store snapshot: event ${seqn} missing (oldest rev ${base}, rev ${s.rev})`);
      mutations.push(ev.mutation);
    }
    return { hist: s.hist, base, files: s.files(base), mutations };
  },
  restore(data): Store {
    const d = data as StoreSnapshot;
    const s = Store.fromSnapshot(d.base, d.files, { hist: d.hist });
    d.mutations.forEach((m, i) => s.apply(d.base + i + 1, m));
    return s;
  },
});

registerDurableClass<Glob>({
  name: 'Glob',
  ctor: (Object.getPrototypeOf(compileGlob('/')) as { constructor: abstract new (...args: any[]) => Glob }).constructor,
  strategy: 'snapshot',
  snapshot: (g) => g.pattern,
  restore: (pattern) => compileGlob(pattern as string),
});

registerDataClass('ClusterView', ClusterView);

interface AcceptorSnapshot {
  self: Cal;
  alpha: number;
  keep: number;
  decided: number;
  values: { seqn: number; value: Uint8Array }[];
  states: AcceptorState[];
  /** Highest seqn whose round 1 was granted to a proposer (AcceptorCore.grantFast). */
  fastGranted: number;
}

registerDurableClass<AcceptorCore>({
  name: 'AcceptorCore',
  ctor: AcceptorCore,
  strategy: 'replay',
  mutators: ['open', 'receive', 'decided', 'restore', 'grantFast', 'restoreFastGrants'],
  // Not drain() above: it only takes outputs, which no later input depends
  // on; the main thread's copy drops them after each call. No checkpoint:
  // the snapshot keeps only what must survive (not the open instances nor
  // the messages held for later ones), so the main thread replays each call
  // on a live copy.
  settle: (a) => void a.drain(),
  snapshot: (a): AcceptorSnapshot => ({ self: a.self, alpha: a.alpha, keep: a.keep, decided: a.inspect().highestDecided, values: a.decidedKept(), states: a.states(), fastGranted: a.fastGranted }),
  restore(data): AcceptorCore {
    const d = data as AcceptorSnapshot;
    const a = new AcceptorCore({ self: d.self, alpha: d.alpha, keep: d.keep });
    for (const v of d.values) a.decided(v.seqn, v.value);
    a.decided(d.decided);
    a.restore(d.states);
    a.restoreFastGrants(d.fastGranted ?? 0);
    return a;
  },
});

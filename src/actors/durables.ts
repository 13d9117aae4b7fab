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
// Membership (fields): plain fields only.
//
// Manager (snapshot): the consensus core. What must survive is its acceptors'
// promises and votes (acceptorStates); a restored manager reopens its window
// and gets them back as instances open. Learners and coordinators rebuild by
// the protocol's own retries.
import { Store, type StoreFile } from './store/store.js';
import { compileGlob, type Glob } from './store/glob.js';
import { Membership } from './membership.js';
import { Manager, type AcceptorState, type Cal } from './paxos/index.js';
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

registerDataClass('Membership', Membership);

interface ManagerSnapshot {
  self: Cal;
  alpha: number;
  fillDelayMs: number;
  acceptors: AcceptorState[];
}

registerDurableClass<Manager>({
  name: 'Manager',
  ctor: Manager,
  strategy: 'snapshot',
  partial: 'its queued writes, learners and coordinators',
  snapshot: (m): ManagerSnapshot => ({ self: m.self, alpha: m.alpha, fillDelayMs: m.fillDelayMs, acceptors: m.acceptorStates() }),
  restore(data): Manager {
    const d = data as ManagerSnapshot;
    const m = new Manager({ self: d.self, alpha: d.alpha, fillDelayMs: d.fillDelayMs, rng: Math.random });
    m.restoreAcceptors(d.acceptors);
    return m;
  },
});

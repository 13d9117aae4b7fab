import { describe, expect, it } from 'vitest';
import '../../../src/actors/durables.js';
import { DurableMirror, REPLAY_REFRESH_CALLS, WriteThroughMap, registerDurableClass, type DurableRecord } from '../../../src/runtime/durable.js';
import { AcceptorCore, Cmd, type Cal } from '../../../src/actors/paxos/index.js';
import { Store } from '../../../src/actors/store/store.js';
import { encodeSet } from '../../../src/actors/store/mutation.js';
import { compileGlob, type Glob } from '../../../src/actors/store/glob.js';
import { ClusterView } from '../../../src/actors/cluster-view.js';

const txt = (b: Uint8Array): string => Buffer.from(b).toString();

/** A worker-side map whose records go straight to a mirror (what collect() gives at the end of a turn). */
function pair() {
  const map = new WriteThroughMap(() => undefined);
  const mirror = new DurableMirror();
  const sync = (): DurableRecord[] => {
    const batch = map.collect();
    for (const r of batch) mirror.apply(r);
    return batch;
  };
  /** What a fresh thread would start from. */
  const moved = (): WriteThroughMap => new WriteThroughMap(() => undefined, mirror.export());
  return { map, mirror, sync, moved };
}

describe('durable state written through to the main thread', () => {
  it('plain data changed in place is copied once per batch, only when it changed', () => {
    const { map, sync, moved } = pair();
    const st = { n: 0, seen: [] as number[], by: new Map<string, Set<number>>() };
    map.set('state', st);
    expect(sync().map((r) => r.op)).toEqual(['plain']);
    expect(sync()).toEqual([]); // unchanged: nothing sent
    st.n = 2;
    st.seen.push(1, 2);
    st.by.set('a', new Set([1]));
    expect(sync().map((r) => r.op)).toEqual(['plain']);
    const copy = moved().get('state') as typeof st;
    expect(copy).toEqual(st);
    expect(copy).not.toBe(st);
  });

  it('shared references and cycles survive the copy', () => {
    const { map, sync, moved } = pair();
    const shared = { x: 1 };
    const st: Record<string, unknown> = { a: shared, b: shared };
    st.self = st;
    map.set('s', st);
    sync();
    const copy = moved().get('s') as Record<string, unknown>;
    expect(copy.a).toBe(copy.b);
    expect(copy.self).toBe(copy);
  });

  it('a Store is replayed on the main thread, not copied, and moves with its history', () => {
    const { map, mirror, sync, moved } = pair();
    const store = new Store({ hist: 3 });
    const st = { store, waits: [] as { glob: Glob; rev: number }[] };
    map.set('state', st);
    store.apply(1, encodeSet(0, '/a', Buffer.from('1'))); // before the first batch: part of the snapshot
    const first = sync();
    expect(first.map((r) => r.op)).toEqual(['init', 'plain']);
    for (let i = 2; i <= 6; i++) store.apply(i, encodeSet(-1, '/a', Buffer.from(String(i))));
    store.clean();
    st.waits.push({ glob: compileGlob('/a/**'), rev: 7 });
    const later = sync();
    const calls = later.filter((r) => r.op === 'calls');
    expect(calls.length).toBe(1); // one record for the turn...
    expect(calls[0]!.op === 'calls' && calls[0]!.calls.filter((_, k) => k % 2 === 0)).toEqual(['apply', 'apply', 'apply', 'apply', 'apply', 'clean']); // ...of 5 applies and a clean
    expect(later.filter((r) => r.op === 'plain').length).toBe(1); // the waits changed; the store did not need copying
    const mirrored = (mirror.value('state') as typeof st).store;
    expect(mirrored.rev).toBe(6);
    expect(txt(mirrored.get('/a').body)).toBe('6');

    const fresh = moved().get('state') as typeof st;
    expect(fresh.store).toBeInstanceOf(Store);
    expect(fresh.store.rev).toBe(6);
    expect(fresh.store.oldestRev).toBe(store.oldestRev);
    expect(txt(fresh.store.get('/a', 5).body)).toBe('5');
    expect(fresh.waits[0]!.glob.matches('/a/b')).toBe(true);
    expect(fresh.waits[0]!.glob.matches('/b')).toBe(false);
  });

  it('a moved map keeps recording: calls on the restored instance reach the mirror', () => {
    const { map, mirror, sync } = pair();
    const store = new Store();
    map.set('store', store);
    store.apply(1, encodeSet(0, '/x', Buffer.from('a')));
    sync();
    let told = 0;
    const fresh = new WriteThroughMap(() => told++, mirror.export());
    (fresh.get('store') as Store).apply(2, encodeSet(-1, '/x', Buffer.from('b')));
    expect(told).toBe(1);
    for (const r of fresh.collect()) mirror.apply(r);
    expect(txt((mirror.value('store') as Store).get('/x').body)).toBe('b');
  });

  it('replacing a replayed instance drops the old one', () => {
    const { map, sync } = pair();
    const st = { store: new Store() };
    map.set('state', st);
    sync();
    st.store = new Store();
    const ops = sync().map((r) => r.op);
    expect(ops).toContain('init');
    expect(ops).toContain('drop');
  });

  it('data classes (ClusterView) keep their prototype', () => {
    const { map, sync, moved } = pair();
    const m = new ClusterView('me', 50);
    m.start(10, [{ slot: '1', id: 'me', rev: 1, addr: '127.0.0.1:8046', ours: true }]);
    map.set('state', { membership: m });
    sync();
    const copy = (moved().get('state') as { membership: ClusterView }).membership;
    expect(copy).toBeInstanceOf(ClusterView);
    expect(copy.isCalAt(11)).toBe(true);
    expect(copy.selfId).toBe('me');
  });

  it('what cannot be copied is reported (and named) instead of silently broken', () => {
    const warnings: string[] = [];
    const map = new WriteThroughMap(() => undefined, undefined, (w) => warnings.push(w));
    class Opaque {
      f = (): number => 1;
    }
    map.set('state', { ok: 1, fn: () => 2, opaque: new Opaque() });
    const recs = map.collect();
    const lossy = recs.find((r) => r.op === 'lossy');
    expect(lossy && lossy.op === 'lossy' && lossy.paths).toEqual(['state.fn is a function', 'state.opaque is a Opaque']);
    expect(map.lossyPaths.length).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot follow this actor to another thread: state.fn is a function/);
    map.collect();
    expect(warnings).toHaveLength(1); // said once
  });

  it('delete is written through', () => {
    const { map, mirror, sync } = pair();
    map.set('a', 1);
    map.set('b', 2);
    sync();
    map.delete('a');
    sync();
    expect(mirror.value('a')).toBeUndefined();
    expect(mirror.value('b')).toBe(2);
    expect(mirror.size).toBe(1);
  });

  it('snapshot classes are copied with their snapshot()', () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
      norm(): number {
        return Math.hypot(this.x, this.y);
      }
    }
    registerDurableClass<Point>({ name: 'TestPoint', ctor: Point, strategy: 'snapshot', snapshot: (p) => [p.x, p.y], restore: (d) => new Point(...(d as [number, number])) });
    const { map, sync, moved } = pair();
    map.set('p', new Point(3, 4));
    sync();
    expect((moved().get('p') as Point).norm()).toBe(5);
  });

  it('a replayed instance: the main thread keeps its calls after the last snapshot, and a fresh snapshot now and then ends that log', () => {
    const { map, mirror, sync, moved } = pair();
    const store = new Store({ hist: 10 });
    map.set('state', { store });
    sync();
    let seqn = 0;
    const write = (n: number): DurableRecord[] => {
      for (let i = 0; i < n; i++) {
        store.apply(++seqn, encodeSet(-1, '/a', Buffer.from(String(seqn))));
        store.clean();
      }
      return sync();
    };
    write(100);
    expect(mirror.pendingCalls).toBe(200); // kept, not replayed as they come
    // Past REPLAY_REFRESH_CALLS calls, the next turn ends with a fresh snapshot: the log before it is void.
    const ops = write(REPLAY_REFRESH_CALLS / 2).map((r) => r.op); // an apply and a clean each
    expect(ops.at(-1)).toBe('init');
    expect(mirror.pendingCalls).toBe(0);
    write(5);
    expect(mirror.pendingCalls).toBe(10);
    // A fresh thread gets the snapshot with the log replayed on it.
    const fresh = (moved().get('state') as { store: Store }).store;
    expect(fresh.rev).toBe(seqn);
    expect(txt(fresh.get('/a').body)).toBe(String(seqn));
    expect(txt(fresh.get('/a', seqn - 3).body)).toBe(String(seqn - 3));
    expect(mirror.pendingCalls).toBe(0);
  });

  it('a log that cannot be replayed marks the copy broken (a thread death then exits instead of restoring it half)', () => {
    const { map, mirror, sync } = pair();
    const store = new Store();
    map.set('store', store);
    sync();
    store.apply(1, encodeSet(0, '/x', Buffer.from('a')));
    sync();
    mirror.apply({ op: 'calls', id: 1, calls: ['apply', [7, encodeSet(0, '/y', Buffer.from('b'))]] }); // seqn 7 after rev 1
    expect(mirror.lossy).toEqual([]);
    mirror.settle();
    expect(mirror.lossy[0]).toMatch(/copy broken: replaying Store: store: apply seqn 7 but rev is 1/);
  });

  it('an AcceptorCore is replayed, not copied every turn, and moves with its promises, votes and kept decisions', () => {
    const cals: Cal[] = [
      { id: 'A', addr: 'a:1' },
      { id: 'B', addr: 'b:1' },
      { id: 'C', addr: 'c:1' },
    ];
    const { map, sync, moved } = pair();
    const core = new AcceptorCore({ self: cals[0]!, alpha: 50, keep: 300 });
    const st = { core, storeRev: 0 };
    map.set('state', st);
    // First seen at the end of the turn that made it (as the acceptor actor does), before any input.
    expect(sync().map((r) => r.op)).toEqual(['init', 'plain']);
    for (let n = 1; n <= 50; n++) core.open(n, cals);
    for (let s = 1; s <= 40; s++) {
      core.receive('b:1', { cmd: Cmd.NOMINATE, seqn: s, crnd: 1, vrnd: 0, value: Buffer.from(`v${s}`) });
      core.drain();
      core.decided(s, Buffer.from(`v${s}`));
      core.open(s + 50, []);
      st.storeRev = s;
    }
    core.receive('c:1', { cmd: Cmd.INVITE, seqn: 45, crnd: 6, vrnd: 0, value: new Uint8Array(0) });
    core.receive('c:1', { cmd: Cmd.NOMINATE, seqn: 46, crnd: 7, vrnd: 0, value: Buffer.from('v46') });
    core.drain();
    const batch = sync();
    // Only its input calls travel (no drain, no copy of its 40 kept values), and the small plain state.
    const calls = batch.find((r) => r.op === 'calls');
    expect(new Set(calls?.op === 'calls' ? calls.calls.filter((_, k) => k % 2 === 0) : [])).toEqual(new Set(['receive', 'decided', 'open']));
    expect(batch.map((r) => r.op)).toEqual(['calls', 'plain']);
    const copy = (moved().get('state') as typeof st).core;
    expect(copy).toBeInstanceOf(AcceptorCore);
    expect(copy.states()).toEqual(core.states());
    expect(copy.decidedKept()).toEqual(core.decidedKept());
    expect(copy.inspect().highestDecided).toBe(40);
  });
});

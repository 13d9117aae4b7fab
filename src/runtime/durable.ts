// Durable state of actors on worker threads (docs/runtime.md, "Durable state").
//
// An actor keeps what must outlive a crash in ctx.durable. On the main
// thread that map is simply kept by the host. On a worker thread the map is
// also copied to the main thread, so that the whole thread can die without
// losing it. The copy is taken once per batch (one event-loop turn of the
// worker), at the end of the turn, and travels in the same batch as
// everything the actor sent during the turn and the note of which messages
// it has handled. A batch arrives whole or not at all, so the main thread's
// copy always matches the messages it has seen leave: if the thread dies,
// the actor restarts on a fresh thread from that copy, and the messages it
// had not finished are delivered again.
//
// How values are copied:
// - Plain data (objects, arrays, Maps, Sets, strings, numbers, byte arrays)
//   is serialized (v8) and sent when its bytes changed since the last batch.
//   It may be changed in place. Keep it modest: it is walked once per turn.
// - An instance of a class registered with registerDurableClass:
//   - strategy 'replay' (the store's Store, the acceptor's core): not copied
//     each turn. Calls of its mutating methods are recorded as they happen
//     and sent (the class must be deterministic). With `checkpoint` (its
//     snapshot restores it exactly: the Store) the main thread keeps them
//     after the instance's last snapshot, a checkpoint and its log; the
//     worker sends a fresh snapshot now and then (REPLAY_REFRESH_CALLS
//     calls, and no more than 2% of its time), which ends the log. The log
//     is replayed only to hand the instance to a fresh thread (or when it
//     grows past MIRROR_MAX_CALLS). Without `checkpoint` the main thread
//     replays each call as it comes on a live copy.
//   - strategy 'snapshot' (a compiled glob): encoded with its snapshot().
//   - strategy 'fields' (a data class such as Membership): its own fields,
//     copied like plain data (they may hold more registered instances).
// - Anything else (functions, instances of other classes) cannot follow an
//   actor to another thread. The runtime says so once in the log, and if the
//   thread dies, the node exits rather than bring the actor back without it.
import { deserialize, serialize } from 'node:v8';

export interface DurableClass<T extends object = object> {
  /** Registry name (the same on every thread). */
  name: string;
  ctor: abstract new (...args: any[]) => T;
  /**
   * 'replay': record mutating calls (deterministic class); 'snapshot': copy
   * snapshot() every time; 'fields': copy its own fields like plain data.
   */
  strategy: 'replay' | 'snapshot' | 'fields';
  /** Methods that change the instance ('replay'); everything else must only read. */
  mutators?: readonly string[];
  /**
   * 'replay': `restore(snapshot(v))` is `v` again, as far as every later
   * mutating call can tell (the Store). Then the worker sends a fresh
   * snapshot now and then, and the main thread keeps only the calls after
   * the last one (a checkpoint and its log), replayed when the instance
   * moves. Without it (a snapshot that keeps only what must survive, like
   * the acceptor's) the main thread replays each call as it comes, on a
   * live copy restored once from the first snapshot. Such an instance
   * must be in ctx.durable before its first call that changes what its
   * snapshot leaves out: it is first snapshotted at the end of the turn
   * that put it there, and recorded from then on.
   */
  checkpoint?: boolean;
  /**
   * 'replay' without `checkpoint`: called on the main thread's live copy
   * after each replayed call, to drop outputs that no later call depends on
   * (the acceptor core's drain()), so that the method taking them need not
   * be recorded.
   */
  settle?(v: T): void;
  /** Plain data from which `restore` rebuilds an equal instance ('replay', 'snapshot'). */
  snapshot?(v: T): unknown;
  restore?(data: unknown): T;
  /**
   * `restore` gives back only part of the instance (what must survive; the
   * rest rebuilds): an actor restored with one on a fresh thread counts as
   * restarted, and its supervisor restarts what depends on it
   * (rest_for_one), as after a crash. Say what is lost, for the log.
   */
  partial?: string;
}

/** Register a class whose state is its own fields (plain data, or more registered instances). */
export function registerDataClass(name: string, ctor: abstract new (...args: any[]) => object): void {
  registerDurableClass({ name, ctor, strategy: 'fields' });
}

const byName = new Map<string, DurableClass>();
const byProto = new Map<object, DurableClass>();

/** Register a class whose instances may be kept in ctx.durable on a worker thread. Idempotent. */
export function registerDurableClass<T extends object>(c: DurableClass<T>): void {
  byName.set(c.name, c as unknown as DurableClass);
  byProto.set((c.ctor as unknown as { prototype: object }).prototype, c as unknown as DurableClass);
}

function classOf(v: object): DurableClass | undefined {
  for (let p = Object.getPrototypeOf(v) as object | null; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    const c = byProto.get(p);
    if (c) return c;
  }
  return undefined;
}

export function durableClass(name: string): DurableClass {
  const c = byName.get(name);
  if (!c) throw new Error(`durable class ${name} is not registered on this thread`);
  return c;
}

/** A replayed instance gets a fresh snapshot after at least this many recorded calls... */
export const REPLAY_REFRESH_CALLS = 20_000;
/** ...and once at least this many times the last snapshot's cost (in time) has passed: at most ~2% of the worker's time. */
const REPLAY_REFRESH_COST_FACTOR = 50;
/** The main thread replays a log this long itself (a worker that does not refresh): bounds its memory. */
export const MIRROR_MAX_CALLS = 500_000;

/** What a worker sends about an actor's durable map. */
export type DurableRecord =
  /** Entry `key` is now these bytes (v8-serialized, with markers for class instances). */
  | { op: 'plain'; key: string; bytes: Uint8Array }
  | { op: 'del'; key: string }
  /** A replayed instance appeared (its starting point), or a fresh snapshot of it (the calls before it are void). */
  | { op: 'init'; id: number; cls: string; snapshot: unknown }
  /**
   * The mutating calls on a replayed instance during one turn, in order,
   * flattened: method name, then its argument list, for each call. One record
   * per instance and turn, not one per call: a batch reaches the main thread
   * whole or not at all, so they need not sit between the messages sent.
   */
  | { op: 'calls'; id: number; calls: unknown[] }
  /** A replayed instance is no longer referenced. */
  | { op: 'drop'; id: number }
  /** Parts of the map that cannot be copied (empty: all can). */
  | { op: 'lossy'; paths: string[] };

/** An actor's durable map as handed to a fresh thread. */
export interface DurableInit {
  entries: { key: string; bytes: Uint8Array }[];
  instances: { id: number; cls: string; snapshot: unknown }[];
}

export const EMPTY_DURABLE: DurableInit = { entries: [], instances: [] };

const LOSSY_RECHECK_MS = 5000;

// Markers in the serialized form.
const REF = '__durable_ref__';
const CLS = '__durable_cls__';
const FIELDS = '__durable_fields__';

function snapshotOf(c: DurableClass, v: object): unknown {
  if (!c.snapshot) throw new Error(`durable class ${c.name}: no snapshot()`);
  return c.snapshot(v);
}

function restoreOf(c: DurableClass, data: unknown): object {
  if (!c.restore) throw new Error(`durable class ${c.name}: no restore()`);
  return c.restore(data);
}

const isPlainObject = (v: object): boolean => {
  const p = Object.getPrototypeOf(v) as object | null;
  return p === Object.prototype || p === null;
};

/** A value copied as it is, with nothing to look at inside (not a function or symbol, which cannot be copied). */
const isPlainLeaf = (x: unknown): boolean => x === null || (typeof x !== 'object' && typeof x !== 'function' && typeof x !== 'symbol');

/** Values v8 serialization copies as they are. */
const isCloneableLeaf = (v: object): boolean =>
  ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp || v instanceof Error;

/** One walk of a durable entry. */
class Encoding {
  /** Copies made (object -> its copy with markers), so shared parts stay shared. */
  readonly memo = new Map<object, unknown>();
  /** Objects on the current path (a cycle is left as it is). */
  readonly visiting = new Set<object>();
  readonly path: unknown[];

  constructor(
    key: string,
    readonly reached: Set<number>,
    readonly lossy: string[],
    readonly out: DurableRecord[],
  ) {
    this.path = [key];
  }

  /**
   * Done walking container `v` (entered with visiting.add): its copy when
   * one was made, remembered so other references to `v` get the same copy;
   * else `v` itself.
   */
  leave(v: object, copy: object | undefined): unknown {
    this.visiting.delete(v);
    if (!copy) return v;
    this.memo.set(v, copy);
    return copy;
  }

  /** The current path, as `state.pending.get(3).x`. */
  where(): string {
    let s = String(this.path[0]);
    for (const p of this.path.slice(1)) s += typeof p === 'number' ? `[${p}]` : typeof p === 'string' && /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `.get(${String(p).slice(0, 20)})`;
    return s;
  }
}

/**
 * The worker-side ctx.durable of a permanent actor: a Map (live objects, as
 * on the main thread) that can say what changed since last asked.
 */
export class WriteThroughMap extends Map<string, unknown> {
  private readonly sent = new Map<string, Buffer>();
  private readonly deleted = new Set<string>();
  private nextId = 1;
  private readonly ids = new WeakMap<object, number>();
  private readonly instances = new Map<number, object>();
  /** Per replayed instance: calls recorded since its last snapshot, and when that snapshot may be refreshed (ms, performance.now()). */
  private readonly replayLog = new Map<number, { calls: number; notBefore: number }>();
  /** Calls recorded this turn, per replayed instance (flattened: method, args, ...), in the order the instances first had one. */
  private readonly turnCalls = new Map<number, unknown[]>();
  private lossy: string[] = [];
  private recheckAt = 0;
  private warned = false;
  /** Partial classes (DurableClass.partial) restored from `init`: what each lost. */
  readonly restoredPartially: string[] = [];

  /**
   * @param onCall a replayed instance's mutating call was recorded (the next
   *   collect() returns it): the caller makes sure collect() runs this turn.
   */
  constructor(
    private readonly onCall: () => void,
    init: DurableInit = EMPTY_DURABLE,
    private readonly warn: (msg: string) => void = () => undefined,
  ) {
    super();
    for (const i of init.instances) {
      const c = durableClass(i.cls);
      const v = restoreOf(c, i.snapshot);
      if (c.partial) this.restoredPartially.push(`${c.name}: ${c.partial}`);
      this.track(v, c, i.id);
      this.nextId = Math.max(this.nextId, i.id + 1);
    }
    for (const e of init.entries) {
      const bytes = Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
      super.set(e.key, this.decode(deserialize(bytes), new Map()));
      this.sent.set(e.key, bytes);
    }
  }

  override set(key: string, value: unknown): this {
    this.deleted?.delete(key);
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    const had = super.delete(key);
    if (had) this.deleted.add(key);
    return had;
  }

  override clear(): void {
    for (const k of [...this.keys()]) this.delete(k);
  }

  /** Is some part of the map impossible to copy (as of the last collect)? */
  get lossyPaths(): readonly string[] {
    return this.lossy;
  }

  /**
   * Everything that changed since the last call. A map that cannot be copied
   * anyway is looked at again only every few seconds (in case it changed
   * shape): copying the rest of it would buy nothing.
   */
  collect(now = Date.now()): DurableRecord[] {
    const out: DurableRecord[] = [];
    for (const [id, calls] of this.turnCalls) out.push({ op: 'calls', id, calls });
    this.turnCalls.clear();
    if (this.lossy.length > 0 && now < this.recheckAt) return out;
    for (const key of this.deleted) {
      this.sent.delete(key);
      out.push({ op: 'del', key });
    }
    this.deleted.clear();
    const reached = new Set<number>();
    const lossy: string[] = [];
    for (const [key, value] of super.entries()) {
      const encoded = this.encode(value, new Encoding(key, reached, lossy, out));
      let bytes: Buffer;
      try {
        bytes = serialize(encoded);
      } catch (e) {
        lossy.push(`${key} (${(e as Error).message})`);
        continue;
      }
      const last = this.sent.get(key);
      if (last && last.equals(bytes)) continue;
      this.sent.set(key, bytes);
      out.push({ op: 'plain', key, bytes });
    }
    for (const [id, v] of this.instances) {
      if (reached.has(id)) {
        this.refreshIfDue(id, v, out);
        continue;
      }
      this.instances.delete(id);
      this.ids.delete(v);
      this.replayLog.delete(id);
      out.push({ op: 'drop', id });
    }
    if (lossy.length > 0) this.recheckAt = now + LOSSY_RECHECK_MS;
    if (lossy.join('\n') !== this.lossy.join('\n')) {
      this.lossy = lossy;
      out.push({ op: 'lossy', paths: lossy });
      if (lossy.length > 0 && !this.warned) {
        this.warned = true;
        this.warn(
          `durable state cannot follow this actor to another thread: ${lossy.slice(0, 3).join('; ')}` +
            ' (register the class with registerDurableClass, src/runtime/durable.ts); if its thread dies, the node will exit',
        );
      }
    }
    return out;
  }

  /**
   * A fresh snapshot of replayed instance `id` when enough calls piled up
   * since the last one: the main thread then drops them (a checkpoint ends
   * its log). Taken at the end of a turn, after every call of the turn, so
   * it is exactly the state those calls led to.
   */
  private refreshIfDue(id: number, v: object, out: DurableRecord[]): void {
    const log = this.replayLog.get(id);
    if (!log || log.calls < REPLAY_REFRESH_CALLS) return;
    const c = classOf(v)!;
    if (!c.checkpoint) return;
    const t0 = performance.now();
    if (t0 < log.notBefore) return;
    out.push({ op: 'init', id, cls: c.name, snapshot: snapshotOf(c, v) });
    const t1 = performance.now();
    log.calls = 0;
    log.notBefore = t1 + (t1 - t0) * REPLAY_REFRESH_COST_FACTOR;
  }

  /**
   * The serializable form of `v`: `v` itself where it holds only plain data
   * (no copy, so a large state costs one walk and one serialization), a copy
   * with markers where it holds registered instances.
   */
  private encode(v: unknown, e: Encoding): unknown {
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'function' || typeof v === 'symbol') {
        e.lossy.push(`${e.where()} is a ${typeof v}`);
        return undefined;
      }
      return v;
    }
    if (e.memo.has(v)) return e.memo.get(v);
    if (isCloneableLeaf(v) || e.visiting.has(v)) return v;
    if (Array.isArray(v)) {
      e.visiting.add(v);
      let copy: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (isPlainLeaf(x)) {
          copy?.push(x);
          continue;
        }
        e.path.push(i);
        const y = this.encode(x, e);
        e.path.pop();
        if (y !== x && !copy) copy = v.slice(0, i);
        copy?.push(y);
      }
      return e.leave(v, copy);
    }
    if (v instanceof Map) {
      e.visiting.add(v);
      let copy: Map<unknown, unknown> | undefined;
      let i = 0;
      // forEach, and no walk into numbers and strings: a big map of small
      // entries (the proposer's recent results: 4096) is walked every turn.
      (v as Map<unknown, unknown>).forEach((x, k) => {
        let k2 = k;
        let y = x;
        if (!isPlainLeaf(k) || !isPlainLeaf(x)) {
          e.path.push(k);
          k2 = this.encode(k, e);
          y = this.encode(x, e);
          e.path.pop();
        }
        if ((k2 !== k || y !== x) && !copy) {
          copy = new Map();
          let j = 0;
          for (const [kk, xx] of v) {
            if (j++ >= i) break;
            copy.set(kk, xx);
          }
        }
        copy?.set(k2, y);
        i++;
      });
      return e.leave(v, copy);
    }
    if (v instanceof Set) {
      e.visiting.add(v);
      let copy: Set<unknown> | undefined;
      let i = 0;
      for (const x of v) {
        e.path.push('item');
        const y = this.encode(x, e);
        e.path.pop();
        if (y !== x && !copy) {
          copy = new Set();
          let j = 0;
          for (const xx of v) {
            if (j++ >= i) break;
            copy.add(xx);
          }
        }
        copy?.add(y);
        i++;
      }
      return e.leave(v, copy);
    }
    if (isPlainObject(v)) {
      e.visiting.add(v);
      const o = v as Record<string, unknown>;
      let copy: Record<string, unknown> | undefined;
      const keys = Object.keys(o);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const x = o[k];
        if (isPlainLeaf(x) && !copy) continue;
        e.path.push(k);
        const y = this.encode(x, e);
        e.path.pop();
        if (y !== x && !copy) {
          copy = {};
          for (let j = 0; j < i; j++) copy[keys[j]!] = o[keys[j]!];
        }
        if (copy) copy[k] = y;
      }
      return e.leave(v, copy);
    }
    const c = classOf(v);
    if (!c) {
      e.lossy.push(`${e.where()} is a ${(v as { constructor?: { name?: string } }).constructor?.name ?? 'class instance'}`);
      return undefined;
    }
    if (c.strategy === 'replay') {
      let id = this.ids.get(v);
      if (id === undefined) {
        id = this.nextId++;
        // Its starting point goes first; its calls from now on follow.
        e.out.push({ op: 'init', id, cls: c.name, snapshot: snapshotOf(c, v) });
        this.track(v, c, id);
      }
      e.reached.add(id);
      const marker = { [REF]: id };
      e.memo.set(v, marker);
      return marker;
    }
    if (c.strategy === 'fields') {
      const fields: Record<string, unknown> = {};
      const marker = { [FIELDS]: c.name, fields };
      e.memo.set(v, marker);
      for (const k of Object.keys(v)) {
        e.path.push(k);
        fields[k] = this.encode((v as Record<string, unknown>)[k], e);
        e.path.pop();
      }
      return marker;
    }
    const marker = { [CLS]: c.name, data: snapshotOf(c, v) };
    e.memo.set(v, marker);
    return marker;
  }

  private decode(v: unknown, memo: Map<object, unknown>): unknown {
    if (v === null || typeof v !== 'object') return v;
    const seen = memo.get(v);
    if (seen !== undefined) return seen;
    if (isCloneableLeaf(v)) return v;
    if (Array.isArray(v)) {
      const a: unknown[] = [];
      memo.set(v, a);
      for (const x of v) a.push(this.decode(x, memo));
      return a;
    }
    if (v instanceof Map) {
      const m = new Map<unknown, unknown>();
      memo.set(v, m);
      for (const [k, x] of v) m.set(this.decode(k, memo), this.decode(x, memo));
      return m;
    }
    if (v instanceof Set) {
      const s = new Set<unknown>();
      memo.set(v, s);
      for (const x of v) s.add(this.decode(x, memo));
      return s;
    }
    const o = v as Record<string, unknown>;
    if (typeof o[REF] === 'number') {
      const inst = this.instances.get(o[REF]);
      if (!inst) throw new Error(`durable: instance ${o[REF]} missing`);
      return inst;
    }
    if (typeof o[CLS] === 'string') {
      const c = durableClass(o[CLS]);
      const inst = restoreOf(c, o.data);
      if (c.partial) this.restoredPartially.push(`${c.name}: ${c.partial}`);
      memo.set(v, inst);
      return inst;
    }
    if (typeof o[FIELDS] === 'string') {
      const c = durableClass(o[FIELDS]);
      const inst = Object.create((c.ctor as unknown as { prototype: object }).prototype) as Record<string, unknown>;
      memo.set(v, inst);
      for (const [k, x] of Object.entries(o.fields as Record<string, unknown>)) inst[k] = this.decode(x, memo);
      return inst;
    }
    const out: Record<string, unknown> = {};
    memo.set(v, out);
    for (const [k, x] of Object.entries(o)) out[k] = this.decode(x, memo);
    return out;
  }

  /** Record the instance's mutating calls from now on. */
  private track(v: object, c: DurableClass, id: number): void {
    this.ids.set(v, id);
    this.instances.set(id, v);
    const log = { calls: 0, notBefore: 0 };
    this.replayLog.set(id, log);
    for (const m of c.mutators ?? []) {
      const original = (Object.getPrototypeOf(v) as Record<string, unknown>)[m];
      if (typeof original !== 'function') throw new Error(`durable class ${c.name}: no method ${m}`);
      Object.defineProperty(v, m, {
        configurable: true,
        enumerable: false,
        writable: true,
        value: (...args: unknown[]) => {
          const result = (original as (...a: unknown[]) => unknown).apply(v, args);
          const current = this.ids.get(v);
          if (current !== undefined) {
            // Own the bytes now: a caller may reuse its buffer before the batch leaves.
            const owned = args.map((a) => (a instanceof Uint8Array ? a.slice() : a));
            log.calls++;
            let calls = this.turnCalls.get(current);
            if (!calls) this.turnCalls.set(current, (calls = []));
            calls.push(m, owned);
            this.onCall();
          }
          return result;
        },
      });
    }
  }
}

/** Replay one turn's calls (flattened: method, args, ...) on `v`. */
function replayCalls(v: object, calls: unknown[]): void {
  const o = v as Record<string, (...a: unknown[]) => unknown>;
  for (let k = 0; k < calls.length; k += 2) {
    const method = calls[k] as string;
    const f = o[method];
    if (typeof f !== 'function') throw new Error(`durable: no method ${method}`);
    f.apply(v, calls[k + 1] as unknown[]);
  }
}

/**
 * A replayed instance on the main thread: with a checkpointed class, its last
 * snapshot and the calls since (a checkpoint and its log); otherwise a live
 * copy (`value`) every call is replayed on as it comes.
 */
interface MirroredInstance {
  cls: DurableClass;
  snapshot: unknown;
  /** Turns of calls after the snapshot (each flattened: method, args, ...). */
  calls: unknown[][];
  /** How many calls `calls` holds. */
  count: number;
  value?: object;
}

/**
 * The main thread's copy of one worker actor's durable map. Plain entries
 * are kept as the bytes the worker sent; a replayed instance as its last
 * snapshot and the calls after it (replayed only when the instance is
 * handed to a fresh thread, `export`), or as a live copy for a class
 * without `checkpoint`.
 */
export class DurableMirror {
  private readonly entries = new Map<string, Uint8Array>();
  private readonly instances = new Map<number, MirroredInstance>();
  /** Parts that could not be copied (the worker said so). */
  lossy: string[] = [];

  apply(r: DurableRecord): void {
    switch (r.op) {
      case 'plain':
        this.entries.set(r.key, r.bytes);
        return;
      case 'del':
        this.entries.delete(r.key);
        return;
      case 'init': {
        const cls = durableClass(r.cls);
        this.instances.set(r.id, { cls, snapshot: r.snapshot, calls: [], count: 0, ...(cls.checkpoint ? {} : { value: restoreOf(cls, r.snapshot) }) });
        return;
      }
      case 'calls': {
        const i = this.instances.get(r.id);
        if (!i) throw new Error(`durable: calls on unknown instance ${r.id}`);
        if (i.value) {
          replayCalls(i.value, r.calls);
          i.cls.settle?.(i.value);
          return;
        }
        i.calls.push(r.calls);
        i.count += r.calls.length / 2;
        if (i.count >= MIRROR_MAX_CALLS) this.replay(i);
        return;
      }
      case 'drop':
        this.instances.delete(r.id);
        return;
      case 'lossy':
        this.lossy = r.paths;
        return;
    }
  }

  /** Calls kept after the last snapshot, over all replayed instances (tests, stats). */
  get pendingCalls(): number {
    let n = 0;
    for (const i of this.instances.values()) n += i.count;
    return n;
  }

  /**
   * Replay every kept call (the copy is then the snapshot it led to). A call
   * that throws means the copy can no longer be trusted: it is marked lossy,
   * so that a thread death exits rather than restore it half.
   */
  settle(): void {
    for (const i of this.instances.values()) this.replay(i);
  }

  private replay(i: MirroredInstance): void {
    if (i.count === 0) return;
    try {
      const v = restoreOf(i.cls, i.snapshot);
      for (const turn of i.calls) replayCalls(v, turn);
      i.snapshot = snapshotOf(i.cls, v);
    } catch (e) {
      this.lossy = [`copy broken: replaying ${i.cls.name}: ${(e as Error).message}`];
    }
    i.calls = [];
    i.count = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Everything, for a fresh thread. `moving`: the actor starts from this on a
   * fresh thread, so a live copy restarts from the same snapshot (its calls
   * from now on are those of the restored instance).
   */
  export(moving = false): DurableInit {
    this.settle();
    const instances: DurableInit['instances'] = [];
    for (const [id, i] of this.instances) {
      let snapshot = i.snapshot;
      if (i.value) {
        snapshot = snapshotOf(i.cls, i.value);
        if (moving) i.value = restoreOf(i.cls, snapshot);
      }
      instances.push({ id, cls: i.cls.name, snapshot });
    }
    return { entries: [...this.entries].map(([key, bytes]) => ({ key, bytes })), instances };
  }

  /** The copy of entry `key`, decoded (tests). */
  value(key: string): unknown {
    const bytes = this.entries.get(key);
    if (!bytes) return undefined;
    const probe = new WriteThroughMap(() => undefined, this.export());
    return probe.get(key);
  }
}

// The acceptor's group commit (src/actors/acceptor-disk.ts): nothing that
// depends on a promise or vote leaves before the sync that covers it
// reports success; batches leave in order; a refused write or sync keeps
// everything and writes it again; a real data file gets the states through
// the 'deferred' connection and its WAL sync.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupCommit, type DiskMessage, type Held } from '../../../src/actors/acceptor-disk.js';
import type { ActorContext } from '../../../src/runtime/actor.js';
import type { Message } from '../../../src/runtime/message.js';
import { AcceptorRecords, type AcceptorRecord } from '../../../src/storage/acceptor-records.js';
import { openDataDir } from '../../../src/storage/data-dir.js';
import { sharedDb } from '../../../src/storage/database.js';
import { until } from '../../helpers/until.js';

const state = (seqn: number, vrnd = 1): AcceptorRecord => ({ seqn, rnd: vrnd, vrnd, vval: new Uint8Array([seqn]) });
const held = (tag: number): Held => ({ sends: [], local: [{ cmd: 4, seqn: tag, crnd: 0, vrnd: 1, value: new Uint8Array() }] });
const tags = (out: Held[]): number[] => out.flatMap((h) => h.local.map((m) => m.seqn));

/** Records whose save() and sync() the test controls. */
class FakeRecords {
  saved: AcceptorRecord[][] = [];
  syncs: ((err: Error | null) => void)[] = [];
  failSave: Error | undefined;
  save(records: readonly AcceptorRecord[]): void {
    if (this.failSave) throw this.failSave;
    this.saved.push([...records]);
  }
  sync(done: (err: Error | null) => void): void {
    this.syncs.push(done);
  }
}

function setup(maxInFlight?: number) {
  const out: Held[] = [];
  const timers = new Map<string, Message>();
  const deferred: Message[] = [];
  const ctx = {
    self: 'acceptor',
    setTimer: (key: string, _ms: number, msg: Message) => timers.set(key, msg),
    clearTimer: (key: string) => timers.delete(key),
    defer: (msg: Message) => deferred.push(msg),
    log: { error() {}, warn() {}, info() {}, debug() {} },
  } as unknown as ActorContext;
  const records = new FakeRecords();
  const gc = new GroupCommit(ctx, records as unknown as AcceptorRecords, (h) => out.push(h), maxInFlight);
  /** The end of the actor's turn: what it deferred to itself (a start, a sync's report) arrives, in order. */
  const turn = (): void => {
    while (deferred.length > 0) gc.receive(deferred.shift() as DiskMessage);
  };
  /** Sync number `i` reports (`err`: it failed), and its report arrives. */
  const sync = (i: number, err: Error | null = null): void => {
    records.syncs.at(i)!(err);
    turn();
  };
  return { gc, records, out, timers, turn, sync };
}

describe('acceptor group commit', () => {
  it('holds what depends on a state until its sync succeeds; one batch per turn', async () => {
    const { gc, records, out, turn, sync } = setup();
    gc.add([], held(1)); // depends on nothing, nothing waits: out at once
    expect(tags(out)).toEqual([1]);
    gc.add([state(10)], held(2));
    gc.add([state(11)], held(3));
    gc.add([], held(4)); // after held ones: waits to keep the order
    expect(records.saved).toEqual([]);
    turn();
    expect(records.saved.map((r) => r.map((s) => s.seqn))).toEqual([[10, 11]]);
    expect(records.syncs).toHaveLength(1);
    expect(tags(out)).toEqual([1]);
    sync(0);
    expect(tags(out)).toEqual([1, 2, 3, 4]);
  });

  it('starts a second sync while one is in flight, and releases in batch order', async () => {
    const { gc, records, out, turn, sync } = setup(2);
    gc.add([state(1)], held(1));
    turn();
    gc.add([state(2)], held(2));
    turn();
    gc.add([state(3)], held(3));
    turn();
    expect(records.syncs).toHaveLength(2); // the third waits: at most 2 in flight
    sync(1); // the younger ends first: still held behind the older
    expect(tags(out)).toEqual([]);
    sync(0);
    expect(tags(out)).toEqual([1, 2]);
    turn();
    expect(records.syncs).toHaveLength(3);
    sync(2);
    expect(tags(out)).toEqual([1, 2, 3]);
  });

  it("a vote for a peer's nomination starts its batch in the same turn when no sync is in flight; otherwise it waits for the deferred start", async () => {
    const { gc, records, out, turn, sync } = setup();
    gc.add([state(1)], held(1), false, true);
    expect(records.saved.map((r) => r.map((s) => s.seqn))).toEqual([[1]]);
    expect(records.syncs).toHaveLength(1);
    gc.add([state(2)], held(2), false, true); // a sync in flight: gathered, started by the deferred start
    expect(records.syncs).toHaveLength(1);
    turn();
    expect(records.syncs).toHaveLength(2);
    sync(0);
    sync(1);
    expect(tags(out)).toEqual([1, 2]);
    // Lazy fills gathered meanwhile do not stop it (a lone writer's next write finds them): one batch, at once.
    gc.add([state(3)], held(3), true);
    gc.add([state(4)], held(4), false, true);
    expect(records.saved.map((r) => r.map((s) => s.seqn)).at(-1)).toEqual([3, 4]);
    expect(records.syncs).toHaveLength(3);
  });

  it('lazy votes (no-op fills of the next rotation) start no sync: they ride the next urgent batch, or start one after HOLD_MS', async () => {
    const { gc, records, out, timers, turn, sync } = setup();
    gc.add([state(4)], held(4), true);
    gc.add([state(5)], held(5), true);
    turn();
    expect(records.saved).toEqual([]);
    expect(timers.get('disk-hold')).toEqual({ type: 'disk-hold' });
    // The next write's vote: one batch, one sync, for it and the fills it needs.
    gc.add([state(6)], held(6));
    turn();
    expect(records.saved.map((r) => r.map((s) => s.seqn))).toEqual([[4, 5, 6]]);
    expect(records.syncs).toHaveLength(1);
    expect(timers.has('disk-hold')).toBe(false);
    sync(0);
    expect(tags(out)).toEqual([4, 5, 6]);
    // No write comes: the hold ends and the fills are stored on their own.
    gc.add([state(7)], held(7), true);
    turn();
    expect(records.syncs).toHaveLength(1);
    gc.receive(timers.get('disk-hold') as DiskMessage);
    turn();
    expect(records.saved.map((r) => r.map((s) => s.seqn))).toEqual([[4, 5, 6], [7]]);
    sync(1);
    expect(tags(out)).toEqual([4, 5, 6, 7]);
  });

  it('a lazy batch waiting behind a sync is not started by that sync\'s end; something urgent after it is', async () => {
    const { gc, records, out, turn, sync } = setup();
    gc.add([state(1)], held(1));
    turn();
    gc.add([state(2)], held(2), true);
    sync(0);
    expect(tags(out)).toEqual([1]);
    expect(records.syncs).toHaveLength(1);
    gc.add([], held(3)); // a message that waits behind the lazy vote, to keep the order: it starts the batch
    turn();
    expect(records.syncs).toHaveLength(2);
    sync(1);
    expect(tags(out)).toEqual([1, 2, 3]);
  });

  it('a refused write keeps everything, says so, and writes it again on retry', async () => {
    const { gc, records, out, timers, turn, sync } = setup();
    const failures: (string | undefined)[] = [];
    gc.onFailure = (f) => failures.push(f);
    records.failSave = new Error('SQLITE_FULL: database or disk is full');
    gc.add([state(5)], held(5));
    turn();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/cannot store its votes on disk .*SQLITE_FULL.*free space/);
    expect(timers.has('disk-retry')).toBe(true);
    gc.add([state(6)], held(6));
    turn();
    expect(out).toEqual([]);
    records.failSave = undefined;
    gc.receive({ type: 'disk-commit' });
    expect(records.saved.map((r) => r.map((s) => s.seqn))).toEqual([[5, 6]]);
    sync(0);
    expect(tags(out)).toEqual([5, 6]);
    expect(failures).toEqual([failures[0], undefined]);
  });

  it('a failed sync puts its batch and every later one back, and writes them all again', async () => {
    const { gc, records, out, turn, sync } = setup(2);
    gc.add([state(1)], held(1));
    turn();
    gc.add([state(2)], held(2));
    turn();
    sync(1); // synced, but behind the one that fails
    sync(0, new Error('EIO: i/o error, fdatasync'));
    expect(out).toEqual([]);
    expect(gc.failure).toMatch(/EIO/);
    gc.receive({ type: 'disk-commit' });
    expect(records.saved.at(-1)!.map((s) => s.seqn)).toEqual([1, 2]);
    sync(-1);
    expect(tags(out)).toEqual([1, 2]);
    expect(gc.failure).toBeUndefined();
  });

  it('stores the states in a real data file through the deferred connection and its WAL sync', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doozerd-gc-'));
    const d = openDataDir(dir);
    try {
      const out: Held[] = [];
      let gc: GroupCommit | undefined;
      const defer = (m: Message): void => void setImmediate(() => gc!.receive(m as DiskMessage));
      const ctx = { self: 'acceptor', setTimer() {}, clearTimer() {}, defer, log: { error() {}, warn() {}, info() {}, debug() {} } } as unknown as ActorContext;
      gc = new GroupCommit(ctx, new AcceptorRecords(sharedDb(dir, 'deferred')), (h) => out.push(h));
      gc.add([state(7, 3)], held(7));
      await until('released', () => out.length === 1);
      expect(gc.failure).toBeUndefined();
      expect(new AcceptorRecords(d.db).load()).toEqual([state(7, 3)]);
    } finally {
      d.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

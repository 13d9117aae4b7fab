// The acceptor actor leases round 1 (the leader's fast path) to its node's
// proposer, each seqn once, ever: with -data the lease is stored before it
// leaves, so a node restarted from its data directory grants above every
// lease its predecessor gave (fast-path-restart.test.ts has the divergence
// this prevents). A data directory written before leases were stored gets
// leases a whole lease above its restored store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAcceptor, type AcceptorArgs } from '../../../src/actors/acceptor.js';
import { ACCEPTOR, PROPOSER } from '../../../src/actors/paxos-messages.js';
import { FAST_LEASE_SPAN } from '../../../src/actors/paxos/acceptor-core.js';
import { openDataDir } from '../../../src/storage/data-dir.js';
import { closeSharedDb } from '../../../src/storage/database.js';
import { AcceptorRecords } from '../../../src/storage/acceptor-records.js';
import { startActor, type FakeActor } from '../../helpers/fake-actor.js';

const dirs: string[] = [];
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'doozerd-lease-'));
  dirs.push(d);
  openDataDir(d).close();
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) {
    closeSharedDb(d);
    rmSync(d, { recursive: true, force: true });
  }
});

const args = (dataDir?: string): AcceptorArgs => ({ self: { id: 'A', addr: 'a:1' }, alpha: 50, keep: 200, ...(dataDir ? { dataDir } : {}) });
const cals = [{ slot: '0', rev: 3, id: 'A', addr: 'a:1', ours: true }];

function acceptor(dataDir?: string, rev = 10): FakeActor {
  const a = startActor(ACCEPTOR, createAcceptor, args(dataDir));
  a.receive({ type: 'store-cals', rev, cals } as never);
  a.take(PROPOSER);
  return a;
}

function lease(a: FakeActor, upTo: number): { from: number; to: number } {
  a.receive({ type: 'fast-want', upTo } as never);
  const leases = a.take(PROPOSER).filter((m) => m.type === 'fast-lease');
  expect(leases.length).toBe(1);
  return leases[0] as unknown as { from: number; to: number };
}

describe('acceptor actor: round-1 leases', () => {
  it('grants consecutive leases, each above the last, covering what is asked', () => {
    const a = acceptor();
    const l1 = lease(a, 60);
    expect(l1.from).toBe(0);
    expect(l1.to).toBeGreaterThanOrEqual(60);
    const l2 = lease(a, 60); // a fresh proposer asks for seqns granted before: it gets the ones above
    expect(l2.from).toBe(l1.to);
    expect(l2.to).toBeGreaterThan(l1.to);
  });

  it('with -data, a node restarted from its directory grants above every lease of its predecessor', () => {
    const dir = dataDir();
    const l1 = lease(acceptor(dir), 60);
    const d = openDataDir(dir);
    expect(new AcceptorRecords(d.db).loadFastGrants()).toBe(l1.to);
    d.close();
    closeSharedDb(dir);
    const l2 = lease(acceptor(dir), 60);
    expect(l2.from).toBe(l1.to);
  });

  it('a data directory without a stored lease (older) but with votes: leases start a whole lease above its store and votes', () => {
    const dir = dataDir();
    const d = openDataDir(dir);
    new AcceptorRecords(d.db).save([{ seqn: 70, rnd: 1, vrnd: 1, vval: new Uint8Array([1]) }]);
    d.close();
    const a = startActor(ACCEPTOR, createAcceptor, args(dir));
    // Asked before its store-cals: answered once the store's rev is known.
    a.receive({ type: 'fast-want', upTo: 60 } as never);
    expect(a.take(PROPOSER).filter((m) => m.type === 'fast-lease')).toEqual([]);
    a.receive({ type: 'store-cals', rev: 1000, cals } as never);
    const l = a.take(PROPOSER).filter((m) => m.type === 'fast-lease') as unknown as { from: number; to: number }[];
    expect(l.length).toBe(1);
    expect(l[0]!.from).toBeGreaterThanOrEqual(1000 + FAST_LEASE_SPAN);
  });
});

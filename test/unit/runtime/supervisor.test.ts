// The supervision tree's decisions (src/runtime/supervisor.ts), on a fake
// clock and fake actors: what is stopped, what restarts, in which order, and
// when a supervisor gives up.
import { describe, expect, it } from 'vitest';
import { SupervisionTree, type SupervisionOps, type SupervisorSpec } from '../../../src/runtime/supervisor.js';

interface Rig {
  tree: SupervisionTree;
  /** Everything the tree did, in order: "suspend x", "resume x", "stop x", "fatal ...". */
  ops: string[];
  /** Advance the fake clock, running what is due. */
  advance(ms: number): void;
  /** Each actor's `dependency` at its last resume. */
  deps: Record<string, string | undefined>;
}

function rig(root: SupervisorSpec = { name: 'top', strategy: 'one_for_one', intensity: 1, periodMs: 1000 }): Rig {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  const ops: string[] = [];
  const deps: Record<string, string | undefined> = {};
  const impl: SupervisionOps = {
    suspend: (a) => ops.push(`suspend ${a}`),
    resume: (a, _why, dep) => {
      ops.push(`resume ${a}`);
      deps[a] = dep;
    },
    stop: (a) => {
      ops.push(`stop ${a}`);
      tree.remove(a);
    },
    fatal: (r) => ops.push(`fatal ${r}`),
    now: () => now,
    later: (fn, ms) => timers.push({ at: now + ms, fn }),
  };
  const tree = new SupervisionTree(root, impl, { maxRestarts: 5, windowMs: 10_000, baseBackoffMs: 10, maxBackoffMs: 40 });
  return {
    tree,
    ops,
    deps,
    advance(ms) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
  };
}

/** top ── group (rest_for_one, 3 in 1000 ms): a, b, c, d; and sessions (one_for_one): s1 (temporary). */
function nodeLike(): Rig {
  const r = rig();
  r.tree.addSupervisor({ name: 'group', strategy: 'rest_for_one', intensity: 3, periodMs: 1000 });
  for (const a of ['a', 'b', 'c', 'd']) r.tree.addActor(a, 'group', false);
  r.tree.addSupervisor({ name: 'sessions', strategy: 'one_for_one' });
  r.tree.addActor('s1', 'sessions', true);
  return r;
}

describe('SupervisionTree', () => {
  it('one_for_one restarts the failed child alone, after the backoff', () => {
    const r = rig({ name: 'top', strategy: 'one_for_one', intensity: 3, periodMs: 1000 });
    for (const a of ['a', 'b', 'c']) r.tree.addActor(a, undefined, false);
    r.tree.crashed('b', 'boom');
    expect(r.ops).toEqual([]);
    r.advance(9);
    expect(r.ops).toEqual([]);
    r.advance(1);
    expect(r.ops).toEqual(['resume b']);
  });

  it('rest_for_one stops the children after the failed one, last first, then starts them all in order', () => {
    const r = nodeLike();
    r.tree.crashed('b', 'boom');
    expect(r.ops).toEqual(['suspend d', 'suspend c']);
    r.advance(10);
    expect(r.ops).toEqual(['suspend d', 'suspend c', 'resume b', 'resume c', 'resume d']);
    // The last child restarts alone; the first restarts everything.
    r.ops.length = 0;
    r.tree.crashed('d', 'boom');
    r.advance(100);
    expect(r.ops).toEqual(['resume d']);
    r.ops.length = 0;
    r.tree.crashed('a', 'boom');
    r.advance(100);
    expect(r.ops).toEqual(['suspend d', 'suspend c', 'suspend b', 'resume a', 'resume b', 'resume c', 'resume d']);
  });

  it('counts restarts per supervisor within its period, whichever child fails, with a growing backoff', () => {
    const r = nodeLike();
    r.tree.crashed('d', 'x');
    r.advance(10); // backoff 10
    r.tree.crashed('c', 'x');
    r.advance(19);
    expect(r.ops.filter((o) => o.startsWith('resume'))).toEqual(['resume d']);
    r.advance(1); // backoff 20
    r.tree.crashed('d', 'x');
    r.advance(40); // backoff 40 (capped)
    expect(r.tree.info().find((s) => s.name === 'group')).toMatchObject({ restarts: 3, recent: 3, intensity: 3, periodMs: 1000 });
    // After the period the window is empty again: a fourth failure restarts.
    r.advance(1000);
    expect(r.tree.info().find((s) => s.name === 'group')!.recent).toBe(0);
    r.ops.length = 0;
    r.tree.crashed('d', 'x');
    r.advance(10);
    expect(r.ops).toEqual(['resume d']);
  });

  it('past its intensity a supervisor fails: its parent restarts it whole; past the parent\'s, the top gives up to the node', () => {
    const r = nodeLike();
    for (let i = 0; i < 3; i++) {
      r.tree.crashed('d', 'boom');
      r.advance(100);
    }
    r.ops.length = 0;
    // The 4th failure within the period: group fails, top (one_for_one) restarts all of group, in order.
    r.tree.crashed('d', 'boom');
    expect(r.ops).toEqual(['suspend d', 'suspend c', 'suspend b', 'suspend a']);
    r.advance(10);
    expect(r.ops.slice(4)).toEqual(['resume a', 'resume b', 'resume c', 'resume d']);
    // Restarted fresh: group has its whole intensity again, the temporary session was left alone.
    expect(r.tree.info().find((s) => s.name === 'group')!.recent).toBe(0);
    expect(r.tree.supervisorOf('s1')).toBe('sessions');
    for (let i = 0; i < 3; i++) {
      r.tree.crashed('a', 'boom');
      r.advance(100);
    }
    r.ops.length = 0;
    // group fails again: top has used its one restart in the period, so it gives up.
    r.tree.crashed('b', 'boom');
    expect(r.ops.at(-1)).toBe(
      'fatal supervisor top gives up (2 failures within 1000 ms (limit 1 restarts); last: supervisor group failed)',
    );
  });

  it('restarting a supervisor stops its temporary children for good', () => {
    const r = rig({ name: 'top', strategy: 'rest_for_one', intensity: 5, periodMs: 1000 });
    r.tree.addActor('store', undefined, false);
    r.tree.addSupervisor({ name: 'sessions', strategy: 'one_for_one' });
    r.tree.addActor('s1', 'sessions', true);
    r.tree.addActor('s2', 'sessions', true);
    r.tree.crashed('store', 'boom');
    r.advance(10);
    expect(r.ops).toEqual(['stop s2', 'stop s1', 'resume store']);
    expect(r.tree.info().find((s) => s.name === 'sessions')!.children).toEqual([]);
  });

  it('an actor brought back without part of its state restarts what depends on it, at once, outside the intensity', () => {
    const r = nodeLike();
    r.tree.restartedElsewhere('b', 'on a fresh thread without part of its state');
    expect(r.ops).toEqual(['suspend d', 'suspend c', 'resume c', 'resume d']);
    expect(r.deps).toEqual({ c: 'b', d: 'b' });
    expect(r.tree.info().find((s) => s.name === 'group')!.recent).toBe(0);
  });

  it('tells each restarted dependent which restart caused its own', () => {
    const r = nodeLike();
    r.tree.crashed('b', 'boom');
    r.advance(10);
    expect(r.deps).toEqual({ b: undefined, c: 'b', d: 'b' });
    // A restarted rest_for_one supervisor: each child depends on the ones before it
    // (b's restart counts: the third failure of d is the group's fourth).
    for (let i = 0; i < 3; i++) {
      r.tree.crashed('d', 'boom');
      r.advance(100);
    }
    expect(r.deps).toEqual({ a: undefined, b: 'a', c: 'b', d: 'c' });
  });

  it('says who supervises whom', () => {
    const r = nodeLike();
    expect(r.tree.supervisorOf('c')).toBe('group');
    expect(r.tree.info()).toEqual([
      { name: 'top', strategy: 'one_for_one', intensity: 1, periodMs: 1000, children: ['supervisor:group', 'supervisor:sessions'], restarts: 0, recent: 0 },
      { name: 'group', strategy: 'rest_for_one', intensity: 3, periodMs: 1000, parent: 'top', children: ['a', 'b', 'c', 'd'], restarts: 0, recent: 0 },
      { name: 'sessions', strategy: 'one_for_one', intensity: 5, periodMs: 10_000, parent: 'top', children: ['s1'], restarts: 0, recent: 0 },
    ]);
    r.tree.remove('s1');
    expect(r.tree.supervisorOf('s1')).toBeUndefined();
    expect(() => r.tree.addActor('x', 'nope', false)).toThrow(/no supervisor nope/);
    expect(() => r.tree.addSupervisor({ name: 'group', strategy: 'one_for_one' })).toThrow(/already exists/);
  });
});

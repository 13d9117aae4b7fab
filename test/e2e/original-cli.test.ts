// The original `doozer` CLI (../shared/ref/bin, a black box) drives our
// nodes with every command of spec/cluster.md, and gets what it gets from an
// original node (issue 8): same output, same exit status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startDoozerd, startProcess, stopAll, waitForOutput, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { refBin, runOriginalDoozer, skipWithoutRef, startOriginalDoozerd } from '../helpers/ref-bin.js';
import { DEADLINE } from '../helpers/deadlines.js';

const SKIP = skipWithoutRef();

describe.skipIf(SKIP)('the original doozer CLI against our node and an original one', () => {
  let ours: DoozerdProcess;
  let orig: DoozerdProcess;
  beforeAll(async () => {
    [ours, orig] = await Promise.all([startDoozerd(), startOriginalDoozerd()]);
  });
  afterAll(() => stopAll());

  /** Runs the same command against both servers. */
  async function both(args: string[], input = ''): Promise<{ ours: Awaited<ReturnType<typeof runOriginalDoozer>>; orig: Awaited<ReturnType<typeof runOriginalDoozer>> }> {
    const [a, b] = await Promise.all([
      runOriginalDoozer(['-a', ours.uri, ...args], { input }),
      runOriginalDoozer(['-a', orig.uri, ...args], { input }),
    ]);
    return { ours: a, orig: b };
  }

  it('set, add, get, stat, touch, del, find: same outputs and exit codes (revs differ by the seed history)', async () => {
    const set = await both(['set', '/cli/a', '0'], 'hello');
    expect(set.ours.code, set.ours.stderr).toBe(0);
    expect(set.ours.stdout).toMatch(/^\d+\n$/);

    const add = await both(['add', '/cli/b'], 'added');
    expect(add.ours.code, add.ours.stderr).toBe(0);
    const again = await both(['add', '/cli/b'], 'twice');
    expect(again.ours.code).toBe(again.orig.code);
    expect(again.ours.stderr).toBe(again.orig.stderr);

    const get = await both(['get', '/cli/a']);
    expect(get.ours).toMatchObject({ code: 0, stdout: 'hello' });
    expect(get.ours.stdout).toBe(get.orig.stdout);

    const stat = await both(['stat', '/cli/a']);
    expect(stat.ours.code).toBe(0);
    expect(stat.ours.stdout).toMatch(/^\d+ 5\n$/);
    const statDir = await both(['stat', '/cli']);
    expect(statDir.ours.stdout).toBe(statDir.orig.stdout);

    const touch = await both(['touch', '/cli/a']);
    expect(touch.ours.code, touch.ours.stderr).toBe(touch.orig.code);
    expect((await both(['get', '/cli/a'])).ours.stdout).toBe('hello');

    const mismatch = await both(['set', '/cli/a', '1'], 'stale');
    expect(mismatch.ours.code).toBe(mismatch.orig.code);
    expect(mismatch.ours.stderr).toBe(mismatch.orig.stderr);

    const find = await both(['find', '/cli']);
    expect(find.ours).toMatchObject({ code: 0 });
    expect(find.ours.stdout).toBe(find.orig.stdout);

    const del = await both(['del', '/cli/b', '-1']);
    expect(del.ours.code, del.ours.stderr).toBe(0);
    expect((await both(['find', '/cli'])).ours.stdout).toBe('/cli\n/cli/a\n');
  });

  it('rev, nop and self', async () => {
    const rev = await both(['rev']);
    expect(rev.ours.stdout).toMatch(/^\d+\n$/);
    const nop = await both(['nop']);
    expect(nop.ours.code, nop.ours.stderr).toBe(0);
    const after = await both(['rev']);
    expect(Number(after.ours.stdout)).toBeGreaterThan(Number(rev.ours.stdout));
    const self = await both(['self']);
    expect(self.ours.code).toBe(0);
    expect(self.ours.stdout).toMatch(/^[A-Z2-7]{16}$/);
  });

  it('wait and watch report a change made by another client', async () => {
    const rev = Number((await runOriginalDoozer(['-a', ours.uri, 'rev'])).stdout);
    // -r: both wait for the change at or after that rev, so the write can come first.
    const w = await runOriginalDoozer(['-a', ours.uri, 'set', '/cli/w', '0'], { input: 'waited' });
    expect(w.code, w.stderr).toBe(0);
    const wait = await runOriginalDoozer(['-a', ours.uri, '-r', String(rev + 1), 'wait', '/cli/w']);
    expect(wait.code, wait.stderr).toBe(0);
    expect(wait.stdout).toBe(`/cli/w ${w.stdout.trim()} set 6\nwaited\n`);

    const bin = join(refBin()!, 'doozer');
    const watch = await startProcess(bin, ['-a', ours.uri, '-r', String(rev + 1), 'watch', '/cli/**'], { name: 'original doozer watch' });
    try {
      const text = await waitForOutput(watch, (out) => out.includes('waited'), DEADLINE.converge);
      expect(text).toContain(`/cli/w ${w.stdout.trim()} set 6\nwaited\n`);
    } finally {
      await watch.stop('SIGKILL');
    }
  });

  it('a write to a slave of ours fails with the original\'s READONLY error', async () => {
    const slave = await startDoozerd({ args: ['-a', ours.addr] });
    const r = await runOriginalDoozer(['-a', slave.uri, 'set', '/cli/on-slave', '0'], { input: 'x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('READONLY');
    await slave.stop('SIGKILL');
  });
});

// Backup, restore and recovery on real processes: `doozer dump` and
// `doozerd -restore` round-trip every file outside /ctl with its rev; and
// `doozerd -data DIR -force-new-cluster` brings back a cluster that lost its
// quorum for good, from one surviving node's data.
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDoozer, startDoozerd, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { calIds, sameStore, waitForCals, withClient, type ClusterNode } from '../helpers/cluster.js';
import { until } from '../helpers/until.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';
import { dataDir, missingWrites, startDurableCluster, startWriteLoad, stopAllAndRemoveDataDirs } from '../helpers/durable.js';

async function dumpOf(p: DoozerdProcess): Promise<string> {
  const r = await runDoozer(['-a', p.uri, 'dump']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** The file lines of a dump outside /ctl. */
const outsideCtl = (dump: string): string[] =>
  dump.split('\n').filter((l) => l.startsWith('{"path"') && !l.startsWith('{"path":"/ctl/') && !l.startsWith('{"path":"/after-restart"'));

const writable = (p: DoozerdProcess): Promise<number> =>
  until(`${p.addr} writable`, () => withClient(p, (c) => c.set('/after-restart', -1, 'x')).catch(() => undefined), DEADLINE.converge);

describe('durability: backup, restore, recovery', () => {
  afterEach(stopAllAndRemoveDataDirs);

  it('dump, restore, dump again: the same files with the same revs outside /ctl', async () => {
    const src = await startDoozerd();
    await withClient(src, async (c) => {
      await c.set('/a', 0, 'one');
      await c.set('/bin/x', 0, Buffer.from([0, 1, 255, 10, 13]));
      await c.set('/a', -1, 'two');
      await c.set('/gone', 0, 'x');
      await c.del('/gone', -1);
      for (let i = 0; i < 20; i++) await c.set(`/many/${i}`, 0, `v${i}`);
      await c.set('/empty', 0, '');
    });
    const first = await dumpOf(src);
    expect(JSON.parse(first.split('\n')[0]!)).toMatchObject({ format: 'doozer-dump', version: 1 });
    expect(outsideCtl(first)).toHaveLength(23);
    const file = join(dataDir(), 'backup.jsonl');
    writeFileSync(file, first);

    const dir = dataDir();
    const restored = await startDoozerd({ args: ['-restore', file, '-data', dir] });
    await writable(restored);
    const second = await dumpOf(restored);
    expect(outsideCtl(second)).toEqual(outsideCtl(first));
    expect(JSON.parse(second.split('\n')[0]!).rev).toBeGreaterThan(JSON.parse(first.split('\n')[0]!).rev);

    // Kept in -data: after kill -9 the restored node still has it all.
    await restored.stop('SIGKILL');
    const again = await startDoozerd({ port: restored.port, args: ['-data', dir] });
    expect(outsideCtl(await dumpOf(again))).toEqual(outsideCtl(first));

    // A cut or foreign file is refused, naming it.
    const cut = join(dataDir(), 'cut.jsonl');
    writeFileSync(cut, first.split('\n').slice(0, 5).join('\n') + '\n');
    const bad = await startDoozerd({ args: ['-restore', cut], waitReady: false });
    expect((await bad.exited).code).toBe(1);
    expect(bad.stderr()).toMatch(/cut\.jsonl:\d+: the dump is cut short/);
  }, TEST_TIMEOUT.cluster);

  it('-force-new-cluster: a survivor of a cluster that lost its quorum starts a new one with all its data and revs; others attach', async () => {
    const { dirs, procs, nodes } = await startDurableCluster();
    const seed = procs[0]!;
    const load = startWriteLoad(procs, 3, 'q');
    await until('60 acked writes', () => load.acked.size >= 60, DEADLINE.converge);
    await load.stop();

    // Two CALs are lost for good; the survivor alone is no quorum.
    await Promise.all([procs[1]!.stop('SIGKILL'), procs[2]!.stop('SIGKILL')]);
    await procs[0]!.stop('SIGKILL');
    const survivor = await startDoozerd({ port: seed.port, args: ['-data', dirs[0]!, '-force-new-cluster'], readyTimeoutMs: DEADLINE.start });
    await writable(survivor).catch((e: Error) => {
      throw new Error(`${e.message}\n${survivor.describe()}`);
    });
    expect(await calIds(survivor)).toEqual([nodes[0]!.id]);
    expect(await missingWrites(survivor, load.acked)).toEqual([]);

    // Another node attaches to it (with a new -data) and takes one of the CAL slots the others left empty.
    const joiner = await startDoozerd({ args: ['-data', dataDir(), '-a', survivor.addr] });
    const cluster: ClusterNode[] = [
      { proc: survivor, id: nodes[0]!.id },
      { proc: joiner, id: await withClient(joiner, (c) => c.self()) },
    ];
    await waitForCals(cluster, 2, DEADLINE.converge);
    const rev = await withClient(joiner, (c) => c.set('/after', -1, 'x'));
    await sameStore(cluster, rev);
    expect(await missingWrites(joiner, load.acked)).toEqual([]);
  }, TEST_TIMEOUT.cluster);
});

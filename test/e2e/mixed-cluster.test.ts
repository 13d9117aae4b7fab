// Mixed clusters: the original Go doozerd (../shared/ref/bin, a black box)
// and ours in one cluster, both ways round (issue 8). Every node takes
// writes or answers READONLY as its role says, every node's store agrees,
// and a CAL of either kind killed with -9 is removed after -timeout and a
// slave of the other kind takes its slot.
import { afterEach, describe, expect, it } from 'vitest';
import { startDoozerd, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { skipWithoutRef, startOriginalDoozerd } from '../helpers/ref-bin.js';
import { addSlots, calIds, sameStore, withClient, type ClusterNode } from '../helpers/cluster.js';
import { AckedWrites } from '../helpers/acked-writes.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';
import { until } from '../helpers/until.js';

const SKIP = skipWithoutRef();
/** Seconds of silence before a CAL is removed: short, yet well above a loaded machine's hiccups. */
const TIMEOUT = ['-timeout', '4'];

type Kind = 'ours' | 'original';
interface Node extends ClusterNode {
  kind: Kind;
}

async function start(kind: Kind, attachTo?: DoozerdProcess): Promise<Node> {
  const args = [...TIMEOUT, ...(attachTo ? ['-a', attachTo.addr] : [])];
  const proc = kind === 'ours' ? await startDoozerd({ args }) : await startOriginalDoozerd({ args });
  const id = await until(`${kind} node ${proc.addr} answers SELF`, () => withClient(proc, (c) => c.self()).catch(() => undefined), DEADLINE.converge, 100);
  return { proc, id, kind };
}

/** Add slot n, then wait until `node` (the only slave) holds it and accepts writes. */
async function promote(seed: Node, node: Node, slot: number): Promise<void> {
  await addSlots(seed.proc, [slot]);
  await until(`${node.kind} node ${node.proc.addr} holds /ctl/cal/${slot} and accepts writes`, async () => {
    if (!(await calIds(seed.proc)).includes(node.id)) return undefined;
    return withClient(node.proc, (c) => c.set(`/probe/${node.id}`, -1, 'w').then(() => true, () => undefined));
  }, DEADLINE.converge * 2, 200);
}

/**
 * One write through every CAL, read back on every node at its rev; then the
 * same store everywhere. An original node that attached copies the cluster
 * with the original's own follower, which turns a deleted file into an empty
 * one and a no-op into "/ctl/err = is a directory" (it does so behind an
 * original CAL too; see the README's mixed clusters): such nodes are held to
 * the files this test writes, every other node to the whole store.
 */
/** A seed of kind `seedKind`, then two nodes of kind `calKind` attached to it, promoted to slots 1 and 2 in turn. */
async function threeCals(seedKind: Kind, calKind: Kind): Promise<[Node, Node, Node]> {
  const seed = await start(seedKind);
  const cal1 = await start(calKind, seed.proc);
  await promote(seed, cal1, 1);
  const cal2 = await start(calKind, seed.proc);
  await promote(seed, cal2, 2);
  return [seed, cal1, cal2];
}

async function writeEverywhere(cals: Node[], all: Node[], tag: string, acked: AckedWrites): Promise<number> {
  let last = 0;
  for (const n of cals) {
    const path = `/mixed/${tag}/${n.kind}-${n.id}`;
    const rev = await withClient(n.proc, (c) => c.set(path, 0, `via ${n.kind}`));
    acked.record(path, `via ${n.kind}`, rev);
    for (const m of all) {
      const got = await withClient(m.proc, (c) => c.get(path, rev));
      expect(got.value.toString(), `${path} on ${m.kind} ${m.proc.addr}`).toBe(`via ${n.kind}`);
      expect(got.rev).toBe(rev);
    }
    last = Math.max(last, rev);
  }
  const copiedByOriginal = (n: Node): boolean => n.kind === 'original' && n !== all[0];
  const exact = all.filter((n) => !copiedByOriginal(n));
  if (exact.length > 1) await sameStore(exact, last);
  await sameStore(all, last, DEADLINE.converge, (path) => !path.startsWith('/mixed/'));
  return last;
}

async function slavesRefuse(slaves: Node[]): Promise<void> {
  for (const s of slaves) {
    const err = await withClient(s.proc, (c) => c.set('/mixed/refused', -1, 'x').then(() => undefined, (e: { code?: string }) => e.code));
    expect(err, `${s.kind} slave ${s.proc.addr}`).toBe('READONLY');
  }
}

/** Kill -9 `victim` (a CAL); the others remove it after -timeout and `heir` (a slave) takes its slot. */
async function killAndReplace(victim: Node, heir: Node, survivors: Node[]): Promise<void> {
  await victim.proc.stop('SIGKILL');
  const watcher = survivors[0]!;
  await until(`${victim.kind} CAL ${victim.id} removed and ${heir.kind} slave ${heir.id} in its slot`, async () => {
    const ids = await calIds(watcher.proc);
    return !ids.includes(victim.id) && ids.includes(heir.id);
  }, DEADLINE.removalOriginal, 250);
  await until(`${heir.kind} heir accepts writes`, () =>
    withClient(heir.proc, (c) => c.set(`/probe/${heir.id}`, -1, 'heir').then(() => true, () => undefined)), DEADLINE.converge * 2, 200);
}

/**
 * Every write acknowledged before and after the kill, on every live node: at
 * its rev on ours, as the latest write of its file on the originals (whose
 * history past a copied snapshot this test does not rely on).
 */
async function verifyAcked(acked: AckedWrites, live: Node[]): Promise<void> {
  await acked.verify(live.filter((n) => n.kind === 'ours'));
  const originals = live.filter((n) => n.kind === 'original');
  if (originals.length > 0) await acked.verify(originals, { history: false });
}

describe.skipIf(SKIP)('mixed clusters with the original doozerd', () => {
  afterEach(() => stopAll());

  it('original seed + our nodes: ours win slots, become writable, agree; a dead CAL of ours is replaced by an original slave', async () => {
    const [seed, ours1, ours2] = await threeCals('original', 'ours');
    const origSlave = await start('original', seed.proc);
    const all = [seed, ours1, ours2, origSlave];
    const acked = new AckedWrites();
    await writeEverywhere([seed, ours1, ours2], all, 'a', acked);
    await slavesRefuse([origSlave]);

    await killAndReplace(ours2, origSlave, [seed, ours1]);
    await writeEverywhere([seed, ours1, origSlave], [seed, ours1, origSlave], 'a-after', acked);
    await verifyAcked(acked, [seed, ours1, origSlave]);
  }, TEST_TIMEOUT.mixedCluster);

  // An original node attaching reads REV right after its last registration
  // write and hangs for good when no-ops were decided in between; our CALs
  // fill ahead at once after every write unless an original is around
  // (ProposerCore.setNextRotation). Three attaches, each behind the write of
  // the one before, through a cluster of three CALs of ours.
  it('original nodes attach to a cluster of our CALs and serve (no hang on no-ops decided right after their registration)', async () => {
    const [seed, cal1] = await threeCals('ours', 'ours');
    for (let i = 0; i < 3; i++) {
      const original = await start('original', seed.proc); // answers SELF within DEADLINE.converge, or fails naming it
      const path = `/mixed/attach/${i}`;
      const rev = await withClient(cal1.proc, (c) => c.set(path, 0, `attach ${i}`));
      const got = await until(`original slave ${original.proc.addr} reads ${path} at rev ${rev}`, () => withClient(original.proc, (c) => c.get(path, rev)));
      expect(got.value.toString()).toBe(`attach ${i}`);
    }
  }, TEST_TIMEOUT.mixedCluster);

  it('our seed + original nodes: originals attach, win slots, agree; a dead original CAL is replaced by our slave', async () => {
    const [seed, orig1, orig2] = await threeCals('ours', 'original');
    const oursSlave = await start('ours', seed.proc);
    const all = [seed, orig1, orig2, oursSlave];
    const acked = new AckedWrites();
    await writeEverywhere([seed, orig1, orig2], all, 'b', acked);
    await slavesRefuse([oursSlave]);

    await killAndReplace(orig2, oursSlave, [seed, orig1]);
    await writeEverywhere([seed, orig1, oursSlave], [seed, orig1, oursSlave], 'b-after', acked);
    await verifyAcked(acked, [seed, orig1, oursSlave]);
    expect(seed.proc.exitStatus(), seed.proc.describe()).toBeUndefined();
  }, TEST_TIMEOUT.mixedCluster);
});

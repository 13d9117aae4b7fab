// Real multi-process clusters for e2e tests, built the way the seed document
// does it: start one node, attach the others with -a, add CAL slots with the
// doozer CLI, wait until the slaves have locked them and are writable.
import { Client } from '../../src/client/client.js';
import { runDoozer, startDoozerd, type DoozerdProcess } from './doozerd-process.js';
import { DEADLINE } from './deadlines.js';
import { until } from './until.js';

export interface ClusterNode {
  proc: DoozerdProcess;
  id: string;
}

/** Start a seed node and `slaves` attached nodes. */
export async function startNodes(slaves: number, extraArgs: string[] = []): Promise<ClusterNode[]> {
  const seed = await startDoozerd({ args: extraArgs });
  const procs = [seed, ...(await Promise.all(Array.from({ length: slaves }, () => startDoozerd({ args: ['-a', seed.addr, ...extraArgs] }))))];
  return Promise.all(procs.map(async (proc) => ({ proc, id: await withClient(proc, (c) => c.self()) })));
}

export async function withClient<T>(p: DoozerdProcess, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await Client.dial(p.addr);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

/** The ids in /ctl/cal/* (non-empty) as seen by node `p`. */
export async function calIds(p: DoozerdProcess): Promise<string[]> {
  return withClient(p, async (c) => (await c.walkAll('/ctl/cal/*')).map((e) => e.value.toString()).filter(Boolean));
}

/** Add CAL slots the seed's way (`printf '' | doozer -a URI set /ctl/cal/N 0`). */
export async function addSlots(via: DoozerdProcess, slots: number[]): Promise<void> {
  for (const n of slots) {
    const r = await runDoozer(['-a', `doozer:?ca=${via.addr}`, 'set', `/ctl/cal/${n}`, '0'], { input: '' });
    if (r.code !== 0) throw new Error(`doozer set /ctl/cal/${n} failed (${r.code}): ${r.stderr}`);
  }
}

/** Wait until every node listed in /ctl/cal/* accepts writes, and there are `count` of them. */
export async function waitForCals(nodes: ClusterNode[], count: number, timeoutMs: number = DEADLINE.converge): Promise<ClusterNode[]> {
  return until(`${count} writable CALs`, async () => {
    const ids = await calIds(nodes[0]!.proc);
    if (ids.length !== count) return undefined;
    const cals = nodes.filter((n) => ids.includes(n.id));
    if (cals.length !== count) return undefined;
    for (const n of cals) {
      const ok = await withClient(n.proc, (c) => c.set('/probe/writable', -1, n.id).then(() => true, () => false));
      if (!ok) return undefined;
    }
    return cals;
  }, timeoutMs, 100);
}

/**
 * A cluster built the seed's way: `nodes` nodes in all (startNodes: a seed
 * and the others attached to it, each with `args`), CAL slots 1 .. cals-1
 * added through the seed, and waited for until `cals` CALs accept writes
 * (waitForCals, within `timeoutMs`). Returns every node, the seed first, and
 * the CALs.
 */
export async function startCluster(opts: { nodes: number; cals: number; args?: string[]; timeoutMs?: number }): Promise<{ nodes: ClusterNode[]; cals: ClusterNode[] }> {
  const nodes = await startNodes(opts.nodes - 1, opts.args);
  await addSlots(nodes[0]!.proc, Array.from({ length: opts.cals - 1 }, (_, i) => i + 1));
  const cals = await waitForCals(nodes, opts.cals, opts.timeoutMs);
  return { nodes, cals };
}

/** A SET with clobber through node `n`; its rev. */
export async function writeVia(n: ClusterNode, path: string, body: string | Uint8Array): Promise<number> {
  return withClient(n.proc, (c) => c.set(path, -1, body));
}

/**
 * Every node's whole store, once all have reached at least `atLeast` and agree
 * at the lowest rev any of them has (pulses keep revs moving: retry until they
 * agree). Returns that rev and the store dump.
 */
export async function sameStore(
  nodes: ClusterNode[],
  atLeast: number,
  timeoutMs: number = DEADLINE.converge,
  ignore: (path: string) => boolean = () => false,
): Promise<{ rev: number; dump: string }> {
  // What the last try saw, for the failure message.
  let seen = 'no answer yet';
  return until(() => `the same store on every node (last try: ${seen})`, async () => {
    const revs = await Promise.all(nodes.map((n) => withClient(n.proc, (c) => c.rev())));
    const rev = Math.min(...revs);
    seen = `revs ${revs.join(', ')}`;
    if (rev < atLeast) return undefined;
    const dumps = await Promise.all(
      nodes.map((n) => withClient(n.proc, async (c) => {
        await c.get('/ctl/name', rev); // waits until this node has applied rev
        return (await c.walkAll('/**', rev)).filter((e) => !ignore(e.path)).map((e) => `${e.path}@${e.rev}=${e.value.toString('hex')}`).join('\n');
      })),
    );
    if (dumps.every((d) => d === dumps[0])) return { rev, dump: dumps[0]! };
    const first = new Set(dumps[0]!.split('\n'));
    seen = nodes.slice(1).map((n, i) => {
      const mine = new Set(dumps[i + 1]!.split('\n'));
      const diff = [...first].filter((l) => !mine.has(l)).map((l) => `-${l}`).concat([...mine].filter((l) => !first.has(l)).map((l) => `+${l}`));
      return diff.length ? `${n.proc.addr} vs ${nodes[0]!.proc.addr} at rev ${rev}: ${diff.slice(0, 6).join(' ')}` : '';
    }).filter(Boolean).join('; ');
    return undefined;
  }, timeoutMs, 100);
}

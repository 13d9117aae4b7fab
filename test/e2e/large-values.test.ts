// Values up to 1 MiB in clusters of our nodes (issue 13, docs/protocol.md
// "Large values"), on real processes: written through every CAL of a 3-CAL
// cluster, read back byte for byte on every node (CALs, a slave, a slave
// attached later, WAIT events), through a kill -9 of a CAL; a 3-CAL cluster
// with -data killed with -9 at once comes back with them; a cluster with an
// original doozerd CAL refuses them, naming the limit.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import { DoozerError } from '../../src/wire/errors.js';
import { MAX_BIG_VALUE_BYTES, MAX_MUTATION_BYTES } from '../../src/wire/limits.js';
import { startDoozerd, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { addSlots, calIds, sameStore, startCluster, waitForCals, withClient, type ClusterNode } from '../helpers/cluster.js';
import { skipWithoutRef, startOriginalDoozerd } from '../helpers/ref-bin.js';
import { startDurableCluster, stopAllAndRemoveDataDirs } from '../helpers/durable.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';
import { until } from '../helpers/until.js';
import { makeSelfSignedCert } from '../helpers/tls-cert.js';

const MiB = 1024 * 1024;

/** A body of `n` bytes that differs for every `seed` (so a mix-up between writes shows). */
function body(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, Math.min(i, n - 4));
  }
  return b;
}
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex').slice(0, 16);

interface Written {
  path: string;
  rev: number;
  digest: string;
  len: number;
}

async function writeBig(n: DoozerdProcess, path: string, value: Buffer): Promise<Written> {
  const rev = await withClient(n, (c) => c.set(path, -1, value));
  return { path, rev, digest: sha(value), len: value.length };
}

/**
 * Every write read back on `node` at its rev, and (the latest of each path,
 * unless `latest` is false) now, byte for byte. `history`: true (default)
 * every write must be in the node's history; false none is read at its rev
 * (a slave that attached later copied a store past them); 'kept' each one the
 * node still has is compared and one it does not (TOO_LATE: its store was
 * copied or restored past that rev) is skipped. Returns the writes compared
 * at their rev.
 */
async function readBack(node: DoozerdProcess, writes: Written[], opts: { history?: boolean | 'kept'; latest?: boolean } = {}): Promise<Set<Written>> {
  const c = await Client.dial(node.addr);
  const tooLate = (e: unknown): boolean => e instanceof DoozerError && e.code === 'TOO_LATE';
  const compared = new Set<Written>();
  try {
    const maxRev = Math.max(...writes.map((w) => w.rev));
    // Waits until the node has applied it (a slave that attached later copied a store past it: TOO_LATE).
    await c.get('/ctl/name', maxRev).catch((e: unknown) => {
      if (!(tooLate(e) && opts.history !== true && opts.history !== undefined)) throw e;
    });
    const latest = new Map<string, Written>();
    for (const w of writes) if ((latest.get(w.path)?.rev ?? 0) < w.rev) latest.set(w.path, w);
    for (const w of writes) {
      if (opts.history === false) continue;
      let g: { rev: number; value: Buffer };
      try {
        g = await c.get(w.path, w.rev);
      } catch (e) {
        if (opts.history === 'kept' && tooLate(e)) continue;
        throw e;
      }
      expect({ node: node.addr, path: w.path, rev: g.rev, len: g.value.length, digest: sha(g.value) }).toEqual({ node: node.addr, path: w.path, rev: w.rev, len: w.len, digest: w.digest });
      compared.add(w);
    }
    for (const w of opts.latest === false ? [] : latest.values()) {
      const g = await c.get(w.path);
      expect({ node: node.addr, path: w.path, rev: g.rev, digest: sha(g.value) }).toEqual({ node: node.addr, path: w.path, rev: w.rev, digest: w.digest });
    }
  } catch (e) {
    throw new Error(`${(e as Error).message}\non ${node.describe()}\n${node.stderr().slice(-3000)}`);
  } finally {
    await c.close();
  }
  return compared;
}

describe('large values (up to 1 MiB) in a cluster of our nodes', () => {
  afterEach(stopAllAndRemoveDataDirs);

  it('1 MiB values written through every CAL read back identical on every node, through a kill -9 of a CAL', async () => {
    const { nodes, cals } = await startCluster({ nodes: 4, cals: 3, args: ['-timeout', '3'] });
    const slave = nodes.find((n) => !cals.includes(n))!;
    const writes: Written[] = [];
    // Through every CAL: 1 MiB exactly, and sizes around the datagram limit and in between.
    const sizes = [MiB, MAX_MUTATION_BYTES, 64 * 1024, MAX_BIG_VALUE_BYTES - 1];
    for (let i = 0; i < cals.length * 2; i++) {
      writes.push(await writeBig(cals[i % 3]!.proc, `/big/${i}`, body(sizes[i % sizes.length]!, i)));
    }
    // A small write between them takes the path it always took.
    writes.push(await writeBig(cals[0]!.proc, '/small', Buffer.from('small')));
    for (const n of nodes) await readBack(n.proc, writes);

    // A WAIT event carries the body too.
    const first = writes[0]!;
    const ev = await withClient(slave.proc, (c) => c.wait('/big/0', first.rev));
    expect({ rev: ev.rev, digest: sha(ev.value) }).toEqual({ rev: first.rev, digest: first.digest });

    // Kill -9 a CAL (not the seed) while large writes go through the others (and it).
    const victim = cals.find((n) => n !== nodes[0])!;
    const survivors = cals.filter((n) => n !== victim);
    writes.push(await writeBig(victim.proc, '/big/victim', body(MiB, 100)));
    const during = (async () => {
      for (let i = 0; i < 6; i++) {
        writes.push(await writeBig(survivors[i % 2]!.proc, `/big/during/${i}`, body(MiB, 200 + i)));
      }
    })();
    await victim.proc.stop('SIGKILL');
    await during;
    // The slave takes the dead CAL's slot (-timeout 3) and takes large writes as a CAL.
    const after = await until('the slave holds a CAL slot', async () => ((await calIds(nodes[0]!.proc)).includes(slave.id) ? true : undefined), DEADLINE.removal, 200);
    expect(after).toBe(true);
    const newCal = await until('the new CAL takes a large write', () => writeBig(slave.proc, '/big/new-cal', body(MiB, 300)).catch(() => undefined), DEADLINE.converge, 200);
    writes.push(newCal);
    const live = [...survivors, slave];
    for (const n of live) await readBack(n.proc, writes);

    // A slave attached now copies the store with its large values (no history before it: latest only).
    const late = await startDoozerd({ args: ['-a', nodes[0]!.proc.addr] });
    await readBack(late, writes, { history: false });
    // ... and follows new ones.
    const next = await writeBig(survivors[0]!.proc, '/big/after-late', body(MiB, 400));
    await readBack(late, [next]);
  }, TEST_TIMEOUT.bigCluster);

  it('a CAL paused through large writes (their pushes to it dropped) fetches the bodies from the others by digest once it runs again', async () => {
    const seed = await startDoozerd({ args: ['-timeout', '60'] });
    const other = await startDoozerd({ args: ['-a', seed.addr, '-timeout', '60'] });
    const paused = await startDoozerd({ args: ['-a', seed.addr, '-timeout', '60'], env: { DOOZERD_LOG: 'info' } });
    const nodes: ClusterNode[] = await Promise.all([seed, other, paused].map(async (proc) => ({ proc, id: await withClient(proc, (c) => c.self()) })));
    await addSlots(seed, [1, 2]);
    await waitForCals(nodes, 3);
    const writes: Written[] = [];
    paused.child.kill('SIGSTOP');
    try {
      // A majority (the two running CALs) holds each body: the writes are acknowledged at once. More
      // than the kernel buffers a connection to the paused process (a few MiB), so some pushes cannot
      // be delivered late and must be fetched.
      for (let i = 0; i < 24; i++) writes.push(await writeBig(i % 2 ? other : seed, `/paused/${i % 8}`, body(MiB, 700 + i)));
      // Past the push timeout (15 s) the pushes still queued for the paused CAL are dropped with their connection.
      await new Promise((r) => setTimeout(r, 17_000));
    } finally {
      paused.child.kill('SIGCONT');
    }
    await readBack(paused, writes);
    expect(paused.stderr()).toMatch(/blobs: seqn \d+: fetched the 1048576-byte value of \/paused\/\d \(blob [0-9a-f]{12}\) from 127\.0\.0\.1:\d+/);
    for (const n of [seed, other]) await readBack(n, writes);
  }, TEST_TIMEOUT.bigCluster);

  it('a 3-CAL cluster with -data killed with -9 at once comes back with its large values on every node', async () => {
    const cluster = await startDurableCluster(['-snapshot', '30']);
    const writes: Written[] = [];
    for (let i = 0; i < 6; i++) writes.push(await writeBig(cluster.procs[i % 3]!, `/durable/${i % 4}`, body(i % 2 ? MiB : 200 * 1024, 500 + i)));
    await Promise.all(cluster.procs.map((p) => readBack(p, writes)));
    await Promise.all(cluster.procs.map((p) => p.stop('SIGKILL')));
    const procs = await Promise.all(cluster.procs.map((p, i) => startDoozerd({ port: p.port, args: cluster.args(i), readyTimeoutMs: DEADLINE.start })));
    const back: ClusterNode[] = procs.map((proc, i) => ({ proc, id: cluster.nodes[i]!.id }));
    await until('a large write after the restart', () => writeBig(procs[1]!, '/durable/after', body(MiB, 600)).then((w) => writes.push(w)).catch(() => undefined), DEADLINE.converge, 200);
    for (const n of back) await readBack(n.proc, writes, { history: false });
  }, TEST_TIMEOUT.bigCluster);

  it('a 3-CAL cluster with -data killed with -9 at once in the middle of large writes comes back, agrees, and keeps every acknowledged one', async () => {
    const cluster = await startDurableCluster();
    const acked: Written[] = [];
    let stop = false;
    const writers = cluster.procs.map(async (p, w) => {
      for (let i = 0; !stop; i++) {
        const value = body(i % 2 ? MiB : 300 * 1024, 1000 + w * 1000 + i);
        try {
          acked.push(await writeBig(p, `/crash/${w}/${i % 5}`, value));
        } catch {
          return; // killed under it: outcome unknown
        }
      }
    });
    await until('12 acknowledged large writes', () => acked.length >= 12 || undefined, DEADLINE.converge, 50);
    await Promise.all(cluster.procs.map((p) => p.stop('SIGKILL')));
    stop = true;
    await Promise.all(writers);
    const procs = await Promise.all(cluster.procs.map((p, i) => startDoozerd({ port: p.port, args: cluster.args(i), readyTimeoutMs: DEADLINE.start })));
    const back: ClusterNode[] = procs.map((proc, i) => ({ proc, id: cluster.nodes[i]!.id }));
    // Writable again: no chosen reference is left without its body (that would stop every store).
    const after = await until('a large write after the restart', () => writeBig(procs[0]!, '/crash/after', body(MiB, 1)).catch(() => undefined), DEADLINE.converge, 200);
    const rev = await sameStore(back, after.rev, DEADLINE.converge);
    expect(rev.rev).toBeGreaterThanOrEqual(after.rev);
    // Each acknowledged write at its rev (a write cut off by the kill may have landed after it: not "now"),
    // on every node that still has that rev in its history (a node whose store was copied or restored
    // past it answers TOO_LATE), and on at least one node; that the stores agree is checked above.
    const seen = new Set<Written>();
    for (const n of back) for (const w of await readBack(n.proc, [...acked, after], { history: 'kept', latest: false })) seen.add(w);
    expect([...acked, after].filter((w) => !seen.has(w))).toEqual([]);
  }, TEST_TIMEOUT.bigCluster);

  it('in a TLS cluster with a secret, bodies go between the CALs over TLS with the secret', async () => {
    const certs = makeSelfSignedCert();
    const ca = readFileSync(certs.cert);
    const env = { DOOZER_RWSECRET: 'big-secret' };
    const tlsArgs = ['-tlscert', certs.cert, '-tlskey', certs.key];
    const seed = await startDoozerd({ args: tlsArgs, env });
    const others = await Promise.all([0, 1].map(() => startDoozerd({ args: [...tlsArgs, '-a', seed.addr], env })));
    const nodes = [seed, ...others];
    const dial = (p: DoozerdProcess): Promise<Client> => Client.dial(p.addr, { tls: { ca }, secret: 'big-secret' });
    const use = async <T>(p: DoozerdProcess, fn: (c: Client) => Promise<T>): Promise<T> => {
      const c = await dial(p);
      try {
        return await fn(c);
      } finally {
        await c.close();
      }
    };
    await use(seed, async (c) => {
      await c.set('/ctl/cal/1', 0, '');
      await c.set('/ctl/cal/2', 0, '');
    });
    for (const n of others) await until(`${n.addr} writable`, () => use(n, (c) => c.set(`/probe/${n.port}`, -1, 'x')).catch(() => undefined), DEADLINE.converge, 100);
    const written: Written[] = [];
    for (const [i, n] of nodes.entries()) {
      const value = body(MiB, 800 + i);
      const rev = await use(n, (c) => c.set(`/tls-big/${i}`, -1, value));
      written.push({ path: `/tls-big/${i}`, rev, digest: sha(value), len: value.length });
    }
    for (const n of nodes) {
      for (const w of written) {
        const g = await use(n, async (c) => {
          await c.get('/ctl/name', w.rev);
          return c.get(w.path, w.rev);
        });
        expect({ node: n.addr, path: w.path, digest: sha(g.value) }).toEqual({ node: n.addr, path: w.path, digest: w.digest });
      }
    }
  }, TEST_TIMEOUT.cluster);

  it('a single node takes 1 MiB and refuses more, naming the 1 MiB limit', async () => {
    const node = await startDoozerd();
    await until('writable', () => withClient(node, (c) => c.set('/probe', -1, 'x')).catch(() => undefined), DEADLINE.converge);
    const w = await writeBig(node, '/one', body(MiB, 7));
    await readBack(node, [w]);
    const err = await withClient(node, (c) => c.set('/one', -1, Buffer.alloc(MiB + 1)).then(() => undefined, (e: unknown) => e));
    expect(err).toBeInstanceOf(DoozerError);
    expect((err as DoozerError).detail).toBe('value too large: the value is 1048577 bytes; the limit is 1048576 bytes (1 MiB)');
  }, TEST_TIMEOUT.cluster);
});

const SKIP = skipWithoutRef();

describe.skipIf(SKIP)('large values in a cluster with an original doozerd CAL', () => {
  afterEach(() => stopAll());

  it('an original slave of a cluster whose CALs are ours copies a 1 MiB value over the client protocol', async () => {
    const seed = await startDoozerd({ args: ['-timeout', '30'] });
    await until('seed writable', () => withClient(seed, (c) => c.set('/probe', -1, 'x')).catch(() => undefined), DEADLINE.converge);
    const orig = await startOriginalDoozerd({ args: ['-a', seed.addr, '-timeout', '30'] });
    await until('original slave answers', () => withClient(orig, (c) => c.self()).catch(() => undefined), DEADLINE.converge, 100);
    const value = body(MiB, 900);
    const rev = await withClient(seed, (c) => c.set('/big-for-orig', -1, value));
    const got = await until('the original slave has it', () => withClient(orig, (c) => c.get('/big-for-orig', rev)).catch(() => undefined), DEADLINE.converge, 200);
    expect({ rev: got.rev, digest: sha(got.value) }).toEqual({ rev, digest: sha(value) });
    expect(orig.exitStatus()).toBeUndefined();
  }, TEST_TIMEOUT.cluster);

  it('refuses a value over one datagram with an error naming the limit of a mixed cluster; small writes go on', async () => {
    const seed = await startOriginalDoozerd({ args: ['-timeout', '30'] });
    await until('original seed answers', () => withClient(seed, (c) => c.self()).catch(() => undefined), DEADLINE.converge, 100);
    const ours = await startDoozerd({ args: ['-a', seed.addr, '-timeout', '30'] });
    const oursId = await withClient(ours, (c) => c.self());
    await addSlots(seed, [1]);
    await until('our node is a writable CAL', async () => {
      if (!(await calIds(seed)).includes(oursId)) return undefined;
      return withClient(ours, (c) => c.set('/probe/ours', -1, 'w').then(() => true, () => undefined));
    }, DEADLINE.converge * 2, 200);
    const seedId = await withClient(seed, (c) => c.self());
    const big = Buffer.alloc(MAX_MUTATION_BYTES, 'b');
    const err = await withClient(ours, (c) => c.set('/big', -1, big).then(() => undefined, (e: unknown) => e));
    expect(err).toBeInstanceOf(DoozerError);
    const detail = (err as DoozerError).detail!;
    expect(detail).toMatch(new RegExp(`^value too large: the write \\(rev, path and value\\) is \\d+ bytes, over the ${MAX_MUTATION_BYTES}-byte limit of a cluster with original doozerd nodes \\(CAL ${seedId} at ${seed.addr.replace(/\./g, '\\.')} runs "`));
    expect(detail).toContain('values up to 1048576 bytes (1 MiB) need every CAL to run doozerd-ts');
    // A 1 MiB one too, at once; and the cluster still takes writes that fit.
    const err2 = await withClient(ours, (c) => c.set('/big', -1, Buffer.alloc(MiB)).then(() => undefined, (e: unknown) => e));
    expect(String(err2)).toMatch(/limit of a cluster with original doozerd nodes/);
    const rev = await withClient(ours, (c) => c.set('/fits', -1, Buffer.alloc(2900, 'f')));
    expect((await withClient(seed, (c) => c.get('/fits', rev))).value.length).toBe(2900);
  }, TEST_TIMEOUT.cluster);
});

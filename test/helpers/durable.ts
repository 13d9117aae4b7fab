// Helpers for the durability tests: temporary -data directories, a write
// load that records every acknowledged write, and the check that a node
// holds them all with their revs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../src/client/client.js';
import { DoozerError } from '../../src/wire/errors.js';
import { startDoozerd, stopAll, type DoozerdProcess } from './doozerd-process.js';
import { addSlots, waitForCals, withClient, type ClusterNode } from './cluster.js';
import { DEADLINE } from './deadlines.js';

const dirs: string[] = [];

/** A new empty directory for -data; removed by removeDataDirs(). */
export function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'doozerd-e2e-data-'));
  dirs.push(d);
  return d;
}

/** Removes every directory dataDir() made since the last call. */
export function removeDataDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Stops every node started (stopAll), then removes their -data directories: the afterEach of a test that uses dataDir(). */
export async function stopAllAndRemoveDataDirs(): Promise<void> {
  await stopAll();
  removeDataDirs();
}

/** Acknowledged writes: path -> { rev, body }. */
export type Acked = Map<string, { rev: number; body: string }>;

export interface WriteLoad {
  acked: Acked;
  /** Stop writing (in-flight writes may still be acked) and wait for the writers. */
  stop(): Promise<void>;
}

/**
 * `writers` concurrent writers, each on its own connection to one of
 * `targets` (round robin), each setting new files /load/<tag>/<w>/<i> one
 * after the other. Errors (a killed node) end that writer quietly.
 */
export function startWriteLoad(targets: DoozerdProcess[], writers: number, tag: string): WriteLoad {
  const acked: Acked = new Map();
  let stopped = false;
  const loops = Array.from({ length: writers }, async (_, w) => {
    let c: Client;
    try {
      c = await Client.dial(targets[w % targets.length]!.addr, { connectTimeoutMs: 2000 });
    } catch {
      return;
    }
    try {
      for (let i = 0; !stopped; i++) {
        const path = `/load/${tag}/${w}/${i}`;
        const body = `${tag}-${w}-${i}`;
        let rev: number;
        try {
          rev = await c.set(path, 0, body);
        } catch (e) {
          // A node just restarted from -data is READONLY until its writable
          // file is applied again ("not writable yet"): a client tries again.
          if (!(e instanceof DoozerError && e.code === 'READONLY' && /not writable yet/.test(`${e.detail ?? ''} ${e.message}`))) throw e;
          await new Promise((r) => setTimeout(r, 20));
          i--;
          continue;
        }
        acked.set(path, { rev, body });
      }
    } catch {
      // the node went away
    } finally {
      await c.close().catch(() => undefined);
    }
  });
  return {
    acked,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** The acked writes that `p` lacks or holds with another rev or body (empty: all there). */
export async function missingWrites(p: DoozerdProcess, acked: Acked): Promise<string[]> {
  const c = await Client.dial(p.addr);
  try {
    const have = new Map((await c.walkAll('/load/**')).map((e) => [e.path, { rev: e.rev, body: e.value.toString() }]));
    const bad: string[] = [];
    for (const [path, want] of acked) {
      const got = have.get(path);
      if (!got || got.rev !== want.rev || got.body !== want.body) bad.push(`${path}: want rev ${want.rev} ${want.body}, have ${got ? `rev ${got.rev} ${got.body}` : 'nothing'}`);
    }
    return bad;
  } finally {
    await c.close();
  }
}

/** A 3-CAL cluster whose nodes run with -data. */
export interface DurableCluster {
  /** Each node's -data directory. */
  dirs: string[];
  /** `-data <dir> ...extra` for node i (to restart it the same way). */
  args(i: number): string[];
  procs: DoozerdProcess[];
  nodes: ClusterNode[];
}

/** Starts a seed and two attached nodes with -data (and `extra` flags), adds two slots, waits for 3 writable CALs. */
export async function startDurableCluster(extra: string[] = []): Promise<DurableCluster> {
  const dirs = [dataDir(), dataDir(), dataDir()];
  const args = (i: number): string[] => ['-data', dirs[i]!, ...extra];
  const seed = await startDoozerd({ args: args(0) });
  const others = await Promise.all([1, 2].map((i) => startDoozerd({ args: [...args(i), '-a', seed.addr] })));
  const procs = [seed, ...others];
  const nodes: ClusterNode[] = await Promise.all(procs.map(async (proc) => ({ proc, id: await withClient(proc, (c) => c.self()) })));
  await addSlots(seed, [1, 2]);
  await waitForCals(nodes, 3, DEADLINE.converge);
  return { dirs, args, procs, nodes };
}

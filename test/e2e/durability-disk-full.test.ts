// Disk full under -data, on a real process: a small tmpfs is filled up to
// the last byte. Writes then fail with a clear error, the node stays up and
// serves reads, nothing acknowledged is lost, and once space is freed
// writes work again. Needs root to mount the tmpfs; skips with one line
// otherwise.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../src/client/client.js';
import { startDoozerd, stopAll } from '../helpers/doozerd-process.js';
import { withClient } from '../helpers/cluster.js';
import { until } from '../helpers/until.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';
import type { Acked } from '../helpers/durable.js';
import { missingWrites } from '../helpers/durable.js';

function mountTmpfs(sizeMb: number): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'doozerd-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** Fill the file system of `dir` to the last byte. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let n = chunk.length; n >= 1; ) {
      try {
        writeSync(fd, chunk, 0, n);
      } catch {
        n = n >> 1;
      }
    }
  } finally {
    closeSync(fd);
  }
}

const mounted: string[] = [];
const canMount = (() => {
  const d = mountTmpfs(1);
  if (!d) return false;
  execFileSync('umount', [d]);
  rmSync(d, { recursive: true, force: true });
  return true;
})();
if (!canMount) console.log('durability-disk-full: skipped (cannot mount a tmpfs here: needs root)');

describe('durability: disk full', () => {
  afterEach(async () => {
    await stopAll();
    for (const d of mounted.splice(0)) {
      execFileSync('umount', [d]);
      rmSync(d, { recursive: true, force: true });
    }
  });

  it.skipIf(!canMount)('writes fail with a clear error, reads go on, nothing acked is lost, writes resume when space is back', async () => {
    const fs = mountTmpfs(8)!;
    mounted.push(fs);
    const data = join(fs, 'data');
    mkdirSync(data);
    const node = await startDoozerd({ args: ['-data', data] });
    // A new seed accepts connections before it is writable (its first instances are still being decided).
    await until('the node is writable', () => withClient(node, (c) => c.set('/probe/writable', -1, 'x').then(() => true, () => false)), DEADLINE.converge);
    const acked: Acked = new Map();
    const body = 'x'.repeat(2_500);
    await withClient(node, async (c) => {
      for (let i = 0; i < 5; i++) acked.set(`/load/before/${i}`, { rev: await c.set(`/load/before/${i}`, 0, body), body });
    });
    fill(join(fs, 'filler'));

    // Writes now fail, with an error that says what to do; some may wait for the disk instead.
    const c = await Client.dial(node.addr);
    const pending: Promise<unknown>[] = [];
    let error = '';
    for (let i = 0; i < 200 && !error; i++) {
      const path = `/load/full/${i}`;
      const w = c.set(path, 0, body).then(
        (rev) => acked.set(path, { rev, body }),
        (e: Error) => {
          error = e.message;
        },
      );
      pending.push(w);
      await Promise.race([w, new Promise((r) => setTimeout(r, 300))]);
    }
    expect(error).toMatch(/cannot store its votes on disk .*free space/);
    // The node is up and serves reads.
    expect((await c.get('/load/before/3')).value.toString()).toBe(body);
    expect(node.exitStatus()).toBeUndefined();

    // Space comes back: writes work again, and what waited completes.
    rmSync(join(fs, 'filler'));
    await until('writes work again', () => c.set('/load/after', 0, body).then((rev) => acked.set('/load/after', { rev, body })).catch(() => undefined), DEADLINE.converge);
    await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, DEADLINE.answer))]);
    await c.close();

    // And nothing acknowledged is lost across a kill -9.
    await node.stop('SIGKILL');
    const again = await startDoozerd({ port: node.port, args: ['-data', data], readyTimeoutMs: DEADLINE.start });
    expect(await missingWrites(again, acked)).toEqual([]);
  }, TEST_TIMEOUT.cluster);
});

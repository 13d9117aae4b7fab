// What -data and -restore refuse at start, on real processes
// (docs/durability.md "What -restore checks", "Identity checks", "Lock"):
// - a dump the store would refuse is refused as FILE:LINE before -data is
//   touched; a start that fails after the check leaves no -data behind;
// - restoring into a used directory says what to do;
// - a node restarted from its -data at another -l is refused, naming the
//   address its cluster knows;
// - a lock left by a killed node that is still a zombie (not reaped), or
//   whose pid now belongs to another program, does not block a restart.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { DOOZERD_BIN, startDoozerd } from '../helpers/doozerd-process.js';
import { answersRev } from '../../src/torture/procs.js';
import { withClient } from '../helpers/cluster.js';
import { until } from '../helpers/until.js';
import { freePort } from '../helpers/ports.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';
import { dataDir, stopAllAndRemoveDataDirs } from '../helpers/durable.js';
import { LOCK_FILE } from '../../src/storage/data-dir.js';

const header = '{"format":"doozer-dump","version":1,"rev":9}';
/** A dump file with these file lines (a correct end line), in a fresh directory. */
function dumpFile(...lines: string[]): string {
  const f = join(dataDir(), 'd.jsonl');
  writeFileSync(f, [header, ...lines, JSON.stringify({ end: true, files: lines.length })].join('\n') + '\n');
  return f;
}
const line = (path: string, body = 'eA==', rev = 1): string => JSON.stringify({ path, rev, body });

/** Start a node that must fail at start; its exit code and stderr. */
async function refused(args: string[], port?: number): Promise<string> {
  const p = await startDoozerd({ args, waitReady: false, ...(port ? { port } : {}) });
  const st = await p.exited;
  expect(st.code, p.describe()).toBe(1);
  return p.stderr();
}

const procState = (pid: number): string | undefined => {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
};

describe('durability: start-up checks of -data and -restore', () => {
  afterEach(stopAllAndRemoveDataDirs);

  it('a dump the store would refuse is refused as FILE:LINE, and -data is left untouched', async () => {
    const cases: [string[], RegExp][] = [
      // The tester's input: the node used to crash-loop its store (BAD_PATH) and leave an empty cluster in -data.
      [[line('/ok'), line('/a b')], /d\.jsonl:3: bad path "\/a b"/],
      [[line('/z'), line('/z/y')], /d\.jsonl:3: path \/z\/y needs \/z to be a directory, but line 2 makes it a file/],
      [[line('/a', '!!notb64')], /d\.jsonl:2: bad body: not strict base64/],
      [[line('/a'), line('/a')], /d\.jsonl:3: path \/a appears twice/],
    ];
    for (const [lines, want] of cases) {
      const parent = dataDir();
      const dir = join(parent, 'new', 'data');
      const err = await refused(['-restore', dumpFile(...lines), '-data', dir]);
      expect(err).toMatch(want);
      expect(err).not.toMatch(/store crashed/);
      expect(readdirSync(parent), 'nothing made in -data').toEqual([]);
    }
    // An existing empty directory stays empty.
    const empty = dataDir();
    expect(await refused(['-restore', dumpFile(line('/a b')), '-data', empty])).toMatch(/bad path/);
    expect(readdirSync(empty)).toEqual([]);
  }, TEST_TIMEOUT.cluster);

  it('a -restore that fails after the check (port taken) leaves no -data; a used directory is refused with what to do', async () => {
    const port = await freePort();
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
    const parent = dataDir();
    const dir = join(parent, 'data');
    try {
      const err = await refused(['-restore', dumpFile(line('/a')), '-data', dir], port);
      expect(err).toMatch(/address in use/);
    } finally {
      udp.close();
    }
    expect(existsSync(dir), 'the half-made -data is removed').toBe(false);

    // Restored for real, then -restore into the same directory again.
    const node = await startDoozerd({ port, args: ['-restore', dumpFile(line('/a')), '-data', dir] });
    expect(await withClient(node, (c) => c.get('/a')).then((r) => Buffer.from(r.value).toString())).toBe('x');
    await node.stop('SIGKILL');
    const err = await refused(['-restore', dumpFile(line('/b')), '-data', dir], port);
    expect(err).toContain(`-restore needs a new -data directory, and ${dir} already holds a node's state: give -data a new, empty directory, or move ${dir} away first`);
  }, TEST_TIMEOUT.cluster);

  it('a node restarted from its -data with another -l is refused, naming the address its cluster knows', async () => {
    const dir = dataDir();
    const node = await startDoozerd({ args: ['-data', dir] });
    const id = await withClient(node, (c) => c.self());
    await node.stop('SIGKILL');
    const other = await freePort();
    const err = await refused(['-data', dir], other);
    expect(err).toContain(`-data ${dir} belongs to node ${id}, which its cluster knows at ${node.addr} (/ctl/node/${id}/addr), not 127.0.0.1:${other}: start it with -l ${node.addr}`);
    // With its own address it comes back.
    const again = await startDoozerd({ port: node.port, args: ['-data', dir], readyTimeoutMs: DEADLINE.start });
    expect(await withClient(again, (c) => c.self())).toBe(id);
  }, TEST_TIMEOUT.cluster);

  it('a lock left by a killed node still a zombie, or whose pid is now another program, does not block a restart', async () => {
    const dir = dataDir();
    const port = await freePort();
    // The node's parent becomes `sleep`, which never reaps it: after kill -9 it stays a zombie.
    const sh = spawn('sh', ['-c', `"${DOOZERD_BIN}" -l 127.0.0.1:${port} -data "${dir}" -w false >/dev/null 2>&1 & echo $!; exec sleep 300`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let pid = 0;
    try {
      pid = Number(await new Promise<string>((r) => sh.stdout!.once('data', (d: Buffer) => r(d.toString().trim()))));
      await until('the node serves', () => answersRev('127.0.0.1', port), DEADLINE.start);
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toMatch(new RegExp(`^${pid} \\d+\\n$`));
      process.kill(pid, 'SIGKILL');
      await until('a zombie', () => procState(pid) === 'Z' || undefined, DEADLINE.exit);
      const again = await startDoozerd({ port, args: ['-data', dir], readyTimeoutMs: DEADLINE.start });
      await again.stop('SIGKILL');
    } finally {
      // The node is sh's child, not ours: killed by its PID whatever failed above.
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      sh.kill('SIGKILL');
    }
    // A stale lock whose pid now belongs to `sleep`.
    const sleeper = spawn('sleep', ['300']);
    try {
      await new Promise((r) => sleeper.once('spawn', r));
      writeFileSync(join(dir, LOCK_FILE), `${sleeper.pid}\n`);
      const again = await startDoozerd({ port, args: ['-data', dir], readyTimeoutMs: DEADLINE.start });
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8').split(' ')[0]).toBe(String(again.pid));
    } finally {
      sleeper.kill('SIGKILL');
    }
  }, TEST_TIMEOUT.cluster);
});

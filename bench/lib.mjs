// What the benchmarks share: command-line options, free ports, waiting for a
// condition with a deadline, starting a doozerd and waiting until it writes,
// saving a result.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Client } from '../dist/client/client.js';

/** The value after `--name` on the command line (a string), or `dflt`. */
export function arg(name, dflt) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resolves with fn()'s first truthy value; throws after `ms` (fn's errors count as "not yet"). */
export async function until(what, fn, ms = 30_000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {}
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts `bin` (a doozerd) on a free port of 127.0.0.1 with `args`, without
 * its web view; pushes the child onto `procs` (for the caller to kill) and
 * resolves with its address once it accepts connections.
 */
export async function startNode(procs, args, bin) {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  procs.push(spawn(process.execPath, [bin, '-l', addr, '-w', 'false', ...args], { stdio: 'ignore' }));
  await until(`${addr} up`, async () => (await Client.dial(addr, { connectTimeoutMs: 500 }).then((c) => (c.close(), true))));
  return addr;
}

/** Resolves once the node at `addr` acknowledges a write (it is a CAL, or reaches one). */
export async function writable(addr) {
  return until(`${addr} writable`, async () => {
    const c = await Client.dial(addr);
    try {
      await c.set('/bench/probe', -1, 'x');
      return true;
    } finally {
      await c.close();
    }
  });
}

/** Writes `data` (plus the machine's core count) to bench/results/<name>-<time>.json and says so on stderr; returns the path. */
export function saveResult(name, data) {
  const dir = fileURLToPath(new URL('results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ ...data, cores: cpus().length }, null, 2));
  process.stderr.write(`wrote ${file}\n`);
  return file;
}

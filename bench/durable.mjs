#!/usr/bin/env node
// Durable write benchmark: a 3-CAL doozerd cluster with -data next to a
// 3-member etcd 3.4 cluster (Debian's etcd-server; it fsyncs its WAL), both
// on this machine's disk (data directories under the same temporary
// directory), in the same run. Each gets
//   - a lone client: one connection, one write at a time (p50 = idle latency),
//   - `--conns` connections (default 64) spread over the 3 members, one
//     write at a time each, for `--seconds` (default 5).
// doozerd is driven with its client library (SET over TCP); etcd with its
// v3 HTTP gateway (POST /v3/kv/put, keep-alive connections). Skips etcd
// with one line when the etcd binary is missing.
// Prints a table and writes bench/results/durable-<time>.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../dist/client/client.js';
import { arg, freePort, until } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const num = (name, dflt) => Number(arg(name, dflt));
const SECONDS = num('seconds', 5);
const CONNS = num('conns', 64);
const procs = [];
const base = mkdtempSync(join(tmpdir(), 'doozerd-bench-durable-'));

/** Run `conns` workers, each calling `write(worker, i)` one at a time for `seconds`. */
async function drive(conns, seconds, write) {
  const lat = [];
  const end = Date.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conns }, async (_, w) => {
      for (let i = 0; Date.now() < end; i++) {
        const t = performance.now();
        await write(w, i);
        lat.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (f) => Number(lat[Math.min(lat.length - 1, Math.floor(lat.length * f))].toFixed(3));
  return { conns, writes: lat.length, perSec: Math.round(lat.length / elapsed), p50ms: q(0.5), p99ms: q(0.99) };
}

// ------------------------------------------------------------------ doozerd

async function startDoozerd(args, dir) {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  procs.push(spawn(process.execPath, [`${root}bin/doozerd`, '-l', addr, '-w', 'false', '-data', dir, ...args], { stdio: 'ignore' }));
  await until(`${addr} up`, async () => (await Client.dial(addr, { connectTimeoutMs: 500 }).then((c) => (c.close(), true))));
  return addr;
}

async function writable(addr) {
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

async function doozerd() {
  const seed = await startDoozerd([], join(base, 'd0'));
  await writable(seed);
  const others = [await startDoozerd(['-a', seed], join(base, 'd1')), await startDoozerd(['-a', seed], join(base, 'd2'))];
  const c = await Client.dial(seed);
  await c.set('/ctl/cal/1', 0, '');
  await c.set('/ctl/cal/2', 0, '');
  await c.close();
  for (const a of others) await writable(a);
  const addrs = [seed, ...others];
  const run = async (conns) => {
    const clients = await Promise.all(Array.from({ length: conns }, (_, i) => Client.dial(addrs[i % addrs.length])));
    try {
      return await drive(conns, SECONDS, (w) => clients[w].set(`/bench/${w}`, -1, 'x'.repeat(32)));
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  };
  return { lone: await run(1), many: await run(CONNS) };
}

// --------------------------------------------------------------------- etcd

async function etcd() {
  if (spawnSync('etcd', ['--version']).status !== 0) {
    console.log('etcd: skipped (no etcd binary: apt-get install etcd-server)');
    return undefined;
  }
  const members = [];
  for (let i = 0; i < 3; i++) members.push({ name: `m${i}`, client: await freePort(), peer: await freePort(), dir: join(base, `etcd${i}`) });
  const cluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  for (const m of members) {
    procs.push(
      spawn('etcd', [
        '--name', m.name, '--data-dir', m.dir,
        '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
        '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
        '--initial-cluster', cluster, '--initial-cluster-state', 'new', '--initial-cluster-token', 'bench',
        '--log-level', 'error',
      ], { stdio: 'ignore' }),
    );
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNS });
  const put = (port, key, value) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ key: Buffer.from(key).toString('base64'), value: Buffer.from(value).toString('base64') });
      const req = http.request({ host: '127.0.0.1', port, path: '/v3/kv/put', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  for (const m of members) await until(`etcd ${m.name} writable`, () => put(m.client, '/bench/probe', 'x').then(() => true));
  const run = (conns) => drive(conns, SECONDS, (w) => put(members[w % 3].client, `/bench/${w}`, 'x'.repeat(32)));
  const r = { lone: await run(1), many: await run(CONNS) };
  agent.destroy();
  return r;
}

async function main() {
  process.stderr.write('doozerd: 3-CAL cluster with -data...\n');
  const d = await doozerd();
  process.stderr.write('etcd 3.4: 3 members...\n');
  const e = await etcd();
  console.log('| durable writes (same disk) | writes/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: |');
  const row = (name, r) => console.log(`| ${name} | ${r.perSec} | ${r.p50ms} | ${r.p99ms} |`);
  row('doozerd 3 CALs -data, 1 connection', d.lone);
  if (e) row('etcd 3.4 3 members, 1 connection', e.lone);
  row(`doozerd 3 CALs -data, ${CONNS} connections`, d.many);
  if (e) row(`etcd 3.4 3 members, ${CONNS} connections`, e.many);
  if (e) console.log(`doozerd/etcd at ${CONNS} connections: ${(d.many.perSec / e.many.perSec).toFixed(2)}x; idle p50 ${d.lone.p50ms} ms vs ${e.lone.p50ms} ms`);
  mkdirSync(`${root}bench/results`, { recursive: true });
  const file = `${root}bench/results/durable-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ seconds: SECONDS, conns: CONNS, cores: cpus().length, doozerd: d, etcd: e ?? null }, null, 2));
  process.stderr.write(`wrote ${file}\n`);
}

try {
  await main();
} finally {
  for (const p of procs) p.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(base, { recursive: true, force: true });
}
process.exit(0);

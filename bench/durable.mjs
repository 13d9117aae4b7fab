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
//   --baseline DIR  also run the doozerd built in DIR (another checkout,
//                   after its npm run build), in the same run: before/after
//   --rounds N      run every workload N times, the systems taking turns
//                   (default 1); the table shows the median of the rounds,
//                   which a busy shared machine needs
// The table also shows the CPU time (user + system) the servers' processes
// used per write (µs, from /proc/<pid>/stat; Linux only): on a shared machine
// it moves much less than writes/s with what else runs.
// BENCH_NODE_ARGS (environment): extra node flags for the doozerd processes
// of this checkout (not the baseline), e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
// (a profile is written when the process exits: the bench stops them with
// SIGTERM first).
// Prints a table and writes bench/results/durable-<time>.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../dist/client/client.js';
import { arg, freePort, until, writable, saveResult } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const num = (name, dflt) => Number(arg(name, dflt));
const SECONDS = num('seconds', 5);
const CONNS = num('conns', 64);
const ROUNDS = num('rounds', 1);
const BASELINE = arg('baseline', undefined);
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

/** CPU time (user + system, ms) the processes `pids` used so far; NaN where /proc is not readable. */
function cpuMs(pids) {
  let ticks = 0;
  try {
    for (const pid of pids) {
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    }
  } catch {
    return NaN;
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

async function startDoozerd(bin, args, dir, pids, nodeArgs = []) {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const p = spawn(process.execPath, [...nodeArgs, bin, '-l', addr, '-w', 'false', '-data', dir, ...args], { stdio: 'ignore' });
  procs.push(p);
  pids.push(p.pid);
  await until(`${addr} up`, async () => (await Client.dial(addr, { connectTimeoutMs: 500 }).then((c) => (c.close(), true))));
  return addr;
}

/** A 3-CAL cluster of the doozerd in checkout `dir` (its bin/doozerd); returns its workload runner and the processes' pids. */
async function doozerd(dir, tag, nodeArgs = []) {
  const bin = join(dir, 'bin', 'doozerd');
  const pids = [];
  const seed = await startDoozerd(bin, [], join(base, `${tag}0`), pids, nodeArgs);
  await writable(seed);
  const others = [await startDoozerd(bin, ['-a', seed], join(base, `${tag}1`), pids, nodeArgs), await startDoozerd(bin, ['-a', seed], join(base, `${tag}2`), pids, nodeArgs)];
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
  return { run, pids };
}

// --------------------------------------------------------------------- etcd

async function etcd() {
  if (spawnSync('etcd', ['--version']).status !== 0) {
    console.log('etcd: skipped (no etcd binary: apt-get install etcd-server)');
    return undefined;
  }
  const members = [];
  const pids = [];
  for (let i = 0; i < 3; i++) members.push({ name: `m${i}`, client: await freePort(), peer: await freePort(), dir: join(base, `etcd${i}`) });
  const cluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  for (const m of members) {
    const p = spawn('etcd', [
        '--name', m.name, '--data-dir', m.dir,
        '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
        '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
        '--initial-cluster', cluster, '--initial-cluster-state', 'new', '--initial-cluster-token', 'bench',
        '--log-level', 'error',
      ], { stdio: 'ignore' });
    procs.push(p);
    pids.push(p.pid);
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
  return { run: (conns) => drive(conns, SECONDS, (w) => put(members[w % 3].client, `/bench/${w}`, 'x'.repeat(32))), pids };
}

/** The round whose p50 is the median of `rs`. */
function median(rs) {
  return [...rs].sort((a, b) => a.p50ms - b.p50ms)[(rs.length - 1) >> 1];
}

async function main() {
  const systems = [];
  process.stderr.write('doozerd: 3-CAL cluster with -data...\n');
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  systems.push({ name: 'doozerd 3 CALs -data', ...(await doozerd(root, 'd', nodeArgs)) });
  if (BASELINE) {
    process.stderr.write(`baseline doozerd (${BASELINE}): 3-CAL cluster with -data...\n`);
    systems.push({ name: `baseline ${BASELINE} 3 CALs -data`, ...(await doozerd(BASELINE, 'b')) });
  }
  process.stderr.write('etcd 3.4: 3 members...\n');
  const etcdSys = await etcd();
  const etcdRun = etcdSys?.run;
  if (etcdSys) systems.push({ name: 'etcd 3.4 3 members', ...etcdSys });
  for (const s of systems) {
    s.rounds = { lone: [], many: [] };
    // Each run also reports the servers' CPU time per write (µs).
    const run = s.run;
    s.run = async (conns) => {
      const c0 = cpuMs(s.pids);
      const r = await run(conns);
      r.cpuUsPerWrite = Math.round(((cpuMs(s.pids) - c0) * 1000) / r.writes);
      return r;
    };
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const s of systems) s.rounds.lone.push(await s.run(1));
    for (const s of systems) s.rounds.many.push(await s.run(CONNS));
    process.stderr.write(`round ${r + 1}/${ROUNDS}: ${systems.map((s) => `${s.name} p50 ${s.rounds.lone[r].p50ms} ms, ${s.rounds.many[r].perSec}/s ${s.rounds.many[r].cpuUsPerWrite} µs CPU/write`).join('; ')}\n`);
  }
  const res = systems.map((s) => ({ name: s.name, lone: median(s.rounds.lone), many: median(s.rounds.many), rounds: s.rounds }));
  console.log(`| durable writes (same disk${ROUNDS > 1 ? `, median of ${ROUNDS} rounds` : ''}) | writes/s | p50 ms | p99 ms | server CPU µs/write |\n| --- | ---: | ---: | ---: | ---: |`);
  const row = (name, r) => console.log(`| ${name} | ${r.perSec} | ${r.p50ms} | ${r.p99ms} | ${r.cpuUsPerWrite} |`);
  for (const s of res) row(`${s.name}, 1 connection`, s.lone);
  for (const s of res) row(`${s.name}, ${CONNS} connections`, s.many);
  const cpuMedian = (rs) => [...rs].map((r) => r.cpuUsPerWrite).sort((a, b) => a - b)[(rs.length - 1) >> 1];
  if (ROUNDS > 1) console.log(`median server CPU µs/write at ${CONNS} connections: ${res.map((s) => `${s.name} ${cpuMedian(s.rounds.many)}`).join('; ')}`);
  const d = res[0];
  const e = etcdRun ? res.at(-1) : undefined;
  if (e) console.log(`doozerd/etcd at ${CONNS} connections: ${(d.many.perSec / e.many.perSec).toFixed(2)}x; idle p50 ${d.lone.p50ms} ms vs ${e.lone.p50ms} ms`);
  saveResult('durable', { seconds: SECONDS, conns: CONNS, rounds: ROUNDS, results: res });
}

try {
  await main();
} finally {
  // SIGTERM first, so a process run with --cpu-prof writes its profile.
  for (const p of procs) p.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, process.env.BENCH_NODE_ARGS ? 3000 : 300));
  for (const p of procs) p.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
}
process.exit(0);

#!/usr/bin/env node
// Placement benchmark: the same client workload against a single doozerd
// node under different actor placements (src/runtime/placement.ts).
//
// Workload, per placement, after a warm-up:
//   - CONNS connections, each keeping DEPTH requests in flight: 80% GET of
//     one of its 50 files (written before the run), 20% SET (clobber) of one;
//   - WATCHERS more connections, each with a WAIT on /bench/** always
//     outstanding (every SET wakes every watcher: a watch is a WAIT chain).
// Measured: requests answered per second, GET and SET latency (p50, p99),
// watch events delivered per second, and the node's CPU (all its threads,
// from /proc) in percent of one core.
//
// Prints a table and writes bench/results/placement-<time>.json (and
// placement-latest.json). The load generator runs in this process, on the
// same machine: on a 2-core box it competes with the node, as a real
// client on the same host would.
//
// Usage: node bench/placement.mjs [--seconds N] [--conns N] [--watchers N] [--depth N] [--rounds N] [--only name,name] [--profile DIR] [--baseline DIR] [--node-args "--flag ..."]
//   --baseline DIR: also run every placement on another built checkout
//   (DIR/bin/doozerd), interleaved round by round with this one, so both see
//   the same machine load; its rows are marked "(baseline)".
//   --node-args "...": node/V8 flags for the nodes only (with BENCH_NODE_STDOUT=1
//   in the environment the nodes' stdout comes through, e.g. for --trace-gc).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrCode, Verb, decodeResponse, encodeRequest } from '../dist/wire/client-codec.js';
import { FrameReader, frame } from '../dist/wire/framing.js';
import { arg, freePort } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(arg('seconds', 6));
const WARMUP = Number(arg('warmup', 1.5));
const CONNS = Number(arg('conns', 64));
const WATCHERS = Number(arg('watchers', 16));
const DEPTH = Number(arg('depth', 4));
const ROUNDS = Number(arg('rounds', 2));
const ONLY = arg('only', '');
/** --profile DIR: run each node with --cpu-prof (every thread) into DIR, stopped by SIGTERM so the profiles get written. */
const PROFILE = arg('profile', '');
/** --node-args "...": extra node/V8 command-line flags for the nodes (not this process), space-separated, e.g. V8 flags to try. */
const NODE_ARGS = arg('node-args', '').split(' ').filter(Boolean);
/** --baseline DIR: another built checkout measured in the same rounds. */
const BASELINE = arg('baseline', '');

export const PLACEMENTS = [
  { name: 'all-main', about: 'every actor on the main thread', placement: { workers: [], pool: 0, place: {} } },
  {
    name: 'core-worker',
    about: 'store + consensus on one worker, sessions on main',
    placement: { workers: ['core'], pool: 0, place: { store: 'core', consensus: 'core' } },
  },
  {
    name: 'session-pool',
    about: 'sessions on a pool of 2 workers, store + consensus on main',
    placement: { workers: [], pool: 2, place: { 'client-session': 'pool' } },
  },
  {
    name: 'core+pool',
    about: 'store + consensus on one worker, sessions on a pool of 2',
    placement: { workers: ['core'], pool: 2, place: { store: 'core', consensus: 'core', 'client-session': 'pool' } },
  },
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** utime + stime of a process (all threads), in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

/** CPU seconds of each thread of a process, by thread id (with its name: the main thread's tid is the pid). */
function threadCpuSeconds(pid) {
  const out = new Map();
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { comm: Number(tid) === pid ? 'main' : comm, s: (Number(fields[11]) + Number(fields[12])) / 100 });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Per-thread CPU between two threadCpuSeconds() samples, in percent of one core, busiest first (threads under 3% left out). */
function threadCpuPercent(before, after, elapsed) {
  const rows = [];
  for (const [tid, a] of after) {
    const b = before.get(tid)?.s ?? 0;
    const pct = Math.round(((a.s - b) / elapsed) * 100);
    if (pct >= 3) rows.push({ thread: a.comm, tid: Number(tid), cpuPercent: pct });
  }
  return rows.sort((x, y) => y.cpuPercent - x.cpuPercent);
}

/** How often the load connections check an answer more closely: one GET in SAMPLE has its value's bytes compared, one answer in FULL_CHECK is decoded in full (powers of 2). */
const SAMPLE = 64;
const FULL_CHECK = 1024;

/** A pipelined raw-protocol connection (setup and watchers; the measured requests go through LoadConn). */
class Conn {
  constructor(socket) {
    this.socket = socket;
    this.reader = new FrameReader();
    this.waiting = new Map();
    this.nextTag = 1;
    this.closed = false;
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      for (const f of this.reader.push(d)) {
        const r = decodeResponse(f);
        const w = this.waiting.get(r.tag);
        if (w) {
          this.waiting.delete(r.tag);
          w(r);
        }
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.values()) w({ errCode: -1 });
      this.waiting.clear();
    });
  }
  static open(port) {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }
  call(req) {
    const tag = this.nextTag++;
    return new Promise((resolve) => {
      this.waiting.set(tag, resolve);
      this.socket.write(frame(encodeRequest({ ...req, tag })));
    });
  }
  close() {
    this.socket.destroy();
  }
}

/**
 * One load connection of the measured workload, built to cost its process as
 * little as possible per request, so that the benchmark measures the node and
 * not itself (docs/runtime.md "Placement benchmark"):
 *   - every request frame is encoded once, before the run (one per file and
 *     operation); a request only copies its frame and patches the tag byte
 *     (tags are the slot numbers 1..depth, one byte each);
 *   - the requests a connection sends in one turn go in one socket write;
 *   - answers are scanned, not decoded: frame length, tag, error code and
 *     where the value is (a full decode only for a sample, as a check);
 *   - no promise or closure per request; latencies go into typed arrays.
 * It still checks the answers: any error code counts as an error, every
 * GET's value must be 64 bytes, one GET in SAMPLE has its bytes compared,
 * and one answer in FULL_CHECK is decoded in full and compared with the scan.
 */
class LoadConn {
  constructor(socket, frames, depth, stats) {
    this.socket = socket;
    this.frames = frames; // { get: Buffer[], set: Buffer[] }: framed requests, tag byte at offset 5
    this.depth = depth;
    this.stats = stats;
    this.files = frames.get.length;
    this.slotK = new Int32Array(depth + 1);
    this.slotSet = new Uint8Array(depth + 1);
    this.slotT0 = new Float64Array(depth + 1);
    this.pending = []; // slots to send this turn
    this.rest = null; // bytes of a frame not yet whole
    this.closed = false;
    socket.setNoDelay(true);
    socket.on('data', (d) => this.onData(d));
    socket.on('error', () => {});
    socket.on('close', () => (this.closed = true));
  }
  start() {
    for (let s = 1; s <= this.depth; s++) {
      this.slotK[s] = s - 1;
      this.pending.push(s);
    }
    this.flush();
  }
  onData(chunk) {
    let buf = chunk;
    if (this.rest !== null) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    const stats = this.stats;
    const now = performance.now();
    let off = 0;
    const end = buf.length;
    while (end - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (end - off < 4 + len) break;
      const p = off + 4;
      off = p + len;
      // The tag is the first field (one byte: slots are 1..depth).
      if (buf[p] !== 0x08 || len < 2) {
        stats.errors++;
        continue;
      }
      const slot = buf[p + 1];
      if (slot < 1 || slot > this.depth) {
        stats.errors++;
        continue;
      }
      // Walk the other fields: an error code (field 100) or the value (field 6).
      let q = p + 2;
      let err = -1;
      let vOff = -1;
      let vLen = 0;
      while (q < off) {
        let key = buf[q++];
        if (key & 0x80) key = (key & 0x7f) | (buf[q++] << 7);
        let n = 0;
        let shift = 0;
        let b;
        if ((key & 7) === 0) {
          do {
            b = buf[q++];
            if (shift < 28) n |= (b & 0x7f) << shift;
            shift += 7;
          } while (b & 0x80);
          if (key >>> 3 === 100) err = n;
        } else if ((key & 7) === 2) {
          do {
            b = buf[q++];
            n |= (b & 0x7f) << shift;
            shift += 7;
          } while (b & 0x80);
          if (key >>> 3 === 6) {
            vOff = q;
            vLen = n;
          }
          q += n;
        } else {
          err = 1000; // a wire type this protocol's answers never use
          break;
        }
      }
      const isSet = this.slotSet[slot] === 1;
      if (stats.measuring) {
        stats.answered++;
        if (err !== -1) stats.errors++;
        else if (!isSet) {
          if (vLen !== stats.value.length) stats.errors++;
          else if ((stats.answered & (SAMPLE - 1)) === 0 && buf.compare(stats.value, 0, vLen, vOff, vOff + vLen) !== 0) stats.errors++;
        }
        if ((stats.answered & (FULL_CHECK - 1)) === 0) stats.checkFull(buf.subarray(p, off), slot, err, vLen);
        stats.record(isSet, now - this.slotT0[slot]);
      }
      if (!stats.stop) this.pending.push(slot);
    }
    if (off < end) this.rest = buf.subarray(off);
    if (this.pending.length > 0 && !this.closed) this.flush();
  }
  /** Sends the next request of every slot in `pending`, in one write. */
  flush() {
    const pending = this.pending;
    const now = performance.now();
    let size = 0;
    for (let i = 0; i < pending.length; i++) {
      const s = pending[i];
      const k = ++this.slotK[s];
      const isSet = k % 5 === 0 ? 1 : 0;
      this.slotSet[s] = isSet;
      this.slotT0[s] = now;
      size += (isSet ? this.frames.set : this.frames.get)[k % this.files].length;
    }
    const out = Buffer.allocUnsafe(size);
    let p = 0;
    for (let i = 0; i < pending.length; i++) {
      const s = pending[i];
      const k = this.slotK[s];
      const f = (this.slotSet[s] ? this.frames.set : this.frames.get)[k % this.files];
      out.set(f, p);
      out[p + 5] = s;
      p += f.length;
    }
    pending.length = 0;
    this.socket.write(out);
  }
}

/** Answers of the measured workload: counts, latencies (ms, in typed arrays that grow by doubling), and the sampled checks. */
class Stats {
  constructor(value) {
    this.value = value;
    this.measuring = false;
    this.stop = false;
    this.answered = 0;
    this.errors = 0;
    this.mismatches = 0;
    this.get = new Float32Array(1 << 20);
    this.nGet = 0;
    this.set = new Float32Array(1 << 18);
    this.nSet = 0;
  }
  record(isSet, ms) {
    if (isSet) {
      if (this.nSet === this.set.length) this.set = grow(this.set);
      this.set[this.nSet++] = ms;
    } else {
      if (this.nGet === this.get.length) this.get = grow(this.get);
      this.get[this.nGet++] = ms;
    }
  }
  /** Decodes one answer in full and compares it with what the scan found. */
  checkFull(bytes, slot, err, vLen) {
    const r = decodeResponse(bytes);
    if (r.tag !== slot || (r.errCode ?? -1) !== err || (err === -1 && (r.value?.length ?? 0) !== vLen)) this.mismatches++;
  }
}

function grow(a) {
  const b = new Float32Array(a.length * 2);
  b.set(a);
  return b;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function startNode(placement, checkout = root) {
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-placement-'));
  const file = join(dir, 'placement.json');
  writeFileSync(file, JSON.stringify(placement));
  const port = await freePort();
  const debugPort = await freePort();
  const prof = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', PROFILE] : [];
  const child = spawn(process.execPath, [...NODE_ARGS, ...prof, join(checkout, 'bin/doozerd'), '-l', `127.0.0.1:${port}`, '-w', 'false', '-debug', `127.0.0.1:${debugPort}`, '-placement', file], {
    stdio: ['ignore', process.env.BENCH_NODE_STDOUT ? 'inherit' : 'ignore', 'pipe'],
    env: { ...process.env, DOOZERD_LOG: 'warn' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 30_000;
  let c;
  for (;;) {
    try {
      c = await Conn.open(port);
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`doozerd did not start:\n${stderr}`);
      await sleep(50);
    }
  }
  for (;;) {
    const r = await c.call({ verb: Verb.SET, path: '/bench/ready', value: Buffer.from('1'), rev: -1 });
    if (r.errCode === undefined) break;
    if (r.errCode !== ErrCode.READONLY || Date.now() > deadline) throw new Error(`node not writable: ${r.errCode} ${r.errDetail ?? ''}\n${stderr}`);
    await sleep(50);
  }
  c.close();
  return { child, port, debugPort, stderr: () => stderr };
}

/** The worker threads' data-plane counters from the node's /$actors (empty with every actor on main, or if the endpoint does not answer). */
async function workerCounters(debugPort) {
  try {
    const res = await fetch(`http://127.0.0.1:${debugPort}/$actors?peek=0`);
    const j = await res.json();
    return Object.fromEntries((j.workers ?? []).map((w) => [w.name, { batchesOut: w.batchesOut, entriesOut: w.entriesOut, batchesIn: w.batchesIn, entriesIn: w.entriesIn, wakesOut: w.wakesOut, wakesIn: w.wakesIn }]));
  } catch {
    return {};
  }
}

/** Per second of the run: the difference of two workerCounters() samples. */
function counterRates(before, after, elapsed) {
  const out = {};
  for (const [name, a] of Object.entries(after)) {
    const b = before[name] ?? {};
    out[name] = Object.fromEntries(Object.entries(a).map(([k, v]) => [k, Math.round((v - (b[k] ?? 0)) / elapsed)]));
  }
  return out;
}

async function runWorkload(port, pid, debugPort) {
  const conns = await Promise.all(Array.from({ length: CONNS }, () => Conn.open(port)));
  const watchers = await Promise.all(Array.from({ length: WATCHERS }, () => Conn.open(port)));
  let measuring = false;
  let stop = false;
  let errorsOfWatchers = 0;
  let events = 0;
  const value = Buffer.alloc(64, 'x');

  // Every connection's 50 files exist before anything is measured.
  await Promise.all(conns.flatMap((c, i) => Array.from({ length: 50 }, (_, k) => c.call({ verb: Verb.SET, path: `/bench/c${i}/k${k}`, value, rev: -1 }))));
  const rev = (await conns[0].call({ verb: Verb.REV })).rev;
  const watchLoops = watchers.map(async (w) => {
    let from = rev + 1;
    while (!stop && !w.closed) {
      const r = await w.call({ verb: Verb.WAIT, path: '/bench/**', rev: from });
      if (r.errCode !== undefined) {
        if (r.errCode === -1) return;
        if (r.errCode === ErrCode.TOO_LATE) {
          from = (await w.call({ verb: Verb.REV })).rev + 1;
          continue;
        }
        errorsOfWatchers++;
        continue;
      }
      if (measuring) events++;
      from = r.rev + 1;
    }
  });

  // The measured requests: every frame encoded once (tag 0 patched per request), then LoadConn.
  if (DEPTH > 127) throw new Error('--depth must be below 128 (tags are one byte)');
  const stats = new Stats(value);
  conns.forEach((c, i) => {
    c.socket.removeAllListeners('data');
    const frames = { get: [], set: [] };
    for (let k = 0; k < 50; k++) {
      const path = `/bench/c${i}/k${k}`;
      frames.get.push(frame(encodeRequest({ tag: 0, verb: Verb.GET, path })));
      frames.set.push(frame(encodeRequest({ tag: 0, verb: Verb.SET, path, value, rev: -1 })));
    }
    new LoadConn(c.socket, frames, DEPTH, stats).start();
  });

  await sleep(WARMUP * 1000);
  const counters0 = await workerCounters(debugPort);
  const cpu0 = cpuSeconds(pid);
  const threads0 = threadCpuSeconds(pid);
  const gen0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  stats.measuring = true;
  await sleep(SECONDS * 1000);
  stats.measuring = false;
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = (cpuSeconds(pid) - cpu0) / elapsed;
  const threads = threadCpuPercent(threads0, threadCpuSeconds(pid), elapsed);
  const gen = process.cpuUsage(gen0);
  const dataPlane = counterRates(counters0, await workerCounters(debugPort), elapsed);
  stop = true;
  stats.stop = true;
  for (const c of [...conns, ...watchers]) c.close();
  await Promise.all(watchLoops);
  const answered = stats.answered;
  const errors = errorsOfWatchers + stats.errors + stats.mismatches;
  const lat = { get: stats.get.subarray(0, stats.nGet).sort(), set: stats.set.subarray(0, stats.nSet).sort() };
  return {
    requestsPerSec: Math.round(answered / elapsed),
    getsPerSec: Math.round(lat.get.length / elapsed),
    setsPerSec: Math.round(lat.set.length / elapsed),
    watchEventsPerSec: Math.round(events / elapsed),
    getP50ms: +percentile(lat.get, 50).toFixed(2),
    getP99ms: +percentile(lat.get, 99).toFixed(2),
    setP50ms: +percentile(lat.set, 50).toFixed(2),
    setP99ms: +percentile(lat.set, 99).toFixed(2),
    nodeCpuPercent: Math.round(cpu * 100),
    // CPU the node spent per answered request (all its threads): steadier than requests/s on a shared machine.
    nodeCpuUsPerRequest: answered > 0 ? +((cpu * elapsed * 1e6) / answered).toFixed(1) : 0,
    // The node's busiest threads (main, the worker threads, libuv/V8 helpers), and the load generator's CPU (this process).
    threads,
    loadGeneratorCpuPercent: Math.round(((gen.user + gen.system) / 1e6 / elapsed) * 100),
    // The load generator's CPU per answered request (this process, all its threads).
    // Per second, each worker thread's data plane (batches and entries each way, wake-ups sent and received).
    dataPlane,
    loadGeneratorCpuUsPerRequest: answered > 0 ? +((gen.user + gen.system) / answered).toFixed(1) : 0,
    errors,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

export async function main() {
  const picked = PLACEMENTS.filter((p) => !ONLY || ONLY.split(',').includes(p.name));
  const chosen = BASELINE ? picked.flatMap((p) => [p, { ...p, name: `${p.name} (baseline)`, checkout: BASELINE }]) : picked;
  console.log(
    `placement benchmark: ${CONNS} connections x ${DEPTH} in flight (80% GET, 20% SET), ${WATCHERS} watchers of /bench/**, ` +
      `${SECONDS} s per run after ${WARMUP} s warm-up, ${ROUNDS} round(s); ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}`,
  );
  const runs = Object.fromEntries(chosen.map((p) => [p.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const p of chosen) {
      const node = await startNode(p.placement, p.checkout);
      try {
        const r = await runWorkload(node.port, node.child.pid, node.debugPort);
        const warnings = node.stderr().split('\n').filter((l) => l.trim() && !l.startsWith('doozerd: node '));
        if (warnings.length > 0) console.log(`  (node's warnings: ${warnings.slice(0, 5).join(' | ')})`);
        runs[p.name].push(r);
        console.log(`  round ${round} ${p.name.padEnd(BASELINE ? 24 : 13)} ${String(r.requestsPerSec).padStart(7)} req/s  cpu ${r.nodeCpuPercent}%  ${r.nodeCpuUsPerRequest} us CPU/request  [${r.threads.map((t) => `${t.thread} ${t.cpuPercent}%`).join(', ')}; load generator ${r.loadGeneratorCpuPercent}%, ${r.loadGeneratorCpuUsPerRequest} us/request]  (load average ${os.loadavg()[0].toFixed(1)})${r.errors ? `  ${r.errors} WRONG ANSWERS` : ''}`);
        for (const [w, c] of Object.entries(r.dataPlane)) console.log(`      ${w}: per second ${c.batchesOut} batches out (${c.entriesOut} entries), ${c.batchesIn} in (${c.entriesIn}), wake-ups ${c.wakesOut} out ${c.wakesIn} in`);
      } finally {
        node.child.kill(PROFILE ? 'SIGTERM' : 'SIGKILL');
        await new Promise((r) => (node.child.exitCode !== null ? r() : node.child.once('exit', r)));
      }
    }
  }
  const rows = chosen.map((p) => {
    const rs = runs[p.name];
    const m = (k) => median(rs.map((r) => r[k]));
    return {
      placement: p.name,
      about: p.about,
      threads: 1 + p.placement.workers.length + p.placement.pool,
      requestsPerSec: m('requestsPerSec'),
      getsPerSec: m('getsPerSec'),
      setsPerSec: m('setsPerSec'),
      watchEventsPerSec: m('watchEventsPerSec'),
      getP50ms: m('getP50ms'),
      getP99ms: m('getP99ms'),
      setP50ms: m('setP50ms'),
      setP99ms: m('setP99ms'),
      nodeCpuPercent: m('nodeCpuPercent'),
      nodeCpuUsPerRequest: m('nodeCpuUsPerRequest'),
      errors: rs.reduce((a, r) => a + r.errors, 0),
      runs: rs,
    };
  });
  const best = rows.reduce((a, b) => (b.requestsPerSec > a.requestsPerSec ? b : a));
  const header = ['placement', 'threads', 'req/s', 'GET/s', 'SET/s', 'watch ev/s', 'GET p50', 'GET p99', 'SET p50', 'SET p99', 'node CPU', 'CPU/req'];
  const table = rows.map((r) => [
    r.placement + (r === best ? ' *' : ''),
    String(r.threads),
    String(r.requestsPerSec),
    String(r.getsPerSec),
    String(r.setsPerSec),
    String(r.watchEventsPerSec),
    `${r.getP50ms} ms`,
    `${r.getP99ms} ms`,
    `${r.setP50ms} ms`,
    `${r.setP99ms} ms`,
    `${r.nodeCpuPercent}%`,
    `${r.nodeCpuUsPerRequest} us`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log('');
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const t of table) console.log(line(t));
  console.log(`\n* fastest (median req/s of ${ROUNDS} round(s)): ${best.placement}`);
  const result = {
    benchmark: 'placement',
    time: new Date().toISOString(),
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.release()}`, loadavg: os.loadavg() },
    ...(BASELINE ? { baseline: BASELINE } : {}),
    workload: { seconds: SECONDS, warmup: WARMUP, connections: CONNS, inFlightPerConnection: DEPTH, watchers: WATCHERS, mix: '80% GET / 20% SET', rounds: ROUNDS },
    fastest: best.placement,
    results: rows,
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const stamp = result.time.replace(/[:.]/g, '-');
  writeFileSync(join(root, `bench/results/placement-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(root, 'bench/results/placement-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote bench/results/placement-${stamp}.json`);
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

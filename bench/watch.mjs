#!/usr/bin/env node
// Watch-delivery benchmark: one node (ours, and the original doozerd when
// ../shared/ref/bin has it), 10 watchers on `/**` (each its own connection,
// in a child process), writers clobber-SETting at fixed rates. For each rate
// it reports the rate reached, the share of written events every watcher
// saw (the worst watcher counts), watchers that got TOO_LATE, and delivery
// latency (SET sent -> event seen by a watcher; the SET carries its send
// time), p50 and p99 over all watchers. The first --warmup seconds (default 1)
// run the same load but are not counted. The writers pace themselves with a
// 1 ms timer; each process's CPU share and event-loop delay are reported, so a
// starved load generator shows.
//
// Prints progress lines and a table; writes bench/results/watch-<time>.json.
// Usage: node bench/watch.mjs [--seconds N] [--rates 2500,5000,10000]
//        [--watchers N] [--window N] [--warmup S] [--skip-original]
//   --window: WAITs each watcher keeps in flight (Client.watch's window
//   option, fixed; default: Client.watch's default, 32 growing to 1024
//   while behind; 1 is the plain re-arm-at-rev+1 loop).
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client } from '../dist/client/client.js';
import { arg, freePort, until, saveResult } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(arg('seconds', 5));
const RATES = String(arg('rates', '2500,5000,10000')).split(',').map(Number);
const WATCHERS = Number(arg('watchers', 10));
/** WAITs each watcher keeps in flight; default: Client.watch's own (32, growing to 1024 while behind). */
const WINDOW = arg('window') === undefined ? undefined : Number(arg('window'));
/** Seconds of the same load before the measured ones (not counted): every process's code is compiled by then, as in a node that has been running. */
const WARMUP = Number(arg('warmup', 1));
const WRITE_CONNS = 8;
const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------
// Child role: the watchers. Reads "start <rev>" and "end <rev>" lines on
// stdin, prints one JSON line of results after "end".
if (arg('role') === 'watchers') {
  const addr = arg('addr');
  const clients = await Promise.all(Array.from({ length: WATCHERS }, () => Client.dial(addr)));
  const stats = clients.map(() => ({ tooLate: 0, revs: [], lat: [], next: 0 }));
  let from = 0;
  let endRev = Infinity;
  const dump = process.env.WATCH_DUMP ? [] : undefined;
  const dumpT0 = now();
  const runs = [];
  const watchOne = async (c, st) => {
    let rev = from;
    for (;;) {
      const w = c.watch('/**', rev, WINDOW === undefined ? {} : { window: WINDOW });
      try {
        for await (const ev of w) {
          st.next = ev.rev + 1;
          if (ev.path.startsWith('/w/') && ev.rev <= endRev) {
            const t = now();
            st.revs.push(ev.rev);
            st.lat.push(t - Number(ev.value.toString()));
            if (dump) dump.push(`${(t - dumpT0).toFixed(1)} ${ev.rev} ${(t - Number(ev.value.toString())).toFixed(2)}`);
          }
          if (ev.rev >= endRev) return;
        }
        return;
      } catch (e) {
        if (!String(e?.message ?? e).includes('TOO_LATE')) throw e;
        st.tooLate++;
        rev = (await c.rev()) + 1; // what was missed is lost
      }
    }
  };
  const rl = createInterface({ input: process.stdin });
  let cpuStart;
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  for await (const line of rl) {
    const [cmd, n] = line.split(' ');
    if (cmd === 'measure') {
      cpuStart = process.cpuUsage();
      loopDelay.reset();
    } else if (cmd === 'start') {
      from = Number(n) + 1;
      cpuStart = process.cpuUsage();
      loopDelay.enable();
      for (let i = 0; i < WATCHERS; i++) runs.push(watchOne(clients[i], stats[i]));
      process.stdout.write('ready\n');
    } else if (cmd === 'end') {
      endRev = Number(n);
      const cpu = process.cpuUsage(cpuStart);
      const deadline = Date.now() + 10_000;
      await Promise.race([Promise.all(runs), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
      // Only the events after the warm-up count.
      const measureRev = Number(line.split(' ')[2] ?? 0);
      const seen = stats.map((s) => s.revs.filter((r) => r > measureRev).length);
      const lat = stats.flatMap((s) => s.lat.filter((_, i) => s.revs[i] > measureRev)).sort((a, b) => a - b);
      const q = (f) => (lat.length ? Number(lat[Math.min(lat.length - 1, Math.floor(lat.length * f))].toFixed(2)) : null);
      if (dump) writeFileSync(process.env.WATCH_DUMP, dump.join('\n') + '\n');
      process.stdout.write(JSON.stringify({
        seen, tooLate: stats.map((s) => s.tooLate), p50: q(0.5), p99: q(0.99),
        cpuMs: (cpu.user + cpu.system) / 1000, loopDelayP99ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6,
      }) + '\n');
      process.exit(0);
    }
  }
}

// ---------------------------------------------------------------------------
// Main role.

/** The node flags on bin/doozerd's `#!/usr/bin/env -S node ...` line. */
export function launcherFlags() {
  const first = readFileSync(`${root}bin/doozerd`, 'utf8').split('\n')[0];
  return first.split(/\s+/).filter((w) => w.startsWith('--'));
}

/** Starts a node (ours, or the original binary `bin`); resolves with { addr, proc } once it takes writes. */
export async function startServer(bin, extra = []) {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const args = ['-l', addr, '-w', 'false', ...extra];
  // Ours runs as users start it: bin/doozerd with the node flags of its #! line.
  const proc = bin
    ? spawn(bin, args, { stdio: 'ignore' })
    : spawn(process.execPath, [...launcherFlags(), ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), `${root}bin/doozerd`, ...args], {
      // BENCH_SERVER_OUT=file keeps the node's output (with BENCH_NODE_ARGS=--trace-gc, its GC pauses).
      stdio: ['ignore', process.env.BENCH_SERVER_OUT ? openSync(process.env.BENCH_SERVER_OUT, 'a') : 'ignore', 'ignore'],
    });
  await until(`${addr} writable`, async () => {
    const c = await Client.dial(addr, { connectTimeoutMs: 500 });
    try {
      await c.set('/probe', -1, 'x');
      return true;
    } finally {
      await c.close();
    }
  });
  return { addr, proc };
}

export function originalBin() {
  const dir = process.env.DOOZER_REF_BIN ?? join(root, '../shared/ref/bin');
  const bin = join(dir, 'doozerd');
  return existsSync(bin) ? bin : undefined;
}

/** Stops a server started by startServer (SIGTERM, so a profiling node writes its profile; SIGKILL after 5 s). */
export async function stopServer(srv) {
  if (srv.proc.exitCode !== null || srv.proc.signalCode !== null) return;
  const exited = new Promise((r) => srv.proc.once('exit', r));
  srv.proc.kill('SIGTERM');
  const t = setTimeout(() => srv.proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

/** CPU time (user + system) a process has used, in ms (Linux /proc; clock ticks of 10 ms). */
export function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

/** One rate: watchers in a child process, writers here. */
async function runRate(addr, rate, seconds, pid) {
  const child = spawn(process.execPath, [...(process.env.BENCH_CHILD_ARGS?.split(' ').filter(Boolean) ?? []), fileURLToPath(import.meta.url), '--role', 'watchers', '--addr', addr, '--watchers', String(WATCHERS), ...(WINDOW === undefined ? [] : ['--window', String(WINDOW)])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const writers = await Promise.all(Array.from({ length: WRITE_CONNS }, () => Client.dial(addr)));
  const startRev = await writers[0].rev();
  child.stdin.write(`start ${startRev}\n`);
  await lines.next(); // ready
  let issued = 0;
  let failed = 0;
  let maxRev = startRev;
  let cpu0 = cpuMs(pid);
  let ownCpu0 = process.cpuUsage();
  const ownDelay = monitorEventLoopDelay({ resolution: 5 });
  ownDelay.enable();
  const t0 = performance.now();
  const measureAt = t0 + WARMUP * 1000;
  let measuring = WARMUP <= 0;
  let tm = t0;
  const end = measureAt + seconds * 1000;
  const inflight = new Set();
  /** Every answered SET: its rev, its latency, whether it was sent in the warm-up. */
  const setRevs = [];
  const setLat = [];
  let maxWarmRev = startRev;
  while (performance.now() < end) {
    if (!measuring && performance.now() >= measureAt) {
      measuring = true;
      tm = performance.now();
      cpu0 = cpuMs(pid);
      ownCpu0 = process.cpuUsage();
      ownDelay.reset();
      child.stdin.write('measure\n');
    }
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    while (issued < due && inflight.size < 4096) {
      const c = writers[issued % WRITE_CONNS];
      const ts = performance.now();
      const warm = !measuring;
      const p = c
        .set(`/w/${issued % 64}`, -1, String(now()))
        .then((rev) => {
          setRevs.push(rev);
          setLat.push(performance.now() - ts);
          if (rev > maxRev) maxRev = rev;
          if (warm && rev > maxWarmRev) maxWarmRev = rev;
        }, () => failed++)
        .finally(() => inflight.delete(p));
      inflight.add(p);
      issued++;
    }
    // A 1 ms timer, not a setImmediate spin: the load generator must not take a core it does not need.
    await new Promise((r) => setTimeout(r, 1));
  }
  // A server that stopped answering (the original, overloaded) does not hang the run.
  await Promise.race([Promise.all(inflight), new Promise((r) => setTimeout(r, 10_000))]);
  failed += inflight.size;
  const elapsed = (performance.now() - tm) / 1000;
  const serverCpuMs = cpuMs(pid) - cpu0;
  const ownCpu = process.cpuUsage(ownCpu0);
  ownDelay.disable();
  const endRev = Math.max(maxRev, await Promise.race([writers[0].rev(), new Promise((r) => setTimeout(() => r(0), 5000))]));
  // The measured writes: those after the last warm-up write (both sides count by rev).
  child.stdin.write(`end ${endRev} ${maxWarmRev}\n`);
  const measured = setRevs.map((r, i) => [r, setLat[i]]).filter(([r]) => r > maxWarmRev);
  const written = measured.length;
  const setLatMeasured = measured.map(([, l]) => l).sort((a, b) => a - b);
  const r = JSON.parse((await lines.next()).value);
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  if (child.exitCode === null) await new Promise((res) => child.once('exit', res));
  clearTimeout(killer);
  await Promise.all(writers.map((c) => c.close()));
  const worst = Math.min(...r.seen);
  const q = (f) => (setLatMeasured.length ? Number(setLatMeasured[Math.min(setLatMeasured.length - 1, Math.floor(setLatMeasured.length * f))].toFixed(2)) : null);
  return {
    rate,
    setsPerSec: Math.round(written / elapsed),
    written,
    failed,
    deliveredPct: Number(((100 * worst) / Math.max(1, written)).toFixed(2)),
    tooLate: r.tooLate.reduce((a, b) => a + b, 0),
    p50ms: r.p50,
    p99ms: r.p99,
    // Server CPU per write and its 10 deliveries: a figure that other load on the machine does not change much.
    serverCpuUsPerSet: Math.round((serverCpuMs * 1000) / Math.max(1, written)),
    // ...and per request answered (each SET, each WAIT that delivered an event).
    serverCpuUsPerRequest: Number(((serverCpuMs * 1000) / Math.max(1, written + r.seen.reduce((a, b) => a + b, 0))).toFixed(1)),
    setP50ms: q(0.5),
    setP99ms: q(0.99),
    // Each process's share of a core over the run, and its event-loop delay (a busy load generator skews latency).
    serverCpuPct: Math.round((serverCpuMs / 10) / elapsed),
    writersCpuPct: Math.round(((ownCpu.user + ownCpu.system) / 1e4) / elapsed),
    watchersCpuPct: Math.round((r.cpuMs / 10) / elapsed),
    // The watchers' process: CPU per event it took (10 watchers: each event 10 times).
    watchersCpuUsPerEvent: Number(((r.cpuMs * 1000) / Math.max(1, r.seen.reduce((a, b) => a + b, 0))).toFixed(1)),
    writersLoopDelayP99ms: Number((ownDelay.percentile(99) / 1e6).toFixed(1)),
    watchersLoopDelayP99ms: Number(r.loopDelayP99ms.toFixed(1)),
  };
}

/** Every rate against one server; progress on stderr. */
export async function watchWorkload(label, bin, opts = {}) {
  const seconds = opts.seconds ?? SECONDS;
  const out = [];
  for (const rate of opts.rates ?? RATES) {
    const srv = await startServer(bin);
    try {
      process.stderr.write(`watch: ${label}, ${WATCHERS} watchers, ${rate} SET/s for ${seconds} s...\n`);
      const r = await runRate(srv.addr, rate, seconds, srv.proc.pid);
      process.stderr.write(`  ${r.setsPerSec} SET/s, delivered ${r.deliveredPct}%, TOO_LATE ${r.tooLate}, p50 ${r.p50ms} ms, p99 ${r.p99ms} ms (SET p50 ${r.setP50ms} ms, p99 ${r.setP99ms} ms; server CPU ${r.serverCpuUsPerSet} µs per SET and its deliveries, ${r.serverCpuUsPerRequest} µs per request; CPU % server ${r.serverCpuPct}, writers ${r.writersCpuPct}, watchers ${r.watchersCpuPct} (${r.watchersCpuUsPerEvent} µs per event seen); loop delay p99 writers ${r.writersLoopDelayP99ms} ms, watchers ${r.watchersLoopDelayP99ms} ms)\n`);
      out.push({ server: label, ...r });
    } finally {
      await stopServer(srv);
    }
  }
  return out;
}

export function watchTable(rows) {
  const lines = [
    '| server | target SET/s | reached | delivered (worst watcher) | TOO_LATE | p50 ms | p99 ms | server CPU µs/request | watchers CPU µs/event |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(`| ${r.server} | ${r.rate} | ${r.setsPerSec} | ${r.deliveredPct}% | ${r.tooLate} | ${r.p50ms} | ${r.p99ms} | ${r.serverCpuUsPerRequest} | ${r.watchersCpuUsPerEvent} |`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}` && arg('role') === undefined) {
  const rows = [...(await watchWorkload('doozerd-ts', undefined))];
  const orig = originalBin();
  if (orig && !process.argv.includes('--skip-original')) rows.push(...(await watchWorkload('original doozerd', orig)));
  console.log(watchTable(rows));
  saveResult('watch', { seconds: SECONDS, watchers: WATCHERS, window: WINDOW ?? 'default', load: os.loadavg(), rows });
  process.exit(0);
}

#!/usr/bin/env node
// Memory benchmark: one node (ours, and the original doozerd when
// ../shared/ref/bin has it) is filled with 100,000 files of 64 bytes, then
// those files are overwritten (clobber SETs, as fast as 64 connections get
// them through, capped at --rate) for --soak-minutes. Prints the node's RSS
// (from /proc) after the fill and every 10 s of the soak; writes
// bench/results/memory-<time>.json.
// Usage: node bench/memory.mjs [--files N] [--soak-minutes M] [--rate N] [--skip-original]
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Client } from '../dist/client/client.js';
import { originalBin, startServer, stopServer } from './watch.mjs';
import { arg, saveResult } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const FILES = Number(arg('files', 100_000));
const SOAK_MINUTES = Number(arg('soak-minutes', 1));
const RATE = Number(arg('rate', 20_000));
const CONNS = 64;
const SAMPLE_MS = 10_000;
const VALUE = 'v'.repeat(64);

/** Resident set size of a process, in MB (Linux /proc). */
export function rssMB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** Writes `count` SETs over `clients` (each one in flight per connection), at most `rate` per second; stops early when `until()` says so. */
async function writeMany(clients, count, rate, name, until = () => false) {
  let next = 0;
  const t0 = performance.now();
  let done = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (next < count && !until()) {
        const i = next++;
        const ahead = i - ((performance.now() - t0) / 1000) * rate;
        if (ahead > 0) await new Promise((r) => setTimeout(r, (ahead / rate) * 1000));
        let timer;
        await Promise.race([
          c.set(name(i), -1, VALUE),
          new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('a SET got no answer in 30 s: the server stopped answering')), 30_000))),
        ]).finally(() => clearTimeout(timer));
        done++;
      }
    }),
  );
  return { done, seconds: (performance.now() - t0) / 1000 };
}

/** Fill, then soak; progress on stderr. */
export async function memoryWorkload(label, bin, opts = {}) {
  const files = opts.files ?? FILES;
  const soakMinutes = opts.soakMinutes ?? SOAK_MINUTES;
  const srv = await startServer(bin);
  try {
    const pid = srv.proc.pid;
    const clients = await Promise.all(Array.from({ length: opts.conns ?? CONNS }, () => Client.dial(srv.addr)));
    const start = rssMB(pid);
    process.stderr.write(`memory: ${label}: RSS ${start} MB empty; writing ${files} files of 64 bytes over ${clients.length} connections...\n`);
    const fill = await writeMany(clients, files, Infinity, (i) => `/m/${Math.floor(i / 1000)}/${i % 1000}`);
    const filled = rssMB(pid);
    process.stderr.write(`  ${fill.done} files in ${fill.seconds.toFixed(1)} s; RSS ${filled} MB\n`);
    if (process.env.BENCH_SNAPSHOT) {
      // With BENCH_NODE_ARGS=--heapsnapshot-signal=SIGUSR2: a heap snapshot of the filled node, in its cwd.
      srv.proc.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 15_000));
    }
    const samples = [];
    const end = performance.now() + soakMinutes * 60_000;
    let written = 0;
    const soak = writeMany(clients, Number.MAX_SAFE_INTEGER, RATE, (i) => `/m/${Math.floor((i % files) / 1000)}/${i % 1000}`, () => performance.now() >= end).then((r) => (written = r.done));
    const t0 = performance.now();
    while (end - performance.now() > 100) {
      await new Promise((r) => setTimeout(r, Math.min(SAMPLE_MS, Math.max(0, end - performance.now()))));
      const s = { seconds: Math.round((performance.now() - t0) / 1000), rssMB: rssMB(pid) };
      samples.push(s);
      process.stderr.write(`  soak ${s.seconds} s: RSS ${s.rssMB} MB\n`);
    }
    await soak;
    await Promise.all(clients.map((c) => c.close()));
    const rss = samples.map((s) => s.rssMB);
    return {
      server: label,
      files,
      emptyMB: start,
      filledMB: filled,
      soakMinutes,
      soakSetsPerSec: Math.round(written / (soakMinutes * 60)),
      soakMaxMB: Math.max(...rss),
      soakEndMB: rss[rss.length - 1],
      samples,
    };
  } finally {
    await stopServer(srv);
  }
}

export function memoryTable(rows) {
  const lines = ['| server | RSS empty | RSS with 100k files | soak: SET/s | soak: max RSS | soak: RSS at end |', '| --- | ---: | ---: | ---: | ---: | ---: |'];
  for (const r of rows) lines.push(`| ${r.server} | ${r.emptyMB} MB | ${r.filledMB} MB | ${r.soakSetsPerSec} | ${r.soakMaxMB} MB | ${r.soakEndMB} MB (${r.soakMinutes} min) |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = [await memoryWorkload('doozerd-ts', undefined)];
  const orig = originalBin();
  // The original stops answering with many writers on one node: 8 connections.
  if (orig && !process.argv.includes('--skip-original')) {
    try {
      rows.push(await memoryWorkload('original doozerd', orig, { conns: 8 }));
    } catch (e) {
      process.stderr.write(`  original doozerd: ${e.message}\n`);
    }
  }
  console.log(memoryTable(rows));
  saveResult('memory', { files: FILES, soakMinutes: SOAK_MINUTES, rate: RATE, load: os.loadavg(), rows });
  process.exit(0);
}

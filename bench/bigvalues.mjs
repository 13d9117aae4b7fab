#!/usr/bin/env node
// Large-value benchmark (docs/protocol.md "Large values"): a 3-CAL cluster of
// real doozerd processes on 127.0.0.1 (started the seed's way), then SETs of
// 64 KiB and of 1 MiB values with a few connections spread over the CALs,
// each waiting for its answer before the next. Every acknowledged value is
// on a majority of CALs and applied on the CAL it went through. Prints
// progress, then a table (SET/s, MiB/s of values acknowledged, p50 and p99
// latency), and writes bench/results/bigvalues-<time>.json.
// The original doozerd takes no value over one datagram (~2,960 bytes): it
// has no row here.
// Usage: node bench/bigvalues.mjs [--seconds N] [--conns N]
import { spawn } from 'node:child_process';

import { fileURLToPath } from 'node:url';
import { Client } from '../dist/client/client.js';
import { arg, startNode as startNodeIn, writable, saveResult } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(arg('seconds', 5));
const CONNS = Number(arg('conns', 4));
const KiB = 1024;
const MiB = 1024 * KiB;
const procs = [];

const startNode = (args) => startNodeIn(procs, args, `${root}bin/doozerd`);

/** `conns` connections over `addrs`, each writing `size`-byte values one at a time for `seconds`. */
async function load(addrs, conns, size, seconds) {
  const clients = await Promise.all(Array.from({ length: conns }, (_, i) => Client.dial(addrs[i % addrs.length], { requestTimeoutMs: 60_000 })));
  const values = Array.from({ length: conns }, (_, i) => Buffer.alloc(size, 97 + i));
  const lat = [];
  const end = Date.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, i) => {
      for (let n = 0; Date.now() < end; n++) {
        values[i][0] = n & 255; // a new body (and digest) every time
        const t = performance.now();
        await c.set(`/bench/big/${i}`, -1, values[i]);
        lat.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  lat.sort((a, b) => a - b);
  const q = (f) => Number(lat[Math.min(lat.length - 1, Math.floor(lat.length * f))].toFixed(1));
  return { conns, size, sets: lat.length, setsPerSec: Number((lat.length / elapsed).toFixed(1)), mibPerSec: Number(((lat.length * size) / MiB / elapsed).toFixed(1)), p50ms: q(0.5), p99ms: q(0.99) };
}

async function main() {
  process.stderr.write('3-CAL cluster (seed + 2 attached, slots added with SET)...\n');
  const seed = await startNode([]);
  await writable(seed);
  const others = [await startNode(['-a', seed]), await startNode(['-a', seed])];
  const c = await Client.dial(seed);
  await c.set('/ctl/cal/1', 0, '');
  await c.set('/ctl/cal/2', 0, '');
  await c.close();
  for (const a of others) await writable(a);
  const cals = [seed, ...others];
  const results = {};
  for (const [name, size, conns] of [['lone64k', 64 * KiB, 1], ['many64k', 64 * KiB, CONNS], ['lone1m', MiB, 1], ['many1m', MiB, CONNS]]) {
    process.stderr.write(`${size / KiB} KiB values, ${conns} connection(s), ${SECONDS} s...\n`);
    results[name] = await load(conns === 1 ? [seed] : cals, conns, size, SECONDS);
  }
  const rows = [
    ['64 KiB values, 1 connection', results.lone64k],
    [`64 KiB values, ${CONNS} connections over 3 CALs`, results.many64k],
    ['1 MiB values, 1 connection', results.lone1m],
    [`1 MiB values, ${CONNS} connections over 3 CALs`, results.many1m],
  ];
  console.log('| 3 CALs, large values | SET/s | MiB/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: |');
  for (const [name, r] of rows) console.log(`| ${name} | ${r.setsPerSec} | ${r.mibPerSec} | ${r.p50ms} | ${r.p99ms} |`);
  console.log('| original doozerd | refuses values over ~2,960 bytes (one consensus datagram) | | | |');
  saveResult('bigvalues', { seconds: SECONDS, conns: CONNS, results });
}

try {
  await main();
} finally {
  for (const p of procs) p.kill('SIGKILL');
}
process.exit(0);

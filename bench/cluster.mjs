#!/usr/bin/env node
// Cluster benchmark: a 3-CAL cluster of real doozerd processes on 127.0.0.1
// (started the seed's way), then
//   - lone-client SET latency (one connection, one write at a time),
//   - SET throughput with 64 connections spread over the 3 CALs,
//   - the same against a single node.
// Prints a table and writes bench/results/cluster-<time>.json.
// Usage: node bench/cluster.mjs [--seconds N] [--conns N] [--baseline DIR]
//   --baseline DIR: also measure the 3-CAL cluster of another build of this
//   project (a checkout with dist/ built, e.g. the commit before a change),
//   in the same run, so before/after numbers share the machine's load.
import { spawn } from 'node:child_process';

import { fileURLToPath } from 'node:url';
import { Client } from '../dist/client/client.js';
import { arg, startNode as startNodeIn, writable, saveResult } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const num = (name, dflt) => Number(arg(name, dflt));
const SECONDS = num('seconds', 5);
const CONNS = num('conns', 64);
const BASELINE = arg('baseline', '');
const procs = [];

const startNode = (args, bin = `${root}bin/doozerd`) => startNodeIn(procs, args, bin);

/** `conns` connections over `addrs`, each writing one SET at a time for `seconds`. */
async function load(addrs, conns, seconds) {
  const clients = await Promise.all(Array.from({ length: conns }, (_, i) => Client.dial(addrs[i % addrs.length])));
  const lat = [];
  const end = Date.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, i) => {
      while (Date.now() < end) {
        const t = performance.now();
        await c.set(`/bench/${i}`, -1, 'x'.repeat(32));
        lat.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  lat.sort((a, b) => a - b);
  const q = (f) => Number(lat[Math.min(lat.length - 1, Math.floor(lat.length * f))].toFixed(3));
  return { conns, sets: lat.length, setsPerSec: Math.round(lat.length / elapsed), p50ms: q(0.5), p99ms: q(0.99) };
}

/** A 3-CAL cluster of `bin` (the seed's way); its lone-client and many-client numbers, keys suffixed with `suffix`. */
async function cluster(bin, suffix) {
  const seed = await startNode([], bin);
  await writable(seed);
  const others = [await startNode(['-a', seed], bin), await startNode(['-a', seed], bin)];
  const c = await Client.dial(seed);
  await c.set('/ctl/cal/1', 0, '');
  await c.set('/ctl/cal/2', 0, '');
  await c.close();
  for (const a of others) await writable(a);
  const out = {
    [`clusterLone${suffix}`]: await load([seed], 1, SECONDS),
    [`clusterMany${suffix}`]: await load([seed, ...others], CONNS, SECONDS),
  };
  for (const p of procs.splice(procs.length - 3)) p.kill('SIGKILL');
  return out;
}

async function main() {
  const results = {};
  process.stderr.write('single node...\n');
  const single = await startNode([]);
  await writable(single);
  results.singleLone = await load([single], 1, SECONDS);
  results.singleMany = await load([single], CONNS, SECONDS);

  process.stderr.write('3-CAL cluster (seed + 2 attached, slots added with SET)...\n');
  Object.assign(results, await cluster(`${root}bin/doozerd`, ''));
  if (BASELINE) {
    process.stderr.write(`3-CAL cluster of the baseline build ${BASELINE}...\n`);
    Object.assign(results, await cluster(`${BASELINE}/bin/doozerd`, 'Baseline'));
  }

  const rows = [
    ['single node, 1 connection', results.singleLone],
    [`single node, ${CONNS} connections`, results.singleMany],
    ['3 CALs, 1 connection', results.clusterLone],
    [`3 CALs, ${CONNS} connections over 3 CALs`, results.clusterMany],
    ...(BASELINE
      ? [
          [`baseline: 3 CALs, 1 connection`, results.clusterLoneBaseline],
          [`baseline: 3 CALs, ${CONNS} connections over 3 CALs`, results.clusterManyBaseline],
        ]
      : []),
  ];
  console.log('| workload | SET/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: |');
  for (const [name, r] of rows) console.log(`| ${name} | ${r.setsPerSec} | ${r.p50ms} | ${r.p99ms} |`);
  saveResult('cluster', { seconds: SECONDS, conns: CONNS, ...(BASELINE ? { baseline: BASELINE } : {}), results });
}

try {
  await main();
} finally {
  for (const p of procs) p.kill('SIGKILL');
}
process.exit(0);

#!/usr/bin/env node
// Data-plane benchmark: the cost of moving actor messages between the main
// thread and a worker thread, alone (no sockets, no actors), for the two
// transports the runtime has had:
//   - port: MessagePort.postMessage of an array of entries (structured clone
//     on both sides; the data plane before the rings),
//   - ring: src/runtime/data-plane.ts (wire-codec.ts encoding into a
//     SharedArrayBuffer ring each way, Atomics wake-ups).
// The main thread sends batches of B client-read entries, keeping 4 batches
// in flight; the worker answers each batch with one batch of replies (64-byte
// values). Measured: round trips (entries) per second and the process's CPU
// (both threads) per entry, in microseconds. CPU per entry is the number to
// trust on a shared machine; entries/s moves with the machine's load.
//
// Usage: node bench/dataplane.mjs [--seconds N] [--batches 1,16,256] [--rounds N]
// Prints a table and writes bench/results/dataplane-<time>.json (and dataplane-latest.json).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, isMainThread, workerData } from 'node:worker_threads';
import { DataPlane, createDataRings } from '../dist/runtime/data-plane.js';
import { arg } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(arg('seconds', 2));
const BATCHES = String(arg('batches', '1,16,256')).split(',').map(Number);
const ROUNDS = Number(arg('rounds', 3));
const IN_FLIGHT = 4;

function reply(e) {
  const m = e[1];
  return ['m', m.replyTo, { type: 'reply', tag: m.tag, response: { tag: m.tag, rev: 1234, value: new Uint8Array(64) } }, 'store'];
}

if (!isMainThread) {
  // The worker: answer every batch with a batch of replies, on the transport it was given.
  if (workerData.kind === 'port') {
    const port = workerData.port;
    port.on('message', (batch) => port.postMessage(batch.map(reply)));
  } else {
    const plane = new DataPlane(workerData.rings.up, workerData.rings.down, (batch) => plane.send(batch.map(reply)));
    plane.start();
    setInterval(() => {}, 1 << 30);
  }
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

/** One run: `kind` transport, batches of `size` entries, for SECONDS. */
async function run(kind, size) {
  let send;
  let worker;
  let plane;
  let onBatch = () => {};
  if (kind === 'port') {
    const { port1, port2 } = new MessageChannel();
    worker = new Worker(new URL(import.meta.url), { workerData: { kind, port: port2 }, transferList: [port2] });
    port1.on('message', (b) => onBatch(b));
    send = (b) => port1.postMessage(b);
  } else {
    const rings = createDataRings();
    plane = new DataPlane(rings.down, rings.up, (b) => onBatch(b));
    plane.start();
    worker = new Worker(new URL(import.meta.url), { workerData: { kind, rings } });
    send = (b) => plane.send(b);
  }
  await new Promise((r) => worker.once('online', r));
  let tag = 0;
  const batch = () =>
    Array.from({ length: size }, () => {
      tag++;
      return ['store', { type: 'read', op: 'get', path: `/bench/c${tag % 64}/k${tag % 50}`, replyTo: `client-session:${tag % 64}@127.0.0.1:4${tag % 64}00`, tag }, tag];
    });
  let entries = 0;
  let measuring = false;
  let stop = false;
  let outstanding = 0;
  let drained;
  onBatch = (b) => {
    if (measuring) entries += b.length;
    outstanding--;
    if (!stop) {
      outstanding++;
      send(batch());
    } else if (outstanding === 0) drained?.();
  };
  for (let i = 0; i < IN_FLIGHT; i++) {
    outstanding++;
    send(batch());
  }
  await new Promise((r) => setTimeout(r, 300));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  stop = true;
  await new Promise((r) => {
    drained = r;
    if (outstanding === 0) r();
  });
  plane?.close();
  await worker.terminate();
  const cpuUs = cpu.user + cpu.system;
  return { entriesPerSec: Math.round(entries / elapsed), cpuUsPerEntry: +(cpuUs / Math.max(1, entries)).toFixed(2), cpuPercent: Math.round((cpuUs / 1e6 / elapsed) * 100) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function main() {
  console.log(`data-plane benchmark: batches of ${BATCHES.join(', ')} entries, ${IN_FLIGHT} batches in flight, ${SECONDS} s per run, ${ROUNDS} round(s), transports interleaved; ${os.cpus().length} cores, node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const rows = [];
  for (const size of BATCHES) {
    const runs = { port: [], ring: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of ['port', 'ring']) runs[kind].push(await run(kind, size));
    }
    for (const kind of ['port', 'ring']) {
      const rs = runs[kind];
      const row = { transport: kind, batch: size, entriesPerSec: median(rs.map((x) => x.entriesPerSec)), cpuUsPerEntry: median(rs.map((x) => x.cpuUsPerEntry)), cpuPercent: median(rs.map((x) => x.cpuPercent)), runs: rs };
      rows.push(row);
      console.log(`  batch ${String(size).padStart(3)} ${kind}: ${String(row.entriesPerSec).padStart(8)} entries/s  ${String(row.cpuUsPerEntry).padStart(6)} us CPU/entry  (runs: ${rs.map((x) => `${x.entriesPerSec}/${x.cpuUsPerEntry}`).join(', ')})`);
    }
  }
  console.log('');
  console.log('| batch | transport | round trips/s | CPU per round trip |');
  console.log('| ---: | --- | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.batch} | ${r.transport === 'port' ? 'MessagePort (structured clone)' : 'ring + codec'} | ${r.entriesPerSec} | ${r.cpuUsPerEntry} us |`);
  const result = { benchmark: 'dataplane', time: new Date().toISOString(), machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() }, seconds: SECONDS, rounds: ROUNDS, inFlight: IN_FLIGHT, results: rows };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const stamp = result.time.replace(/[:.]/g, '-');
  writeFileSync(join(root, `bench/results/dataplane-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(root, 'bench/results/dataplane-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote bench/results/dataplane-${stamp}.json`);
  process.exit(0);
}

#!/usr/bin/env node
// `npm run bench`: the placement benchmark (bench/placement.mjs), the
// data-plane benchmark (bench/dataplane.mjs: the cross-thread transport
// alone, MessagePort vs ring), the
// cluster benchmark (bench/cluster.mjs), the durable-write benchmark against
// etcd (bench/durable.mjs), watch delivery at fixed write rates
// (bench/watch.mjs), the memory soak (bench/memory.mjs), the last two
// also against the original doozerd when ../shared/ref/bin has it, and large
// values of 64 KiB and 1 MiB in a 3-CAL cluster (bench/bigvalues.mjs); each if
// present. --seconds N goes to every one but dataplane (watch: seconds per rate),
// --conns N to placement, cluster and durable, --rates a,b,c and --window N
// to watch, --baseline DIR (another built checkout, measured in the same
// run: before/after numbers) to cluster, --soak-minutes M (default 1; 10 for the long soak) and
// --files N to memory, --skip-original to watch and memory; other options go
// to the placement benchmark only. --skip-placement / --skip-dataplane / --skip-cluster /
// --skip-durable / --skip-watch / --skip-memory / --skip-bigvalues leave one out. Each prints
// progress and its table and writes its JSON under bench/results/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const args = process.argv.slice(2);
const skip = (what) => args.includes(`--skip-${what}`);
const options = args.filter((a) => !a.startsWith('--skip-') || a === '--skip-original');
const original = args.includes('--skip-original') ? ['--skip-original'] : [];
/** The `--name value` pairs of `options` whose name is in `names`. */
const only = (names) => options.flatMap((a, i) => (names.includes(a) && i + 1 < options.length ? [a, options[i + 1]] : []));

/** Options of the watch and memory benchmarks, kept away from the placement benchmark. */
const OWN = ['--rates', '--window', '--soak-minutes', '--files', '--baseline'];
const runs = [
  ['placement', 'placement.mjs', options.filter((a, i) => !OWN.includes(a) && !OWN.includes(options[i - 1]) && a !== '--skip-original')],
  ['dataplane', 'dataplane.mjs', []],
  ['cluster', 'cluster.mjs', only(['--seconds', '--conns', '--baseline'])],
  ['durable', 'durable.mjs', only(['--seconds', '--conns'])],
  ['watch', 'watch.mjs', [...only(['--seconds', '--rates', '--window']), ...original]],
  ['memory', 'memory.mjs', [...only(['--soak-minutes', '--files']), ...original]],
  ['bigvalues', 'bigvalues.mjs', only(['--seconds'])],
];
let failed = false;
for (const [name, file, argv] of runs) {
  if (skip(name) || !existsSync(here(file))) continue;
  console.log(`\n=== ${name} benchmark (bench/${file}) ===`);
  const r = spawnSync(process.execPath, [here(file), ...argv], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);

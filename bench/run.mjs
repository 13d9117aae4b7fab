#!/usr/bin/env node
// `npm run bench`: the placement benchmark (bench/placement.mjs), then the
// cluster benchmark (bench/cluster.mjs) and the durable-write benchmark
// against etcd (bench/durable.mjs) if present. --seconds N and
// --conns N go to both, other options to the placement benchmark only;
// --skip-placement / --skip-cluster leave one out. Each prints its table and
// writes its JSON under bench/results/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const args = process.argv.slice(2);
const skip = (what) => args.includes(`--skip-${what}`);
const options = args.filter((a) => !a.startsWith('--skip-'));
/** The `--name value` pairs of `options` whose name is in `names`. */
const only = (names) => options.flatMap((a, i) => (names.includes(a) && i + 1 < options.length ? [a, options[i + 1]] : []));

const runs = [
  ['placement', 'placement.mjs', options],
  ['cluster', 'cluster.mjs', only(['--seconds', '--conns'])],
  ['durable', 'durable.mjs', only(['--seconds', '--conns'])],
];
let failed = false;
for (const [name, file, argv] of runs) {
  if (skip(name) || !existsSync(here(file))) continue;
  console.log(`\n=== ${name} benchmark (bench/${file}) ===`);
  const r = spawnSync(process.execPath, [here(file), ...argv], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);

// Runs the deterministic cluster simulation over many seeds.
//
//   npm run sim -- --seeds 1000 [--start S] [--cals 3,5,7] [--verbose] [--trace]
//                  [--fill MS] (fill delay; 1 makes every instance contested) [--no-fast]
//
// Prints progress and a summary; a failing seed prints the one-line command
// that replays it. Exit status 1 if any seed failed.

import { reproCommand, runSim, type SimResult } from './cluster.js';
import { setLogLevel } from '../runtime/log.js';

// The nodes' actors log as on a real node; a run of thousands of seeds shows only errors.
setLogLevel('error');

interface Args {
  seeds: number;
  start: number;
  cals: number[];
  verbose: boolean;
  trace: boolean;
  fill?: number;
  fast: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { seeds: 100, start: 1, cals: [3, 5, 7], verbose: false, trace: false, fast: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    const num = (): number => {
      const n = Number(v);
      if (!Number.isSafeInteger(n)) throw new Error(`${k} wants an integer, got ${v}`);
      i++;
      return n;
    };
    switch (k) {
      case '--seeds':
        a.seeds = num();
        break;
      case '--start':
        a.start = num();
        break;
      case '--cals':
        a.cals = (v ?? '').split(',').map((x) => Number(x));
        if (a.cals.some((c) => !Number.isSafeInteger(c) || c < 1)) throw new Error(`--cals wants a list like 3,5,7`);
        i++;
        break;
      case '--verbose':
      case '-v':
        a.verbose = true;
        break;
      case '--trace':
        a.trace = true;
        break;
      case '--fill':
        a.fill = num();
        break;
      case '--no-fast':
        a.fast = false;
        break;
      default:
        throw new Error(`unknown argument ${k} (use --seeds N --start S --cals 3,5,7 --fill MS --no-fast --verbose --trace)`);
    }
  }
  return a;
}

function extraFlags(a: Args): string {
  return (a.fill !== undefined ? ` --fill ${a.fill}` : '') + (a.fast ? '' : ' --no-fast');
}

function main(): number {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const t0 = Date.now();
  const failed: SimResult[] = [];
  let runs = 0;
  let writes = 0;
  let maxConverge = 0;
  let virtualMs = 0;
  for (const cals of args.cals) {
    const tc = Date.now();
    let fails = 0;
    for (let i = 0; i < args.seeds; i++) {
      const seed = args.start + i;
      const r = runSim({ seed, cals, trace: args.trace, fastPath: args.fast, ...(args.fill !== undefined ? { fillDelayMs: args.fill } : {}) });
      runs++;
      writes += r.writesAcked;
      virtualMs += r.virtualMs;
      if (r.convergeMs > maxConverge) maxConverge = r.convergeMs;
      if (args.verbose) {
        console.log(
          `seed ${seed} cals ${cals}: ${r.ok ? 'ok' : 'FAIL'} rev ${r.rev} writes ${r.writesAcked}/${r.writesIssued} ` +
            `converged in ${r.convergeMs.toFixed(0)}ms, ${r.net.sent} datagrams (${r.scenario})`,
        );
      }
      if (args.trace) for (const line of r.trace) console.log('  ' + line);
      if (!r.ok) {
        fails++;
        failed.push(r);
        console.log(`FAIL seed ${seed} cals ${cals} (${r.scenario})`);
        for (const f of r.failures) console.log(`  ${f}`);
        console.log(`  reproduce: ${reproCommand(seed, cals)}${extraFlags(args)}`);
      }
      if (!args.verbose && (i + 1) % 100 === 0) {
        console.log(`cals ${cals}: ${i + 1}/${args.seeds} seeds, ${fails} failed, ${((Date.now() - tc) / 1000).toFixed(1)}s`);
      }
    }
    console.log(`cals ${cals}: ${args.seeds} seeds done, ${fails} failed, ${((Date.now() - tc) / 1000).toFixed(1)}s`);
  }
  console.log(
    `summary: ${runs} runs, ${failed.length} failed, ${writes} writes acknowledged, ` +
      `${(virtualMs / 1000).toFixed(0)}s virtual, slowest convergence after healing ${maxConverge.toFixed(0)}ms, ` +
      `${((Date.now() - t0) / 1000).toFixed(1)}s wall`,
  );
  for (const r of failed) console.log(`  failed: ${reproCommand(r.seed, r.cals)}${extraFlags(args)}`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = main();

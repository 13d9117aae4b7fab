// Fuzz real doozerd processes from the command line.
//
//   npm run fuzz -- --target client|udp|ctl|all [--seed S] [--cases N] [--seeds K]
//   npm run fuzz -- --replay test-artifacts/fuzz/<file>.json
//
// Exit status 1 if any session found a problem; each failure prints the
// one-line command that replays it.
import { readFileSync } from 'node:fs';
import { runFuzz, type FuzzCase, type FuzzTarget } from './fuzz.js';
import { killAll } from './procs.js';

async function main(argv: string[]): Promise<number> {
  let targets: FuzzTarget[] = ['client', 'udp', 'ctl'];
  let seed = 1;
  let seeds = 1;
  let cases = 200;
  let replay: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[++i];
    if (k === '--target') targets = v === 'all' ? targets : [v as FuzzTarget];
    else if (k === '--seed') seed = Number(v);
    else if (k === '--seeds') seeds = Number(v);
    else if (k === '--cases') cases = Number(v);
    else if (k === '--replay') replay = v;
    else throw new Error(`unknown argument ${k} (use --target client|udp|ctl|all --seed S --seeds K --cases N, or --replay FILE)`);
  }
  const log = (l: string): void => void process.stderr.write(l + '\n');
  if (replay) {
    const saved = JSON.parse(readFileSync(replay, 'utf8')) as { target: FuzzTarget; seed: number; cases: FuzzCase[] };
    const r = await runFuzz({ target: saved.target, seed: saved.seed, cases: saved.cases, log });
    console.log(r.ok ? `replay passed (${r.cases} cases)${r.known.length ? `; known issues: ${r.known.join(', ')}` : ''}` : `replay failed:\n${r.problems.join('\n')}`);
    return r.ok ? 0 : 1;
  }
  let failed = 0;
  for (const target of targets) {
    for (let s = seed; s < seed + seeds; s++) {
      const r = await runFuzz({ target, seed: s, cases, log });
      if (r.known.length) console.log(`fuzz ${target} seed ${s}: known issue hit (fixed on main): ${r.known.join(', ')}`);
      if (r.ok) {
        console.log(`fuzz ${target} seed ${s}: ok, ${r.cases} cases`);
      } else {
        failed++;
        console.log(`fuzz ${target} seed ${s}: FAILED\n${r.problems.join('\n')}\nreplay: node dist/torture/fuzz-cli.js --replay ${r.saved}`);
      }
    }
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  async (code) => {
    await killAll();
    process.exit(code);
  },
  async (e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : String(e));
    await killAll();
    process.exit(2);
  },
);

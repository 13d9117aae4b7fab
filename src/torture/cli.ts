// A torture run anyone can repeat:
//
//   npm run torture -- --minutes 30 [--seed S] [--clients-per-node K] [--no-net] [--no-data] [--kinds a,b,...]
//
// Prints a progress line every few seconds and a summary; the report
// (history, faults, verdict) goes to results/torture/<time>-seed<S>/. Exit
// status 1 on a failed or inconclusive verdict, with the replay command.
// (Real processes and real time: the same seed gives the same fault schedule
// and workload choices, not the same interleaving.)
import { runTorture } from './run.js';
import { killAll } from './procs.js';

async function main(argv: string[]): Promise<number> {
  let minutes = 1;
  let seed = Math.floor(Math.random() * 1e6);
  let perNode = 1;
  let net = true;
  let data = true;
  let results: string | undefined;
  let kinds: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--minutes') minutes = Number(v());
    else if (k === '--seed') seed = Number(v());
    else if (k === '--clients-per-node') perNode = Number(v());
    else if (k === '--results') results = v();
    else if (k === '--no-net') net = false;
    else if (k === '--no-data') data = false;
    else if (k === '--kinds') kinds = v().split(',').filter(Boolean);
    else throw new Error(`unknown argument ${k} (use --minutes N --seed S --clients-per-node K --results DIR --no-net --no-data --kinds a,b)`);
  }
  if (!(minutes > 0) || !Number.isSafeInteger(seed)) throw new Error('--minutes wants a positive number, --seed an integer');
  const r = await runTorture({
    seed, durationMs: minutes * 60_000, clientsPerNode: perNode, netFaults: net, data, resultsDir: results, ...(kinds ? { kinds } : {}),
    log: (l) => void process.stderr.write(l + '\n'),
  });
  console.log(r.summary);
  return r.verdict === 'pass' ? 0 : 1;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void killAll().finally(() => process.exit(130));
  });
}

main(process.argv.slice(2)).then(
  async (code) => {
    await killAll();
    process.exit(code);
  },
  async (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    await killAll();
    process.exit(2);
  },
);

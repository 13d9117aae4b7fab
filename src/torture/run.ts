// One torture run: a 3-CAL cluster of real bin/doozerd processes, a seeded
// schedule of faults (partitions, one-way cuts, packet loss, SIGSTOP, kill -9
// and restart), the recorded workload, then healing and the checkers:
// linearizability, watch streams, acknowledged writes, convergence, crashes.
// Writes a report folder (history.jsonl, faults.log, report.txt,
// verdict.json) and returns the verdict.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '../client/client.js';
import { Prng } from '../sim/prng.js';
import { checkHistory } from '../check/linearizability.js';
import { checkAcknowledgedWrites, checkLogAgainstStore, checkWatchStreams, canReplay, type StoreSnapshot } from '../check/watch.js';
import { checkConvergence, storeDigest, type NodeSample } from '../check/convergence.js';
import { describeOp } from '../check/history.js';
import { iptablesAvailable, NetFaults } from './nemesis.js';
import { freePort, REPO_ROOT, sleep, startDoozerd, until, type Doozerd } from './procs.js';
import { deadline } from './fuzz.js';
import { Recorder, Watcher, Worker } from './workload.js';

export interface TortureOptions {
  seed: number;
  /** Length of the fault phase in ms. */
  durationMs: number;
  /**
   * Keep the fault phase going past durationMs until this many faults have
   * run (default 0): a loaded machine fits fewer into the same time, and a
   * bounded run must still exercise its faults. At most 3 × durationMs in all.
   */
  minFaults?: number;
  /** Registers per generation, and how long a generation lasts (ms) before the workload moves to fresh files. */
  registers?: number;
  generationMs?: number;
  /** Clients per node. */
  clientsPerNode?: number;
  /** Mean pause between a client's ops in ms (default 5). */
  thinkMs?: number;
  /** Report folder root (default results/torture). */
  resultsDir?: string;
  /** Progress lines. */
  log?: (line: string) => void;
  /** How long the cluster gets to be back at 3 writable CALs after the last fault (default 60 s). */
  healMs?: number;
  /** Nodes keep their state in -data dirs (in the report folder) and a killed node restarts from
   * its disk as itself (default true); false: it restarts empty, as a new node attaching. */
  data?: boolean;
  /** Use iptables network faults when available (default true). */
  netFaults?: boolean;
  /** Draw faults from these kinds only (default NET_FAULT_KINDS, or PROCESS_FAULT_KINDS without iptables). */
  kinds?: readonly string[];
}

export interface TortureResult {
  verdict: 'pass' | 'fail' | 'inconclusive';
  problems: string[];
  /** Instances of known findings (fixed elsewhere), kept apart from problems. */
  known: string[];
  dir: string;
  ops: number;
  faults: number;
  replay: string;
  summary: string;
  /** Faults by kind (NET_FAULT_KINDS / PROCESS_FAULT_KINDS). */
  faultsByKind: Record<string, number>;
  /** Packets the iptables rules matched, by protocol (undefined without network faults). */
  matched?: { udp: number; tcp: number };
}

/** Fault kinds with iptables (repeats weigh the draw), and without. */
export const NET_FAULT_KINDS = ['isolate', 'isolate-all', 'one-way', 'loss', 'pause', 'kill', 'kill-tcp', 'tcp-cut', 'tcp-one-way', 'tcp-reset', 'isolate', 'loss', 'removed-tcp'] as const;
export const PROCESS_FAULT_KINDS = ['pause', 'kill', 'pause'] as const;

const TIMEOUT_S = 4; // -timeout: a silent CAL is removed after this many seconds

/** Runs one torture run; never throws for a verdict (only for a broken setup). */
export async function runTorture(o: TortureOptions): Promise<TortureResult> {
  const log = o.log ?? (() => undefined);
  const prng = new Prng(o.seed);
  const faultRng = prng.fork();
  const runId = `${o.seed.toString(36)}${Date.now().toString(36)}`.slice(-10);
  const dir = join(o.resultsDir ?? join(REPO_ROOT, 'results/torture'), `${new Date().toISOString().replace(/[:.]/g, '-')}-seed${o.seed}`);
  mkdirSync(dir, { recursive: true });
  const replay = `npm run torture -- --seed ${o.seed} --minutes ${+(o.durationMs / 60_000).toFixed(2)}${o.kinds?.length ? ` --kinds ${o.kinds.join(',')}` : ''}`;
  const faultsLog: string[] = [];
  const problems: string[] = [];
  const known: string[] = [];
  const t0 = Date.now();
  const note = (line: string): void => {
    faultsLog.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`);
  };

  const useNet = (o.netFaults ?? true) && iptablesAvailable();
  const unknownKinds = (o.kinds ?? []).filter((k) => !(NET_FAULT_KINDS as readonly string[]).includes(k));
  if (unknownKinds.length) throw new Error(`unknown fault kinds ${unknownKinds.join(', ')}: use some of ${[...new Set(NET_FAULT_KINDS)].join(', ')}`);
  if (!useNet && o.kinds?.some((k) => !(PROCESS_FAULT_KINDS as readonly string[]).includes(k))) throw new Error(`network fault kinds need root and iptables: only ${[...new Set(PROCESS_FAULT_KINDS)].join(', ')} here`);
  const net24 = useNet ? `127.${100 + (o.seed % 100)}.${1 + Math.floor(Math.random() * 250)}` : '127.0.0';
  const hosts = useNet ? [11, 12, 13].map((x) => `${net24}.${x}`) : ['127.0.0.1', '127.0.0.1', '127.0.0.1'];
  const netf = useNet ? new NetFaults(net24, runId) : undefined;
  if (!useNet) note('network faults unavailable (needs root and iptables): process faults only');

  const nodes: (Doozerd | undefined)[] = [];
  const addrs: string[] = [];
  const args = ['-timeout', String(TIMEOUT_S), '-hist', '100000'];
  const rec = new Recorder();
  const workers: Worker[] = [];
  const watchers: Watcher[] = [];
  const expectedExit = new Set<Doozerd>();
  const crashed: string[] = [];
  let generation = 0;
  const nregs = o.registers ?? 3;
  const registers = (): string[] => Array.from({ length: nregs }, (_, i) => `/t/g${generation}/r${i}`);
  const allRegs = new Set<string>();
  let faults = 0;
  const byKind = new Map<string, number>();

  const watchExit = (d: Doozerd): void => {
    void d.exited.then((st) => {
      if (!expectedExit.has(d)) {
        crashed.push(`${d.addr} exited unexpectedly (code ${st.code}, signal ${st.signal}); stderr tail:\n${d.stderr().split('\n').slice(-12).join('\n')}`);
      }
    });
  };
  const useData = o.data ?? true;
  const started = new Set<number>();
  const start = async (i: number, attachTo?: string): Promise<Doozerd> => {
    // With -data, a node that ran before restarts from its disk as itself (no -a).
    const again = useData && started.has(i);
    const dataArgs = useData ? ['-data', join(dir, `node${i}-data`)] : [];
    const attach = attachTo && !again ? ['-a', attachTo] : [];
    const d = await startDoozerd(hosts[i]!, Number(addrs[i]!.split(':')[1]), [...args, ...dataArgs, ...attach], 20_000, { DOOZERD_LOG: 'info' });
    started.add(i);
    const file = join(dir, `node${i}.stderr`);
    appendFileSync(file, `--- ${new Date().toISOString()} started ${d.addr} (pid ${d.pid})${attachTo ? ` attached to ${attachTo}` : ''}\n`);
    d.child.stderr!.on('data', (s: string) => appendFileSync(file, s));
    nodes[i] = d;
    watchExit(d);
    return d;
  };
  // Every call to a node has a deadline: a node cut from the quorum never answers a write.
  const dial = async <T>(addr: string, fn: (c: Client) => Promise<T>, ms = 5000): Promise<T> => {
    const c = await Client.dial(addr, { connectTimeoutMs: 2000 });
    try {
      return await deadline(fn(c), ms, `a request to ${addr}`);
    } finally {
      await c.close().catch(() => undefined);
    }
  };

  const port = (k: number): number => Number(addrs[k]!.split(':')[1]);
  /** Drop or reset all TCP between nodes a and b, both ways (connections either opened to the other's client port). */
  const tcpBetween = (a: number, b: number, how: 'drop' | 'reset' | 'half-open'): void => {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      if (how === 'reset') netf!.tcpReset(hosts[x]!, hosts[y]!, port(y));
      else if (how === 'half-open') netf!.tcpReset(hosts[x]!, hosts[y]!, port(y), 'answers');
      else {
        netf!.tcpCut(hosts[x]!, hosts[y]!, port(y));
        netf!.tcpCutAnswers(hosts[x]!, hosts[y]!, port(y));
      }
    }
  };

  /** true once there are 3 CALs, each with its address registered, each answering a write; else the reason. */
  const recovered = async (ms: number): Promise<true | string> => {
    let last = '';
    try {
      await until('3 writable CALs', async () => {
        const ids = await dial(addrs[0]!, async (c) => (await c.walkAll('/ctl/cal/*')).map((e) => e.value.toString()).filter(Boolean));
        if (ids.length !== 3) {
          last = `${ids.length} CALs`;
          return false;
        }
        for (const id of ids) {
          const a = await dial(addrs[0]!, (c) => c.get(`/ctl/node/${id}/addr`));
          if (a.rev === 0) {
            last = `CAL ${id} has no /ctl/node/${id}/addr`;
            return false;
          }
        }
        for (const a of addrs) await dial(a, (c) => c.set('/t-ready', -1, a));
        return true;
      }, ms, 200);
      return true;
    } catch (e) {
      return `${last || (e as Error).message}`;
    }
  };

  try {
    netf?.install();
    for (let i = 0; i < 3; i++) addrs.push(`${hosts[i]}:${await freePort(hosts[i]!)}`);
    await start(0);
    await Promise.all([start(1, addrs[0]), start(2, addrs[0])]);
    await dial(addrs[0]!, async (c) => {
      await c.set('/ctl/cal/1', 0, '');
      await c.set('/ctl/cal/2', 0, '');
    });
    await until('3 writable CALs', async () => {
      for (const a of addrs) await dial(a, (c) => c.set('/t-ready', -1, a));
      return true;
    }, 30_000, 200);
    note(`cluster up: ${addrs.join(', ')}`);

    // Watchers: the seed's from rev 1 (it holds the whole history), the others from now.
    watchers.push(new Watcher(`watch /** on node0`, () => addrs[0]!, 1));
    for (let i = 1; i < 3; i++) watchers.push(new Watcher(`watch /** on node${i}`, () => addrs[i]!));
    for (const w of watchers) w.start();
    const perNode = o.clientsPerNode ?? 1;
    for (let i = 0; i < 3; i++) {
      for (let k = 0; k < perNode; k++) {
        workers.push(new Worker({ name: `c${i}${k}`, addr: () => addrs[i]!, registers, prng: prng.fork(), rec, opTimeoutMs: 5000, thinkMs: o.thinkMs ?? 5 }));
      }
    }
    for (const r of registers()) allRegs.add(r);
    for (const w of workers) w.start();

    // The fault schedule.
    const end = Date.now() + o.durationMs;
    const genMs = o.generationMs ?? 60_000;
    let nextGen = Date.now() + genMs;
    let lastProgress = 0;
    const stopped = new Set<number>();
    const hardEnd = end + 2 * o.durationMs;
    while (Date.now() < end || (faults < (o.minFaults ?? 0) && Date.now() < hardEnd)) {
      if (Date.now() > nextGen) {
        generation++;
        for (const r of registers()) allRegs.add(r);
        nextGen = Date.now() + genMs;
      }
      // One fault at a time, and only on a whole cluster: a doozer cluster that is down to two
      // CALs loses its quorum for good when one more fails (by design: removing a CAL takes a
      // quorum too), so the next fault waits until all 3 CALs are back and writable.
      const back = await recovered(15_000);
      if (back !== true) {
        const why = `the cluster did not get back to 3 writable CALs within 15 s of the last fault: ${back}`;
        problems.push(why);
        note(why);
        break;
      }
      const kinds = o.kinds?.length ? o.kinds : useNet ? NET_FAULT_KINDS : PROCESS_FAULT_KINDS;
      const kind = faultRng.pick(kinds);
      const i = faultRng.int(3);
      const j = (i + 1 + faultRng.int(2)) % 3;
      const holdMs = 1000 + faultRng.int(5000);
      faults++;
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      let restart: (() => Promise<void>) | undefined;
      switch (kind as (typeof NET_FAULT_KINDS)[number]) {
        case 'isolate':
          for (const k of [0, 1, 2].filter((x) => x !== i)) {
            netf!.cut(hosts[i]!, hosts[k]!);
            netf!.cut(hosts[k]!, hosts[i]!);
          }
          note(`isolate node${i} (${addrs[i]}) from the others for ${holdMs} ms; its clients still reach it`);
          break;
        case 'isolate-all':
          for (const k of [0, 1, 2].filter((x) => x !== i)) {
            netf!.cut(hosts[i]!, hosts[k]!);
            netf!.cut(hosts[k]!, hosts[i]!);
            tcpBetween(i, k, 'drop');
          }
          note(`isolate node${i} (${addrs[i]}) from the others, UDP and TCP, for ${holdMs} ms; its clients still reach it`);
          break;
        case 'one-way':
          netf!.cut(hosts[i]!, hosts[j]!);
          note(`one-way: drop node${i} -> node${j} for ${holdMs} ms`);
          break;
        case 'removed-tcp': {
          // Cut node i's consensus UDP until the others remove it (past -timeout): it goes on as a
          // slave that follows a CAL and asks, through it, for a slot again, all over TCP. Then the
          // UDP heals and its TCP to the others is dropped, reset or half-open instead.
          const how = faultRng.pick(['drop', 'reset', 'half-open'] as const);
          const id = await dial(addrs[j]!, async (c) => (await c.walkAll('/ctl/node/*/addr')).find((e) => e.value.toString() === addrs[i])?.path.split('/')[3]).catch(() => undefined);
          for (const k of [0, 1, 2].filter((x) => x !== i)) {
            netf!.cut(hosts[i]!, hosts[k]!);
            netf!.cut(hosts[k]!, hosts[i]!);
          }
          const removed = id !== undefined && await until('the others to remove the cut-off node', async () =>
            !(await dial(addrs[j]!, (c) => c.walkAll('/ctl/cal/*'))).some((e) => e.value.toString() === id), 20_000, 250).then(() => true, () => false);
          netf!.heal();
          for (const k of [0, 1, 2].filter((x) => x !== i)) tcpBetween(i, k, how);
          note(`cut node${i}'s UDP ${removed ? 'until the others removed it' : 'for 20 s (it was not removed)'}; then ${how} its TCP to the others (following, asking for a slot) for ${holdMs} ms`);
          break;
        }
        case 'tcp-cut':
          for (const k of [0, 1, 2].filter((x) => x !== i)) tcpBetween(i, k, 'drop');
          note(`drop all TCP between node${i} and the others (consensus UDP passes) for ${holdMs} ms`);
          break;
        case 'tcp-one-way':
          netf!.tcpCut(hosts[i]!, hosts[j]!, port(j));
          netf!.tcpCut(hosts[j]!, hosts[i]!, port(i));
          note(`one-way TCP: drop node${i}'s segments to node${j} (its requests on connections it opened, its answers on node${j}'s) for ${holdMs} ms`);
          break;
        case 'tcp-reset': {
          // Both ends reset, or only the server's (half-open: the client end is not told).
          const how = faultRng.pick(['reset', 'half-open'] as const);
          for (const k of [0, 1, 2].filter((x) => x !== i)) tcpBetween(i, k, how);
          note(`reset (tcp-reset) every TCP connection between node${i} and the others, mid-stream, ${how === 'reset' ? 'both ends' : "the server's end only (half-open)"}, for ${holdMs} ms`);
          break;
        }
        case 'loss': {
          const p = 0.1 + faultRng.next() * 0.4;
          netf!.loss(p);
          note(`lose ${Math.round(p * 100)}% of consensus datagrams for ${holdMs} ms`);
          break;
        }
        case 'pause':
          nodes[i]!.child.kill('SIGSTOP');
          stopped.add(i);
          note(`SIGSTOP node${i} for ${holdMs} ms`);
          break;
        case 'kill':
        case 'kill-tcp': {
          // Never the seed: its watcher holds the log from rev 1.
          const v = i === 0 ? j : i;
          const d = nodes[v]!;
          expectedExit.add(d);
          await d.kill();
          let early: Promise<Doozerd> | undefined;
          if (kind === 'kill-tcp') {
            // Restart at once, while its TCP to the others is dropped or reset: catching up
            // (or attaching) and following start under the fault, and it heals mid-copy.
            const how = faultRng.pick(['drop', 'reset', 'half-open'] as const);
            for (const k of [0, 1, 2].filter((x) => x !== v)) tcpBetween(v, k, how);
            note(`kill -9 node${v}; ${how} its TCP to the others for ${holdMs} ms and restart it at once under that`);
            const live = [0, 1, 2].filter((x) => x !== v).map((x) => addrs[x]!);
            early = sleep(200).then(() => start(v, live[0]));
            early.catch(() => undefined);
          } else {
            note(`kill -9 node${v}; restart it on the same address ${useData ? 'from its -data' : 'as a new node'} after ${holdMs} ms`);
          }
          restart = async () => {
            const live = [0, 1, 2].filter((x) => x !== v).map((x) => addrs[x]!);
            if (early) {
              try {
                await early;
                note(`node${v} restarted under the TCP fault`);
                return;
              } catch (e) {
                // Without -data it must attach, which it cannot while cut off: it exits with an
                // error at start (as it should), and is started again now that the fault healed.
                note(`node${v} could not start under the TCP fault (${(e as Error).message.split('\n')[0]}); starting it again`);
                if (useData) problems.push(`restarting node${v} from its -data under a TCP fault failed: ${(e as Error).message.split('\n')[0]}`);
              }
            }
            try {
              await start(v, live[0]);
              note(`node${v} restarted ${useData ? 'from its -data' : `(attached to ${live[0]})`}`);
            } catch (e) {
              problems.push(`restarting node${v} failed: ${(e as Error).message.split('\n')[0]}`);
            }
          };
          break;
        }
      }
      await sleep(holdMs);
      netf?.heal();
      for (const s of stopped) nodes[s]?.child.kill('SIGCONT');
      stopped.clear();
      if (restart) await restart();
      note('healed');
      await sleep(1000 + faultRng.int(2000));
      if (Date.now() - lastProgress > 5000) {
        lastProgress = Date.now();
        const c = rec.counts();
        log(`torture seed ${o.seed}: ${Math.round((Date.now() - t0) / 1000)}s, ${faults} faults, ${c.ops} ops (${c.ok} ok, ${c.fail} failed, ${c.unknown} unknown), rev ${watchers[0]!.lastRev()}, ${crashed.length} crashes`);
      }
    }

    // Heal everything and let the cluster settle.
    netf?.heal();
    for (const d of nodes) d?.child.kill('SIGCONT');
    for (let i = 0; i < 3; i++) if (!nodes[i] || nodes[i]!.exit()) await start(i, addrs[(i + 1) % 3]).catch((e: Error) => problems.push(`final restart of node${i}: ${e.message}`));
    note('final heal');
    for (const w of workers) await w.stop();
    // Every node must serve writes again (as a CAL) or reads (as a slave); 3 CALs again.
    const healed = await recovered(o.healMs ?? 60_000);
    if (healed !== true) problems.push(`after healing, the cluster did not get back to 3 writable CALs: ${healed}`);

    // Final linearizable reads of every register through every node.
    const finalReaders = addrs.map((a, i) => new Worker({ name: `final${i}`, addr: () => a, registers, prng: prng.fork(), rec, opTimeoutMs: 10_000 }));
    for (const r of [...allRegs]) for (const w of finalReaders) await w.linearizableRead(r);
    await Promise.all(finalReaders.map((w) => w.stop()));

    // Convergence at one rev.
    let samples: NodeSample[] = [];
    let finalStore: StoreSnapshot | undefined;
    const conv = await until('every node at the same rev with the same store', async () => {
      const revs = await Promise.all(addrs.map((a) => dial(a, (c) => c.rev())));
      const rev = Math.max(...revs);
      samples = await Promise.all(addrs.map((a) => dial(a, async (c) => {
        await c.get('/ctl/name', rev); // waits for the node to reach rev (deadline of dial)
        const walked = await c.walkAll('/**', rev);
        if (a === addrs[0]) finalStore = { rev, files: new Map(walked.map((e) => [e.path, { rev: e.rev, value: e.value.toString() }])) };
        const files = walked.map((e) => ({ path: e.path, rev: e.rev, value: e.value.toString('hex') }));
        return { node: a, rev, digest: storeDigest(files), files: files.length };
      }, 15_000)));
      return checkConvergence(samples, addrs, rev).length === 0 ? rev : false;
    }, 60_000, 500).catch(() => undefined);
    if (conv === undefined) problems.push(...(samples.length ? checkConvergence(samples, addrs, 0) : ['no convergence sample: a node did not answer']));

    // Let the watchers reach the final rev, then stop them.
    if (finalStore) await until('watchers at the final rev', async () => watchers[0]!.lastRev() >= finalStore!.rev, 20_000).catch(() => undefined);
    for (const w of watchers) await w.stop();

    // Judge.
    const streams = watchers.flatMap((w) => w.segments);
    const ws = checkWatchStreams(streams);
    // A SET acknowledged OK that the log shows failed is a problem like any
    // other (it was a known finding, fixed: test/e2e/torture-findings.test.ts).
    const history = rec.history;
    const lin = checkHistory(history, { maxStepsPerFile: 5_000_000 });
    problems.push(...lin.problems);
    if (lin.verdict === 'inconclusive') note(`linearizability search ran out of budget on ${lin.files.filter((f) => f.verdict === 'inconclusive').map((f) => f.path).join(', ')}`);
    problems.push(...ws.problems);
    let replayed = 'not checked';
    if (finalStore) {
      if (canReplay(ws.log, finalStore.rev)) {
        problems.push(...checkLogAgainstStore(ws.log, finalStore));
        replayed = `replayed ${finalStore.rev} revs`;
      }
      problems.push(...checkAcknowledgedWrites(history, ws.log, finalStore));
    }
    problems.push(...crashed);

    const c = rec.counts();
    const verdict: TortureResult['verdict'] = problems.length ? 'fail' : lin.verdict === 'inconclusive' ? 'inconclusive' : 'pass';
    const summary = [
      `torture seed ${o.seed}: ${verdict.toUpperCase()}`,
      `  ${Math.round((Date.now() - t0) / 1000)} s, ${faults} faults (${useNet ? 'iptables network faults + process faults' : 'process faults only'}; ${useData ? 'nodes with -data' : 'no -data'}), ${c.ops} ops: ${c.ok} ok, ${c.fail} failed, ${c.unknown} unknown`,
      `  faults by kind: ${[...byKind].sort().map(([k, n]) => `${k} ${n}`).join(', ')}${netf ? `; iptables rules matched ${netf.matched.udp} UDP and ${netf.matched.tcp} TCP packets` : ''}`,
      `  linearizability: ${lin.verdict} over ${lin.files.length} files (max ${Math.max(0, ...lin.files.map((f) => f.steps))} search steps)`,
      `  watch streams: ${streams.length} segments, ${streams.reduce((k, s) => k + s.events.length, 0)} events; final store ${replayed}`,
      `  convergence: ${conv !== undefined ? `all 3 nodes at rev ${conv}, same digest` : 'NOT converged'}; crashes: ${crashed.length}`,
      ...(known.length ? [`  known issues (test/e2e/torture-findings.test.ts): ${known.length}`, ...known.slice(0, 5).map((k) => `    ${k}`)] : []),
      ...(problems.length ? ['  problems:', ...problems.slice(0, 30).map((p) => `    ${p}`)] : []),
      `  report: ${dir}`,
      ...(verdict !== 'pass' ? [`  replay: ${replay}`] : []),
    ].join('\n');
    writeFileSync(join(dir, 'history.jsonl'), rec.history.map((op) => JSON.stringify({ ...op, complete: op.complete === Infinity ? null : op.complete })).join('\n') + '\n');
    writeFileSync(join(dir, 'history.txt'), rec.history.map(describeOp).join('\n') + '\n');
    writeFileSync(join(dir, 'faults.log'), faultsLog.join('\n') + '\n');
    writeFileSync(join(dir, 'report.txt'), summary + '\n');
    writeFileSync(join(dir, 'verdict.json'), JSON.stringify({ seed: o.seed, verdict, problems, known, ops: c, faults, faultsByKind: Object.fromEntries(byKind), matched: netf?.matched, durationS: Math.round((Date.now() - t0) / 1000), files: lin.files, replay }, null, 1));
    return { verdict, problems, known, dir, ops: c.ops, faults, replay, summary, faultsByKind: Object.fromEntries(byKind), ...(netf ? { matched: { ...netf.matched } } : {}) };
  } finally {
    for (const w of workers) await w.stop().catch(() => undefined);
    for (const w of watchers) await w.stop().catch(() => undefined);
    netf?.heal();
    for (const d of nodes) {
      if (d) {
        expectedExit.add(d);
        await d.kill();
      }
    }
    netf?.uninstall();
  }
}

// Deterministic simulation of a cluster: N nodes, each running the node's
// real actors (store, acceptor, learner, proposer, liveness, slave-watcher,
// pulse) on a real ActorHost (src/sim/sim-node.ts), over a simulated network,
// on one virtual clock (src/sim/sim-clock.ts). Everything random comes from
// one seed, so a failing seed replays exactly.
//
// A run has two phases:
//   chaos  client writes at random nodes while the network loses, duplicates,
//          delays and reorders datagrams, partitions come and go and nodes
//          pause; on some seeds a CAL is removed from /ctl/cal and put back
//          (it follows as a slave meanwhile, and its slave-watcher may win
//          the slot back itself), on some seeds garbage is written to /ctl.
//   heal   faults end (no loss, no partition, no pause; delays and
//          duplicates stay), a few more writes, and the run waits until every
//          write is answered and every node has applied the same rev.
// Checked on every seed:
//   - no two different values applied at one seqn, on any nodes;
//   - every acknowledged write was chosen exactly once, at the seqn reported,
//     and its file has that rev; a write refused (READONLY) was never chosen;
//     one whose outcome was unknown was chosen at most once;
//   - all stores are equal at equal revs (final and sampled older revs);
//   - after healing, every write is answered and all nodes reach the same
//     rev within a bound of virtual time.

import type { ActorFactory } from '../runtime/actor.js';
import type { ProposedMessage } from '../actors/proposer-messages.js';
import { bytesEqual, type PaxosMsg } from '../actors/paxos/types.js';
import type { StoreFile } from '../actors/store/store.js';
import { ALPHA } from '../wire/limits.js';
import { SimNetwork, type NetConditions, type NetStats } from './network.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimClock } from './sim-clock.js';
import { SimNode, type SimWorld } from './sim-node.js';
import { VERSION } from '../wire/version.js';

export interface SimOptions {
  seed: number;
  /** Number of nodes, all CALs at the start. */
  cals: number;
  /** Length of the chaos phase, virtual ms (default: 1000..2500 from the seed). */
  chaosMs?: number;
  /** Client writes during chaos (default: 15..40 from the seed). */
  writes?: number;
  /** Faults during chaos (default true). */
  faults?: boolean;
  /** Remove a CAL and put it back during chaos (default: from the seed). */
  churn?: boolean;
  /** Client writes of garbage into /ctl during chaos: slots naming no node, binary ids, malformed addresses (default: from the seed). */
  ctlGarbage?: boolean;
  /** After healing, how long (virtual ms) the cluster gets to converge. */
  healBoundMs?: number;
  alpha?: number;
  fillDelayMs?: number;
  fastPath?: boolean;
  /** Override the network conditions drawn from the seed for the chaos phase. */
  conditions?: Partial<NetConditions>;
  /** Collect a trace of events (for debugging one seed). */
  trace?: boolean;
  /** Actor kinds to run instead of the real ones (a test plants a bug in one). */
  kinds?: Record<string, ActorFactory>;
  /**
   * Which nodes register a version of ours (/ctl/node/<id>/version), per node
   * index; the others look like original nodes to their peers (they get LEARN,
   * no batched datagrams, no next-rotation fills). Default from the seed: all
   * on most seeds, a random mix or none on some.
   */
  ours?: boolean[];
  /** Liveness -timeout, virtual ms (default 60000: longer than a run, so no CAL is removed for silence). */
  timeoutMs?: number;
}

export interface SimResult {
  seed: number;
  cals: number;
  ok: boolean;
  failures: string[];
  scenario: string;
  /** Virtual time at the end, ms. */
  virtualMs: number;
  /** Virtual ms from healing until convergence (-1 if it did not converge). */
  convergeMs: number;
  rev: number;
  writesIssued: number;
  writesAcked: number;
  /** Virtual ms from proposing to acknowledgement: mean and max over acknowledged writes. */
  ackMeanMs: number;
  ackMaxMs: number;
  net: NetStats;
  trace: string[];
}


type Outcome = 'pending' | 'ok' | 'refused' | 'unknown' | 'error';

interface WriteRec {
  tag: number;
  node: number;
  value: Uint8Array;
  path: string;
  /** Shares its value with another write. */
  dupValue: boolean;
  issuedAt: number;
  /** When it was last sent (a write refused as "not writable yet" is sent again). */
  sentAt: number;
  outcome: Outcome;
  seqn: number;
  ackAt: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** A write refused because its node is not writable yet is sent again after this long (virtual ms), as a client would. */
const RETRY_MS = 20;

export class SimCluster implements SimWorld {
  readonly sched = new Scheduler();
  readonly rng: Prng;
  readonly net: SimNetwork;
  readonly nodes: SimNode[] = [];
  private readonly byAddr = new Map<string, SimNode>();
  private readonly decidedValues = new Map<number, Uint8Array>();
  private readonly writes: WriteRec[] = [];
  private readonly writeByTag = new Map<number, WriteRec>();
  readonly failures: string[] = [];
  readonly trace: string[] = [];
  private readonly alpha: number;
  private readonly opts: SimOptions;
  private bootRev = 0;
  private writeSeq = 0;
  private nextTag = 1;
  /** Nodes that take client writes (the churned node never does). */
  private writers: SimNode[] = [];
  /** Per node index: registered a version of ours (SimOptions.ours). */
  private ours: boolean[] = [];
  private healed = false;
  private done = false;

  constructor(opts: SimOptions) {
    this.opts = opts;
    this.alpha = opts.alpha ?? ALPHA;
    this.rng = new Prng(opts.seed * 7919 + opts.cals);
    const netRng = this.rng.fork();
    this.net = new SimNetwork(netRng, this.sched, (to, from, m) => this.byAddr.get(to)?.deliver(from, m));
    this.boot();
  }

  // ------------------------------------------------------------ SimWorld

  send(from: string, to: string, m: PaxosMsg): void {
    this.net.send(from, to, m);
  }

  decided(seqn: number): Uint8Array | undefined {
    return this.decidedValues.get(seqn);
  }

  nodeAt(addrs: readonly string[]): SimNode | undefined {
    for (const a of addrs) {
      const n = this.byAddr.get(a);
      if (n && !n.clock.paused) return n;
    }
    return undefined;
  }

  applied(node: SimNode, seqn: number, mutation: Uint8Array): void {
    const prev = this.decidedValues.get(seqn);
    if (prev === undefined) this.decidedValues.set(seqn, mutation);
    else if (!bytesEqual(prev, mutation)) this.fail(`two values for seqn ${seqn}: node ${node.idx} applied ${show(mutation)}, another applied ${show(prev)}`);
    if (this.opts.trace) this.trace.push(`${this.sched.now.toFixed(3)} n${node.idx} apply ${seqn} ${show(mutation)}`);
  }

  answered(node: SimNode, m: ProposedMessage): void {
    const rec = this.writeByTag.get(m.tag);
    if (rec === undefined) {
      this.fail(`node ${node.idx} answered unknown write ${m.tag}`);
      return;
    }
    if (rec.outcome !== 'pending') {
      this.fail(`write ${show(rec.value)} answered twice`);
      return;
    }
    if (this.opts.trace) this.trace.push(`${this.sched.now.toFixed(3)} n${node.idx} answer ${m.tag} ${'err' in m ? `${m.err.code} ${m.err.text}` : `at ${m.seqn}`}`);
    if ('err' in m) {
      if (m.err.code === 'READONLY') {
        // Refused before it was proposed: never chosen. Not writable yet: a client tries again.
        if (/not writable yet/.test(m.err.text) && !this.done) {
          this.sched.after(RETRY_MS, () => {
            rec.sentAt = this.sched.now;
            node.write(rec.value, rec.tag);
          });
          return;
        }
        rec.outcome = 'refused';
      } else if (/may or may not/.test(m.err.text)) {
        rec.outcome = 'unknown';
      } else {
        rec.outcome = 'error'; // chosen, and the store refused the mutation (a mismatch, a bad path)
      }
      rec.ackAt = this.sched.now;
      return;
    }
    rec.outcome = 'ok';
    rec.seqn = m.seqn;
    rec.ackAt = this.sched.now;
    const v = this.decidedValues.get(m.seqn);
    if (v === undefined || !bytesEqual(v, rec.value)) {
      this.fail(`write ${show(rec.value)} acknowledged at seqn ${m.seqn} which holds ${v ? show(v) : 'nothing'}`);
    }
  }

  fatal(node: SimNode, reason: string): void {
    this.fail(`node ${node.idx} gave up: ${reason}`);
  }

  every(ms: number, fn: () => void): void {
    const tick = (): void => {
      if (this.done) return;
      fn();
      this.sched.after(ms, tick);
    };
    this.sched.after(ms, tick);
  }

  // ------------------------------------------------------------ setup

  private boot(): void {
    const n = this.opts.cals;
    const ids = new Set<string>();
    const made: { id: string; addr: string }[] = [];
    for (let i = 0; i < n; i++) {
      let id = '';
      do {
        id = '';
        for (let j = 0; j < 16; j++) id += B32[this.rng.int(32)];
      } while (ids.has(id));
      ids.add(id);
      made.push({ id, addr: `10.0.0.${i + 1}:8046` });
    }
    const boot: string[] = ['-1:/ctl/name=sim'];
    for (const m of made) boot.push(`-1:/ctl/node/${m.id}/addr=${m.addr}`);
    // Its own generator, so the rest of a seed's scenario does not depend on this draw.
    const oursRng = new Prng(this.opts.seed * 7919 + n + 104729);
    const mode = oursRng.int(5);
    this.ours = this.opts.ours ?? made.map(() => (mode === 0 ? false : mode === 1 ? oursRng.chance(0.5) : true));
    made.forEach((m, i) => {
      if (this.ours[i]) boot.push(`-1:/ctl/node/${m.id}/version=${VERSION}`);
    });
    made.forEach((m, i) => boot.push(`-1:/ctl/cal/${i}=${m.id}`));
    this.bootRev = boot.length;
    made.forEach((m, i) => {
      // Each node's clock has its own origin and rate: the actors must only use differences.
      const offset = this.rng.chance(0.5) ? 0 : this.rng.range(0, 1e9);
      const rate = this.rng.range(0.9, 1.1);
      const clock = new SimClock(this.sched, this.rng.fork(), offset, rate);
      const node = new SimNode(
        {
          idx: i, id: m.id, addr: m.addr, alpha: this.alpha, fillDelayMs: this.opts.fillDelayMs ?? 100,
          ...(this.opts.fastPath !== undefined ? { fastPath: this.opts.fastPath } : {}),
          timeoutMs: this.opts.timeoutMs ?? 60_000, pulseMs: 1000, clock, boot: boot.map((b) => enc.encode(b)),
          ...(this.opts.kinds ? { kinds: this.opts.kinds } : {}),
        },
        this,
      );
      this.nodes.push(node);
      this.byAddr.set(m.addr, node);
    });
  }

  private fail(msg: string): void {
    if (this.failures.length < 20) this.failures.push(`t=${this.sched.now.toFixed(1)}ms ${msg}`);
  }

  // ------------------------------------------------------------ workload & faults

  private write(node: SimNode, valueStr: string, path: string, dupValue: boolean): void {
    const value = enc.encode(valueStr);
    const tag = this.nextTag++;
    const rec: WriteRec = { tag, node: node.idx, value, path, dupValue, issuedAt: this.sched.now, sentAt: this.sched.now, outcome: 'pending', seqn: -1, ackAt: -1 };
    this.writes.push(rec);
    this.writeByTag.set(tag, rec);
    if (this.opts.trace) this.trace.push(`${this.sched.now.toFixed(3)} n${node.idx} write ${tag} ${valueStr}`);
    node.write(value, tag);
  }

  private clientWrite(): void {
    const live = this.writers.filter((n) => !n.clock.paused);
    if (live.length === 0) return;
    const node = this.rng.pick(live);
    const mine = this.writes.filter((w) => w.node === node.idx && !w.path.startsWith('/ctl/'));
    if (mine.length > 0 && this.rng.chance(0.05)) {
      // Same bytes as an earlier write of this node: still two writes.
      const w = this.rng.pick(mine);
      w.dupValue = true;
      this.write(node, dec.decode(w.value), w.path, true);
      return;
    }
    const k = this.writeSeq++;
    const path = `/w/n${node.idx}/k${k}`;
    const len = this.rng.int(40);
    let body = '';
    for (let i = 0; i < len; i++) body += B32[this.rng.int(32)];
    this.write(node, `-1:${path}=${body}`, path, false);
  }

  private pause(node: SimNode, ms: number): void {
    if (node.clock.paused) return;
    node.clock.pause();
    if (this.opts.trace) this.trace.push(`${this.sched.now.toFixed(3)} n${node.idx} pause ${ms.toFixed(1)}ms`);
    this.sched.after(ms, () => node.clock.resume());
  }

  // ------------------------------------------------------------ the run

  run(): SimResult {
    const o = this.opts;
    const rng = this.rng;
    const n = o.cals;
    const faults = o.faults ?? true;
    const churn = o.churn ?? (n >= 3 && rng.chance(0.3));
    const chaosMs = o.chaosMs ?? rng.range(1000, 2500);
    const nWrites = o.writes ?? 15 + rng.int(26);
    const healBound = o.healBoundMs ?? 30000;
    const churned = churn ? this.nodes[n - 1]! : null;
    this.writers = this.nodes.filter((x) => x !== churned);
    const garbage = o.ctlGarbage ?? rng.chance(0.3);

    const scenario: string[] = [`cals=${n}`, `ours=${this.ours.map((x) => (x ? 1 : 0)).join('')}`, `writes=${nWrites}`, `chaos=${chaosMs.toFixed(0)}ms`];
    if (faults) {
      const c = this.net.conditions;
      c.loss = rng.chance(0.2) ? 0 : rng.range(0, 0.25);
      c.dup = rng.chance(0.3) ? 0 : rng.range(0, 0.1);
      c.minDelayMs = rng.range(0.02, 0.5);
      c.maxDelayMs = c.minDelayMs + (rng.chance(0.3) ? rng.range(0.1, 2) : rng.range(1, 40));
      if (rng.chance(0.5)) {
        c.tail = rng.range(0, 0.05);
        c.tailMs = rng.range(50, 400);
      }
      if (o.conditions !== undefined) Object.assign(c, o.conditions);
      scenario.push(
        `loss=${c.loss.toFixed(2)} dup=${c.dup.toFixed(2)} delay=${c.minDelayMs.toFixed(2)}..${c.maxDelayMs.toFixed(1)}ms` +
          (c.tail > 0 ? ` tail=${c.tail.toFixed(3)}x${c.tailMs.toFixed(0)}ms` : ''),
      );
      // Partitions.
      const nParts = rng.int(4);
      for (let i = 0; i < nParts; i++) {
        const at = rng.range(0, chaosMs);
        const dur = rng.range(20, 1200);
        const side = this.nodes.filter(() => rng.chance(0.5)).map((x) => x.opts.addr);
        const other = this.nodes.map((x) => x.opts.addr).filter((a) => !side.includes(a));
        this.sched.at(at, () => {
          this.net.partition([side, other]);
          if (o.trace) this.trace.push(`${this.sched.now.toFixed(3)} partition ${side.join(',')} | ${other.join(',')}`);
        });
        this.sched.at(Math.min(at + dur, chaosMs), () => {
          if (!this.healed) this.net.heal();
        });
      }
      scenario.push(`partitions=${nParts}`);
      // Pauses.
      const nPauses = rng.int(2 * n);
      for (let i = 0; i < nPauses; i++) {
        const at = rng.range(0, chaosMs);
        const node = rng.pick(this.nodes);
        const dur = rng.chance(0.5) ? rng.range(1, 50) : rng.range(50, 1500);
        this.sched.at(at, () => this.pause(node, Math.min(dur, Math.max(0, chaosMs - this.sched.now))));
      }
      scenario.push(`pauses=${nPauses}`);
    }
    // Client writes.
    for (let i = 0; i < nWrites; i++) {
      const at = rng.chance(0.3) ? rng.range(0, 50) : rng.range(0, chaosMs);
      this.sched.at(at, () => this.clientWrite());
    }
    if (garbage) {
      // What any client can write into /ctl (issue 8): none of it may crash a
      // node or stop the cluster (it must not even count towards a quorum).
      scenario.push('ctl-garbage');
      for (const m of CTL_GARBAGE) {
        this.sched.at(rng.range(0, chaosMs), () => {
          const w = this.writers.find((x) => !x.clock.paused) ?? this.writers[0]!;
          this.write(w, m, m.slice(3, m.indexOf('=')), true);
        });
      }
    }
    if (churned !== null) {
      const t1 = rng.range(0, chaosMs * 0.6);
      const t2 = t1 + rng.range(50, chaosMs * 0.4);
      const slot = churned.idx;
      scenario.push(`churn=n${slot}`);
      this.sched.at(t1, () => {
        const w = this.writers.find((x) => !x.clock.paused) ?? this.writers[0]!;
        this.write(w, `-1:/ctl/cal/${slot}=`, `/ctl/cal/${slot}`, true);
      });
      this.sched.at(t2, () => {
        const w = this.writers.find((x) => !x.clock.paused) ?? this.writers[0]!;
        this.write(w, `-1:/ctl/cal/${slot}=${churned.opts.id}`, `/ctl/cal/${slot}`, true);
      });
    }

    // Chaos.
    this.sched.runUntil(chaosMs);

    // Heal.
    this.healed = true;
    this.net.heal();
    this.net.conditions.loss = 0;
    this.net.conditions.tail = 0;
    for (const node of this.nodes) node.clock.resume();
    const healAt = this.sched.now;
    const extra = 1 + rng.int(3);
    for (let i = 0; i < extra; i++) this.sched.at(healAt + rng.range(0, 30), () => this.clientWrite());

    let convergeMs = -1;
    const deadline = healAt + healBound;
    while (this.sched.now < deadline) {
      this.sched.runUntil(Math.min(deadline, this.sched.now + 10));
      if (this.sched.now >= healAt + 100 && this.converged()) {
        convergeMs = this.sched.now - healAt;
        break;
      }
      if (this.failures.length > 0) break;
    }
    this.done = true;
    if (convergeMs < 0 && this.failures.length === 0) {
      const revs = this.nodes.map((x) => x.rev).join(',');
      const unanswered = this.writes.filter((w) => w.outcome === 'pending').length;
      this.fail(`no convergence ${healBound}ms after healing: revs ${revs}, ${unanswered} writes unanswered`);
    }
    if (this.failures.length === 0) this.finalChecks();
    const acked = this.writes.filter((w) => w.outcome === 'ok');

    return {
      seed: o.seed,
      cals: n,
      ok: this.failures.length === 0,
      failures: this.failures,
      scenario: scenario.join(' '),
      virtualMs: this.sched.now,
      convergeMs,
      rev: Math.max(...this.nodes.map((x) => x.rev)),
      writesIssued: this.writes.length,
      writesAcked: acked.length,
      ackMeanMs: acked.length ? acked.reduce((a, w) => a + w.ackAt - w.sentAt, 0) / acked.length : 0,
      ackMaxMs: acked.reduce((a, w) => Math.max(a, w.ackAt - w.sentAt), 0),
      net: this.net.stats,
      trace: this.trace,
    };
  }

  private converged(): boolean {
    if (this.writes.some((w) => w.outcome === 'pending')) return false;
    const rev = this.nodes[0]!.rev;
    for (const node of this.nodes) if (node.rev !== rev) return false;
    for (const w of this.writes) if (w.seqn > rev) return false;
    return true;
  }

  private finalChecks(): void {
    const rev = this.nodes[0]!.rev;
    // Every node applied the decided value at every seqn.
    for (const node of this.nodes) {
      for (let s = this.bootRev + 1; s <= rev; s++) {
        const ev = node.mirror.event(s);
        const v = this.decidedValues.get(s);
        if (ev === undefined || v === undefined || !bytesEqual(ev.mutation, v)) {
          this.fail(`node ${node.idx} applied ${ev ? show(ev.mutation) : 'nothing'} at ${s}, decided ${v ? show(v) : 'nothing'}`);
          return;
        }
      }
    }
    // Writes: chosen as often as their answers say, acknowledged ones at the seqn reported.
    const counts = new Map<string, number>();
    for (let s = this.bootRev + 1; s <= rev; s++) {
      const key = dec.decode(this.decidedValues.get(s)!);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const atLeast = new Map<string, number>();
    const atMost = new Map<string, number>();
    for (const w of this.writes) {
      const key = dec.decode(w.value);
      const sure = w.outcome === 'ok' || w.outcome === 'error' ? 1 : 0;
      const maybe = sure + (w.outcome === 'unknown' ? 1 : 0);
      atLeast.set(key, (atLeast.get(key) ?? 0) + sure);
      atMost.set(key, (atMost.get(key) ?? 0) + maybe);
    }
    for (const [key, lo] of atLeast) {
      const got = counts.get(key) ?? 0;
      const hi = atMost.get(key)!;
      if (got < lo || got > hi) this.fail(`write ${key} chosen ${got} times, ${lo === hi ? lo : `${lo}..${hi}`} expected from its answers`);
    }
    const seqns = new Set<number>();
    for (const w of this.writes) {
      if (w.outcome !== 'ok') continue;
      if (seqns.has(w.seqn)) this.fail(`two writes acknowledged at seqn ${w.seqn}`);
      seqns.add(w.seqn);
      if (w.dupValue) continue;
      for (const node of this.nodes) {
        const f = node.mirror.get(w.path);
        if (f.rev !== w.seqn) {
          this.fail(`node ${node.idx}: ${w.path} has rev ${f.rev}, write acknowledged at ${w.seqn}`);
          break;
        }
      }
    }
    // Stores equal at equal revs: now, and at sampled older revs.
    const samples = [rev];
    for (let i = 0; i < 4; i++) samples.push(this.bootRev + this.rng.int(rev - this.bootRev + 1));
    for (const r of samples) {
      const want = filesKey(this.nodes[0]!.mirror.files(r));
      for (const node of this.nodes.slice(1)) {
        if (filesKey(node.mirror.files(r)) !== want) this.fail(`stores of nodes 0 and ${node.idx} differ at rev ${r}`);
      }
    }
  }
}

/** Client writes into /ctl that name no usable node (mutations, rev -1). */
const CTL_GARBAGE = [
  '-1:/ctl/cal/90=NOSUCHNODE',
  '-1:/ctl/cal/91=\u0000\u00ff:/x',
  '-1:/ctl/node/FAKE1/addr=garbage',
  '-1:/ctl/cal/92=FAKE1',
  '-1:/ctl/node/FAKE2/addr=127.0.0.1:0',
  '-1:/ctl/cal/93=FAKE2',
  `-1:/ctl/cal/94=${'Y'.repeat(500)}`,
];

function filesKey(files: StoreFile[]): string {
  return files.map((f) => `${f.path}@${f.rev}=${dec.decode(f.body)}`).join('\n');
}

function show(v: Uint8Array): string {
  const s = dec.decode(v.subarray(0, 60));
  return JSON.stringify(v.length > 60 ? s + '...' : s);
}

/** Run one seed. */
export function runSim(opts: SimOptions): SimResult {
  return new SimCluster(opts).run();
}

/** The command that replays one seed. */
export function reproCommand(seed: number, cals: number): string {
  return `npm run sim -- --seeds 1 --start ${seed} --cals ${cals}`;
}

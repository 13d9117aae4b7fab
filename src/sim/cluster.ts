// Deterministic simulation of a cluster: N nodes, each the pure consensus
// core (Manager) plus a Store, over a simulated network, on a virtual clock.
// Everything random comes from one seed, so a failing seed replays exactly.
//
// A run has two phases:
//   chaos  client writes at random nodes while the network loses, duplicates,
//          delays and reorders datagrams, partitions come and go and nodes
//          pause; on some seeds a CAL is removed from /ctl/cal and put back.
//   heal   faults end (no loss, no partition, no pause; delays and
//          duplicates stay), a few more writes (one of them at least 500 ms
//          later, as a real cluster's periodic writes), and the run waits until every
//          write is acknowledged and every node has applied the same rev.
// Checked on every seed:
//   - no two different values learned for one seqn, on any node;
//   - no node reports one seqn twice;
//   - every acknowledged write was chosen exactly once, at the seqn reported,
//     and its file has that rev;
//   - all stores are equal at equal revs (final and sampled older revs);
//   - after healing, every write is acknowledged and all nodes reach the same
//     rev within a bound of virtual time.

import { Manager } from '../actors/paxos/manager.js';
import { bytesEqual, Cmd, type Cal, type Learned, type PaxosMsg, type Written } from '../actors/paxos/types.js';
import { Store, type StoreFile } from '../actors/store/store.js';
import { calListOf, calSlots } from '../actors/store/ctl.js';
import { SimNetwork, type NetConditions, type NetStats } from './network.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';

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

interface WriteRec {
  node: number;
  id: number;
  value: Uint8Array;
  path: string;
  /** Shares its value with another write. */
  dupValue: boolean;
  issuedAt: number;
  seqn: number;
  ackAt: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

class SimNode {
  manager!: Manager;
  readonly store = new Store({ hist: 100000 });
  readonly pending = new Map<number, Uint8Array>();
  readonly reported = new Set<number>();
  cals: Cal[] = [];
  /** Whether this node is a CAL of instance n (recorded when opened). */
  readonly calOf = new Map<number, boolean>();
  paused = false;
  inbox: { from: string; m: PaxosMsg }[] = [];
  tickDue = false;
  timerAt = Infinity;
  /** The node's clock: local = virtual * clockRate + clockOffset. */
  clockOffset = 0;
  clockRate = 1;

  constructor(
    readonly idx: number,
    readonly id: string,
    readonly addr: string,
  ) {}
}

export class SimCluster {
  readonly sched = new Scheduler();
  readonly rng: Prng;
  readonly net: SimNetwork;
  readonly nodes: SimNode[] = [];
  private readonly byAddr = new Map<string, SimNode>();
  private readonly decided = new Map<number, Uint8Array>();
  private readonly writes: WriteRec[] = [];
  private readonly writeByKey = new Map<string, WriteRec>();
  readonly failures: string[] = [];
  readonly trace: string[] = [];
  private readonly alpha: number;
  private readonly opts: SimOptions;
  private bootRev = 0;
  private writeSeq = 0;
  /** Nodes that take client writes (the churned node never does). */
  private writers: SimNode[] = [];
  private healed = false;
  private done = false;

  constructor(opts: SimOptions) {
    this.opts = opts;
    this.alpha = opts.alpha ?? 50;
    this.rng = new Prng(opts.seed * 7919 + opts.cals);
    const netRng = this.rng.fork();
    this.net = new SimNetwork(netRng, this.sched, (to, from, m) => this.deliver(to, from, m));
    this.boot();
  }

  // ------------------------------------------------------------ setup

  private boot(): void {
    const n = this.opts.cals;
    const ids = new Set<string>();
    for (let i = 0; i < n; i++) {
      let id = '';
      do {
        id = '';
        for (let j = 0; j < 16; j++) id += B32[this.rng.int(32)];
      } while (ids.has(id));
      ids.add(id);
      const node = new SimNode(i, id, `10.0.0.${i + 1}:8046`);
      this.nodes.push(node);
      this.byAddr.set(node.addr, node);
    }
    const boot: string[] = ['-1:/ctl/name=sim'];
    for (const node of this.nodes) boot.push(`-1:/ctl/node/${node.id}/addr=${node.addr}`);
    this.nodes.forEach((node, i) => boot.push(`-1:/ctl/cal/${i}=${node.id}`));
    this.bootRev = boot.length;
    for (const node of this.nodes) {
      // Each node's clock has its own origin and rate: the core must only use differences.
      node.clockOffset = this.rng.chance(0.5) ? 0 : this.rng.range(0, 1e9);
      node.clockRate = this.rng.range(0.9, 1.1);
      const nodeRng = this.rng.fork();
      node.manager = new Manager({
        self: { id: node.id, addr: node.addr },
        rng: nodeRng.asRng(),
        alpha: this.alpha,
        fillDelayMs: this.opts.fillDelayMs ?? 100,
        fastPath: this.opts.fastPath ?? true,
        lookup: (s) => node.store.event(s)?.mutation,
      });
      boot.forEach((m, i) => node.store.apply(i + 1, enc.encode(m)));
      node.cals = readCals(node.store);
      for (let s = this.bootRev + 1; s <= this.bootRev + this.alpha; s++) this.openOn(node, s);
      this.flush(node);
    }
  }

  private openOn(node: SimNode, seqn: number): void {
    node.calOf.set(seqn, node.cals.some((c) => c.id === node.id));
    node.manager.open(seqn, node.cals, this.clock(node));
  }

  // ------------------------------------------------------------ node I/O

  private deliver(to: string, from: string, m: PaxosMsg): void {
    const node = this.byAddr.get(to);
    if (node === undefined) return;
    if (node.paused) {
      if (node.inbox.length < 5000) node.inbox.push({ from, m });
      return;
    }
    node.manager.receive(from, m, this.clock(node));
    this.flush(node);
  }

  private flush(node: SimNode): void {
    const mgr = node.manager;
    for (;;) {
      while (mgr.hasReady) {
        const r = mgr.drain();
        for (const s of r.sends) {
          for (const to of s.to) this.net.send(node.addr, to, s.msg);
        }
        for (const l of r.learned) this.onLearned(node, l);
        for (const w of r.written) this.onWritten(node, w);
      }
      this.applyReady(node);
      if (!mgr.hasReady) break;
    }
    const wl = mgr.wakeAt();
    if (wl === Infinity) return;
    // The node's local time -> virtual time (a hair late, never early).
    const w = (wl - node.clockOffset) / node.clockRate + 1e-3;
    if (w < node.timerAt) {
      node.timerAt = w;
      this.sched.at(w, () => this.onTimer(node, w));
    }
  }

  private onTimer(node: SimNode, w: number): void {
    if (node.timerAt === w) node.timerAt = Infinity;
    if (node.paused) {
      node.tickDue = true;
      return;
    }
    node.manager.tick(this.clock(node));
    this.flush(node);
  }

  private applyReady(node: SimNode): void {
    for (;;) {
      const s = node.store.rev + 1;
      const v = node.pending.get(s);
      if (v === undefined) return;
      node.pending.delete(s);
      const ev = node.store.apply(s, v);
      if (ev.path.startsWith('/ctl/cal/') || ev.path.startsWith('/ctl/node/')) node.cals = readCals(node.store);
      this.openOn(node, s + this.alpha);
    }
  }

  private onLearned(node: SimNode, l: Learned): void {
    const prev = this.decided.get(l.seqn);
    if (prev === undefined) {
      this.decided.set(l.seqn, l.value);
    } else if (!bytesEqual(prev, l.value)) {
      this.fail(`two values for seqn ${l.seqn}: node ${node.idx} learned ${show(l.value)}, another learned ${show(prev)}`);
    }
    if (node.reported.has(l.seqn)) this.fail(`node ${node.idx} reported seqn ${l.seqn} twice`);
    node.reported.add(l.seqn);
    if (this.opts.trace) this.trace.push(`${this.sched.now.toFixed(3)} n${node.idx} learn ${l.seqn} ${show(l.value)}`);
    if (l.seqn > node.store.rev) node.pending.set(l.seqn, l.value);
  }

  private onWritten(node: SimNode, w: Written): void {
    const rec = this.writeByKey.get(`${node.idx}:${w.id}`);
    if (rec === undefined) {
      this.fail(`node ${node.idx} acknowledged unknown write ${w.id}`);
      return;
    }
    if (rec.seqn >= 0) this.fail(`write ${show(rec.value)} acknowledged twice (${rec.seqn}, ${w.seqn})`);
    rec.seqn = w.seqn;
    rec.ackAt = this.sched.now;
    const v = this.decided.get(w.seqn);
    if (v === undefined || !bytesEqual(v, rec.value)) {
      this.fail(`write ${show(rec.value)} acknowledged at seqn ${w.seqn} which holds ${v ? show(v) : 'nothing'}`);
    }
    if (this.opts.trace) this.trace.push(`${this.sched.now.toFixed(3)} n${node.idx} ack ${w.id} at ${w.seqn}`);
  }

  private clock(node: SimNode): number {
    return this.sched.now * node.clockRate + node.clockOffset;
  }

  private fail(msg: string): void {
    if (this.failures.length < 20) this.failures.push(`t=${this.sched.now.toFixed(1)}ms ${msg}`);
  }

  // ------------------------------------------------------------ workload & faults

  private write(node: SimNode, valueStr: string, path: string, dupValue: boolean): void {
    const value = enc.encode(valueStr);
    const id = node.manager.propose(value, this.clock(node));
    const rec: WriteRec = { node: node.idx, id, value, path, dupValue, issuedAt: this.sched.now, seqn: -1, ackAt: -1 };
    this.writes.push(rec);
    this.writeByKey.set(`${node.idx}:${id}`, rec);
    if (this.opts.trace) this.trace.push(`${this.sched.now.toFixed(3)} n${node.idx} propose ${id} ${valueStr}`);
    this.flush(node);
  }

  private clientWrite(): void {
    const live = this.writers.filter((n) => !n.paused);
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
    if (node.paused) return;
    node.paused = true;
    if (this.opts.trace) this.trace.push(`${this.sched.now.toFixed(3)} n${node.idx} pause ${ms.toFixed(1)}ms`);
    this.sched.after(ms, () => this.resume(node));
  }

  private resume(node: SimNode): void {
    if (!node.paused) return;
    node.paused = false;
    const inbox = node.inbox;
    node.inbox = [];
    for (const { from, m } of inbox) node.manager.receive(from, m, this.clock(node));
    if (node.tickDue) {
      node.tickDue = false;
      node.manager.tick(this.clock(node));
    }
    this.flush(node);
  }

  /**
   * What a slave's WAIT stream gives a node that is not a CAL of some of its
   * open instances (it was removed): every decided value after its rev.
   */
  private follow(): void {
    for (const node of this.nodes) {
      if (node.paused) continue;
      let slave = false;
      for (let s = node.store.rev + 1; s <= node.store.rev + this.alpha; s++) {
        if (node.calOf.get(s) === false) {
          slave = true;
          break;
        }
      }
      if (!slave) continue;
      let fed = 0;
      for (let s = node.store.rev + 1; fed < 64; s++) {
        const v = this.decided.get(s);
        if (v === undefined) break;
        if (s % 2 === 0) node.manager.decided(s, v, this.clock(node));
        else node.manager.receive(this.writers[0]!.addr, { cmd: Cmd.LEARN, seqn: s, vrnd: 0, crnd: 0, value: v }, this.clock(node));
        fed++;
      }
      if (fed > 0) this.flush(node);
    }
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

    const scenario: string[] = [`cals=${n}`, `writes=${nWrites}`, `chaos=${chaosMs.toFixed(0)}ms`];
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
        const side = this.nodes.filter(() => rng.chance(0.5)).map((x) => x.addr);
        const other = this.nodes.map((x) => x.addr).filter((a) => !side.includes(a));
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
          const w = this.writers.find((x) => !x.paused) ?? this.writers[0]!;
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
        const w = this.writers.find((x) => !x.paused) ?? this.writers[0]!;
        this.write(w, `-1:/ctl/cal/${slot}=`, `/ctl/cal/${slot}`, true);
      });
      this.sched.at(t2, () => {
        const w = this.writers.find((x) => !x.paused) ?? this.writers[0]!;
        this.write(w, `-1:/ctl/cal/${slot}=${churned.id}`, `/ctl/cal/${slot}`, true);
      });
      const followEvery = (): void => {
        this.follow();
        if (!this.done) this.sched.after(20, followEvery);
      };
      this.sched.after(20, followEvery);
    }

    // Chaos.
    this.sched.runUntil(chaosMs);

    // Heal.
    this.healed = true;
    this.net.heal();
    this.net.conditions.loss = 0;
    this.net.conditions.tail = 0;
    for (const node of this.nodes) this.resume(node);
    const healAt = this.sched.now;
    const extra = 1 + rng.int(3);
    for (let i = 0; i < extra; i++) this.sched.at(healAt + rng.range(0, 30), () => this.clientWrite());
    // One more write once the fills after healing have settled, standing for
    // the traffic a real cluster always has (every CAL writes its `applied`
    // file each second): a node that missed the decision of the highest
    // instance in use only learns it when some later instance is used.
    this.sched.at(healAt + rng.range(500, 700), () => this.clientWrite());

    let convergeMs = -1;
    const deadline = healAt + healBound;
    while (this.sched.now < deadline) {
      this.sched.runUntil(Math.min(deadline, this.sched.now + 10));
      if (this.sched.now >= healAt + 700 && this.converged()) {
        convergeMs = this.sched.now - healAt;
        break;
      }
      if (this.failures.length > 0) break;
    }
    this.done = true;
    if (convergeMs < 0 && this.failures.length === 0) {
      const revs = this.nodes.map((x) => x.store.rev).join(',');
      const unacked = this.writes.filter((w) => w.seqn < 0).length;
      this.fail(`no convergence ${healBound}ms after healing: revs ${revs}, ${unacked} writes unacknowledged`);
    }
    if (this.failures.length === 0) this.finalChecks();
    const acked = this.writes.filter((w) => w.seqn >= 0);

    return {
      seed: o.seed,
      cals: n,
      ok: this.failures.length === 0,
      failures: this.failures,
      scenario: scenario.join(' '),
      virtualMs: this.sched.now,
      convergeMs,
      rev: Math.max(...this.nodes.map((x) => x.store.rev)),
      writesIssued: this.writes.length,
      writesAcked: acked.length,
      ackMeanMs: acked.length ? acked.reduce((a, w) => a + w.ackAt - w.issuedAt, 0) / acked.length : 0,
      ackMaxMs: acked.reduce((a, w) => Math.max(a, w.ackAt - w.issuedAt), 0),
      net: this.net.stats,
      trace: this.trace,
    };
  }

  private converged(): boolean {
    if (this.writes.some((w) => w.seqn < 0)) return false;
    const rev = this.nodes[0]!.store.rev;
    for (const node of this.nodes) if (node.store.rev !== rev) return false;
    for (const w of this.writes) if (w.seqn > rev) return false;
    return true;
  }

  private finalChecks(): void {
    const rev = this.nodes[0]!.store.rev;
    // Every node applied the decided value at every seqn.
    for (const node of this.nodes) {
      for (let s = this.bootRev + 1; s <= rev; s++) {
        const ev = node.store.event(s);
        const v = this.decided.get(s);
        if (ev === undefined || v === undefined || !bytesEqual(ev.mutation, v)) {
          this.fail(`node ${node.idx} applied ${ev ? show(ev.mutation) : 'nothing'} at ${s}, decided ${v ? show(v) : 'nothing'}`);
          return;
        }
      }
    }
    // Writes: each chosen exactly once, at the seqn reported.
    const counts = new Map<string, number>();
    for (let s = this.bootRev + 1; s <= rev; s++) {
      const key = dec.decode(this.decided.get(s)!);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const expected = new Map<string, number>();
    for (const w of this.writes) {
      const key = dec.decode(w.value);
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const seqns = new Set<number>();
    for (const w of this.writes) {
      const key = dec.decode(w.value);
      if (seqns.has(w.seqn)) this.fail(`two writes acknowledged at seqn ${w.seqn}`);
      seqns.add(w.seqn);
      const got = counts.get(key) ?? 0;
      if (got !== expected.get(key)) this.fail(`write ${key} chosen ${got} times, ${expected.get(key)} expected`);
      if (!w.dupValue) {
        for (const node of this.nodes) {
          const f = node.store.get(w.path);
          if (f.rev !== w.seqn) {
            this.fail(`node ${node.idx}: ${w.path} has rev ${f.rev}, write acknowledged at ${w.seqn}`);
            break;
          }
        }
      }
    }
    // Stores equal at equal revs: now, and at sampled older revs.
    const samples = [rev];
    for (let i = 0; i < 4; i++) samples.push(this.bootRev + this.rng.int(rev - this.bootRev + 1));
    for (const r of samples) {
      const want = filesKey(this.nodes[0]!.store.files(r));
      for (const node of this.nodes.slice(1)) {
        if (filesKey(node.store.files(r)) !== want) this.fail(`stores of nodes 0 and ${node.idx} differ at rev ${r}`);
      }
    }
  }
}

/** The CAL list a node computes from its store: the same function the real actors use. */
function readCals(store: Store): Cal[] {
  return calListOf(calSlots(store)).map((c) => ({ id: c.id, addr: c.addr }));
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

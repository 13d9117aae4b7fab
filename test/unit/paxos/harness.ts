// A tiny synchronous network of Managers for unit tests: messages are queued
// and delivered when the test says so, so exact sequences can be checked.
import { Manager, type ManagerOptions } from '../../../src/actors/paxos/manager.js';
import type { Cal, Learned, PaxosMsg, Written } from '../../../src/actors/paxos/types.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export interface Packet {
  from: string;
  to: string;
  msg: PaxosMsg;
}

export class TestNet {
  readonly nodes = new Map<string, Manager>();
  queue: Packet[] = [];
  readonly learned = new Map<string, Learned[]>();
  readonly written = new Map<string, Written[]>();
  readonly wake = new Map<string, number>();
  now = 0;

  constructor(
    readonly cals: Cal[],
    opts: Partial<ManagerOptions> = {},
    extra: Cal[] = [],
  ) {
    for (const c of [...cals, ...extra]) {
      this.nodes.set(c.addr, new Manager({ self: c, rng: () => 0.5, ...opts }));
      this.learned.set(c.addr, []);
      this.written.set(c.addr, []);
    }
  }

  node(addr: string): Manager {
    return this.nodes.get(addr)!;
  }

  /** Open seqns [from, to] on every node with the CAL list. */
  open(from: number, to: number, cals: Cal[] = this.cals): void {
    for (const [addr, m] of this.nodes) {
      for (let s = from; s <= to; s++) m.open(s, cals, this.now);
      this.collect(addr);
    }
  }

  /** Move outputs of node `addr` into the queue and the records. */
  collect(addr: string): void {
    const r = this.node(addr).drain();
    for (const s of r.sends) for (const to of s.to) this.queue.push({ from: addr, to, msg: s.msg });
    this.learned.get(addr)!.push(...r.learned);
    this.written.get(addr)!.push(...r.written);
    this.wake.set(addr, r.wakeAt);
  }

  propose(addr: string, value: string): number {
    const id = this.node(addr).propose(enc(value), this.now);
    this.collect(addr);
    return id;
  }

  receive(addr: string, from: string, msg: PaxosMsg): void {
    this.node(addr).receive(from, msg, this.now);
    this.collect(addr);
  }

  tick(addr: string, now: number): void {
    this.now = now;
    this.node(addr).tick(now);
    this.collect(addr);
  }

  /** Deliver queued packets (and the ones they cause) until quiet; `drop` filters out packets. */
  run(drop: (p: Packet) => boolean = () => false, limit = 10000): Packet[] {
    const seen: Packet[] = [];
    while (this.queue.length > 0 && limit-- > 0) {
      const p = this.queue.shift()!;
      seen.push(p);
      if (drop(p)) continue;
      const m = this.nodes.get(p.to);
      if (m === undefined) continue;
      m.receive(p.from, p.msg, this.now);
      this.collect(p.to);
    }
    return seen;
  }

  values(addr: string): Map<number, string> {
    return new Map(this.learned.get(addr)!.map((l) => [l.seqn, dec(l.value)]));
  }
}

/** CALs a..: ids sort in the given order. */
export function cals(n: number): Cal[] {
  return Array.from({ length: n }, (_, i) => ({ id: `ID${String.fromCharCode(65 + i)}`, addr: `h${i}:1` }));
}

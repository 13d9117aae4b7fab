// Acknowledged writes, checked: a fault test records every write a node
// acknowledged (path, value, the rev it answered) and, after the fault,
// reads every one back on every live node. Agreement alone (all nodes equal)
// would also hold if the cluster had agreed to lose a write.
//
//   const acked = new AckedWrites();
//   await acked.set(cal, '/x', 'v');            // SET with clobber, recorded
//   acked.record('/y', 'w', rev);               // or record a write made elsewhere
//   acked.unsure('/z', 'u');                    // a write whose outcome is unknown
//   await acked.verify(liveNodes);              // throws, listing every lost write
import { Client } from '../../src/client/client.js';
import { DoozerError } from '../../src/wire/errors.js';
import type { ClusterNode } from './cluster.js';
import { DEADLINE } from './deadlines.js';
import type { DoozerdProcess } from './doozerd-process.js';

/** One write a node answered with success. */
export interface AckedWrite {
  path: string;
  value: string;
  /** The rev the node answered: the write is the file's content from this rev. */
  rev: number;
}

export interface VerifyOptions {
  /**
   * Also read each write at its own rev (GET path at rev). Default true.
   * Off for nodes started with a tiny -hist, where old revs answer TOO_LATE.
   */
  history?: boolean;
  /** Deadline for each node to answer all its reads (it may still be catching up). */
  timeoutMs?: number;
}

type Node = ClusterNode | DoozerdProcess;
const procOf = (n: Node): DoozerdProcess => ('proc' in n ? n.proc : n);
const addrOf = (n: Node): string => procOf(n).addr;

/** Rejects with a clear message unless `p` settles within `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A record of acknowledged writes and a check that each survived. */
export class AckedWrites {
  /** Every acknowledged write, in the order recorded. */
  readonly all: AckedWrite[] = [];
  /** Values written to a path whose outcome is unknown (error, lost connection): they may or may not be there. */
  private readonly maybe = new Map<string, Set<string>>();

  /** Number of acknowledged writes. */
  get size(): number {
    return this.all.length;
  }

  /** Records a write that `path` = `value` was acknowledged at `rev`. */
  record(path: string, value: string, rev: number): AckedWrite {
    if (!Number.isInteger(rev) || rev <= 0) throw new Error(`acknowledged write ${path}=${value} has no rev (${rev})`);
    const w = { path, value, rev };
    this.all.push(w);
    return w;
  }

  /** Records a write to `path` whose outcome is unknown: a later read may find it. */
  unsure(path: string, value: string): void {
    let set = this.maybe.get(path);
    if (!set) this.maybe.set(path, (set = new Set()));
    set.add(value);
  }

  /** SET `path` to `value` (clobber) through `node` on a fresh connection; records and returns the rev. */
  async set(node: Node, path: string, value: string): Promise<number> {
    const c = await Client.dial(addrOf(node));
    try {
      const rev = await c.set(path, -1, value);
      this.record(path, value, rev);
      return rev;
    } finally {
      await c.close();
    }
  }

  /** The last acknowledged write of each path (highest rev). */
  latest(): Map<string, AckedWrite> {
    const out = new Map<string, AckedWrite>();
    for (const w of this.all) {
      const prev = out.get(w.path);
      if (!prev || w.rev > prev.rev) out.set(w.path, w);
    }
    return out;
  }

  /**
   * Reads every acknowledged write back on every node in `nodes` and throws,
   * listing each write that is missing or different:
   * - at its own rev (history): the file holds exactly that value and rev
   *   (skipped on a node whose history no longer reaches back there: TOO_LATE);
   * - now: each path's file is the last acknowledged write of it, or a later
   *   write whose outcome was unknown (never an older one, never nothing).
   * Returns the number of reads checked.
   */
  async verify(nodes: Node[], opts: VerifyOptions = {}): Promise<number> {
    if (this.all.length === 0) throw new Error('no acknowledged writes recorded: the test checks nothing');
    if (nodes.length === 0) throw new Error('no live node to verify on');
    const history = opts.history ?? true;
    const timeoutMs = opts.timeoutMs ?? DEADLINE.converge;
    const maxRev = Math.max(...this.all.map((w) => w.rev));
    const problems: string[] = [];
    let checked = 0;
    let tooLate = 0;
    await Promise.all(nodes.map(async (n) => {
      const addr = addrOf(n);
      const c = await Client.dial(addr);
      try {
        // A node that is still catching up answers a GET at a future rev once
        // it gets there; one that jumped past it to a snapshot (a follower
        // that fell out of a short history) answers TOO_LATE: it is past it too.
        await within(c.get('/ctl/name', maxRev).catch((e: unknown) => {
          if (!(e instanceof DoozerError && e.code === 'TOO_LATE')) throw e;
        }), timeoutMs, `${addr} reaching rev ${maxRev}`).catch(async (e: unknown) => {
          // Say where the node got stuck: its rev now (answered at once, unlike the read above).
          const now = await within(c.rev(), 2000, `${addr} answering REV`).catch((r: unknown) => String(r));
          throw new Error(`${(e as Error).message} (its rev now: ${now})\n${procOf(n).describe()}`);
        });
        if (history) {
          const reads = await within(Promise.all(this.all.map((w) => c.get(w.path, w.rev).then(
            (r) => ({ w, r }),
            (e: unknown) => ({ w, e }),
          ))), timeoutMs, `${addr} reading ${this.all.length} writes at their revs`);
          for (const x of reads) {
            checked++;
            if ('e' in x) {
              // A node that attached later copied a snapshot: it has no history
              // before it (nor past -hist). The check of "now" below covers the
              // latest write of each path there.
              if (x.e instanceof DoozerError && x.e.code === 'TOO_LATE') {
                tooLate++;
                continue;
              }
              problems.push(`${addr}: GET ${x.w.path} at rev ${x.w.rev} failed: ${String(x.e)}`);
            }
            else if (x.r.rev !== x.w.rev || x.r.value.toString() !== x.w.value) {
              problems.push(`${addr}: ${x.w.path} at rev ${x.w.rev} is ${JSON.stringify(x.r.value.toString())}@${x.r.rev}, acknowledged ${JSON.stringify(x.w.value)}@${x.w.rev}`);
            }
          }
        }
        const now = await c.rev();
        const latest = [...this.latest().values()];
        const reads = await within(Promise.all(latest.map((w) => c.get(w.path, now).then((r) => ({ w, r })))), timeoutMs, `${addr} reading the latest writes`);
        for (const { w, r } of reads) {
          checked++;
          const v = r.value.toString();
          if (r.rev === w.rev && v === w.value) continue;
          if (r.rev > w.rev && this.maybe.get(w.path)?.has(v)) continue;
          problems.push(`${addr}: ${w.path} is now ${r.rev === 0 ? 'missing' : `${JSON.stringify(v)}@${r.rev}`}; last acknowledged ${JSON.stringify(w.value)}@${w.rev}`);
        }
      } finally {
        await c.close();
      }
    }));
    if (history && tooLate === checked - this.latest().size * nodes.length) {
      problems.push(`no node could read any write at its rev (all TOO_LATE): the history check proved nothing; pass { history: false }`);
    }
    if (problems.length > 0) {
      throw new Error(`${problems.length} acknowledged write(s) lost or changed:\n${problems.slice(0, 30).join('\n')}`);
    }
    return checked;
  }
}

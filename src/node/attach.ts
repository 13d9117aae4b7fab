// Attaching a new node to a running cluster (spec/cluster.md, "-a addr"):
// find a CAL of our cluster, register our node files there, and copy its
// store at some rev r. The caller then follows every change from r+1.
import { Client } from '../client/client.js';
import type { PeerDial } from './peer-dial.js';
import { logger } from '../runtime/log.js';
import { nodeFiles } from './boot.js';
import { isCalOf } from './cluster-view.js';

const log = logger('attach');

export interface Snapshot {
  rev: number;
  files: { path: string; body: Uint8Array; rev: number }[];
}

export interface Attached {
  /** Address (host:port) of the CAL we attached through. */
  via: string;
  snapshot: Snapshot;
}

export class AttachError extends Error {}

/** Dial each address until one is a CAL of `cluster`; within `deadlineMs` overall. `dial`: secret (sent with ACCESS first) and TLS. */
export async function findCal(addrs: string[], cluster: string, deadlineMs: number, dial: PeerDial = {}): Promise<Client> {
  const deadline = Date.now() + deadlineMs;
  const reasons = new Map<string, string>();
  do {
    for (const addr of addrs) {
      let c: Client | undefined;
      try {
        c = await Client.dial(addr, { connectTimeoutMs: Math.max(200, Math.min(1000, deadline - Date.now())), ...dial });
        if (await isCalOf(c, cluster)) return c;
        reasons.set(addr, `not a CAL of cluster "${cluster}"`);
      } catch (e) {
        reasons.set(addr, (e as Error).message);
      }
      await c?.close();
    }
    if (Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  } while (Date.now() < deadline);
  const why = [...reasons].map(([a, r]) => `${a}: ${r}`).join('; ');
  throw new AttachError(`no CAL of cluster "${cluster}" answered at ${addrs.join(', ')} (${why}); check -a and -c`);
}

/**
 * Every file of the store at one rev (Client.walkSnapshot: retried at a later
 * rev while the CAL's history is shorter than the copy takes). Throws
 * DoozerError TOO_LATE, saying to raise -hist, when it never manages.
 */
export async function copySnapshot(c: Client): Promise<Snapshot> {
  const { rev, entries } = await c.walkSnapshot('/**');
  return { rev, files: entries.map((e) => ({ path: e.path, body: new Uint8Array(e.value), rev: e.rev })) };
}

/**
 * Register our node files through `c` and copy its store. The node files are
 * written with clobber; any other node id that claims our address is a dead
 * predecessor on this address (two live nodes cannot bind one UDP address):
 * its files are removed and its CAL slot emptied, so it cannot be confused
 * with us.
 */
export async function registerAndCopy(c: Client, nodeId: string, addr: string): Promise<Snapshot> {
  for (const f of nodeFiles(nodeId, addr)) await c.set(f.path, -1, f.body);
  await removeStaleHolders(c, nodeId, addr);
  return copySnapshot(c);
}

async function removeStaleHolders(c: Client, nodeId: string, addr: string): Promise<void> {
  const addrs = await c.walkAll('/ctl/node/*/addr');
  for (const e of addrs) {
    const id = e.path.split('/')[3]!;
    if (id === nodeId || e.value.toString('utf8') !== addr) continue;
    log.info(`node ${id} held our address ${addr} before us: removing its files and CAL slot`);
    for (const slot of await c.walkAll('/ctl/cal/*')) {
      if (slot.value.toString('utf8') === id) await c.set(slot.path, slot.rev, new Uint8Array()).catch(() => undefined);
    }
    for (const f of await c.walkAll(`/ctl/node/${id}/*`)) await c.del(f.path, -1).catch(() => undefined);
  }
}

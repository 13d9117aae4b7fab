// Reading /ctl of a cluster through a client connection: which nodes are
// CALs, and where they listen.
import type { Client } from '../client/client.js';

export interface RemoteCal {
  slot: string;
  id: string;
  addr: string;
}

/** The CALs listed in /ctl/cal/* (non-empty slots) with their addresses, at `rev` (default current). */
export async function readCals(c: Client, rev?: number): Promise<RemoteCal[]> {
  const entries = await c.walkAll('/ctl/cal/*', rev);
  const cals: RemoteCal[] = [];
  for (const e of entries) {
    const id = e.value.toString('utf8');
    if (!id) continue;
    // A slot any client wrote may name no node, or not even a valid path component.
    const addr = await c.get(`/ctl/node/${id}/addr`, rev).then((f) => f.value.toString('utf8'), () => '');
    if (!addr) continue;
    cals.push({ slot: e.path.slice('/ctl/cal/'.length), id, addr });
  }
  return cals;
}

/** Whether the node behind `c` is a CAL of a cluster named `cluster`. */
export async function isCalOf(c: Client, cluster: string): Promise<boolean> {
  const [name, self] = await Promise.all([c.get('/ctl/name'), c.self()]);
  if (name.value.toString('utf8') !== cluster) return false;
  return (await readCals(c)).some((cal) => cal.id === self);
}

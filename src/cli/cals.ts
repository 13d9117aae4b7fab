// Where the CALs are, for the READONLY message: the ids in /ctl/cal/* and
// each one's /ctl/node/<id>/addr, read at one rev.
import type { Client } from '../client/client.js';

/** `host:port` of every CAL the node knows, in slot order (may be empty). Throws what the client throws. */
export async function calAddresses(c: Client): Promise<string[]> {
  const rev = await c.rev();
  const slots = await c.walkAll('/ctl/cal/*', rev);
  const ids = [...new Set(slots.map((s) => s.value.toString('utf8')).filter((id) => /^[A-Za-z0-9]+$/.test(id)))];
  const addrs = await Promise.all(ids.map((id) => c.get(`/ctl/node/${id}/addr`, rev)));
  return addrs.map((a) => a.value.toString('utf8').trim()).filter((a) => a !== '');
}

// Reading the cluster's own files (/ctl, spec/cluster.md) out of a store.
import { VERSION_PREFIX } from '../../version.js';
import type { Store } from './store.js';

export interface CtlCal {
  /** Slot name: the file /ctl/cal/<slot>. */
  slot: string;
  /** Rev of the slot file (for compare-and-set). */
  rev: number;
  /** Node id in the slot; '' for a free slot. */
  id: string;
  /** The node's address, '' if unknown. */
  addr: string;
  /** The node runs this implementation (batched datagrams allowed). */
  ours: boolean;
}

const text = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');

/** Whether a change at `path` can change the slots (a slot file, or a node's address or version). */
export function affectsCals(path: string): boolean {
  return path.startsWith('/ctl/cal/') || path.startsWith('/ctl/node/');
}

/** Every /ctl/cal/* slot at `rev` (default current), in byte order, free ones included. */
export function calSlots(store: Store, rev?: number): CtlCal[] {
  const out: CtlCal[] = [];
  if (store.stat('/ctl/cal', rev).rev !== -2) return out;
  for (let i = 0; ; i++) {
    let slot: string;
    try {
      slot = store.getdir('/ctl/cal', i, rev);
    } catch {
      break;
    }
    const f = store.get(`/ctl/cal/${slot}`, rev);
    const id = text(f.body);
    const addr = id ? text(store.get(`/ctl/node/${id}/addr`, rev).body) : '';
    const ours = id ? text(store.get(`/ctl/node/${id}/version`, rev).body).startsWith(VERSION_PREFIX) : false;
    out.push({ slot, rev: f.rev, id, addr, ours });
  }
  return out;
}

/** The CAL list of spec/consensus.md: non-empty slots, sorted by id in byte order. */
export function calListOf(slots: readonly CtlCal[]): CtlCal[] {
  return slots.filter((c) => c.id !== '').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

// Reading the cluster's own files (/ctl, spec/cluster.md) out of a store.
import { VERSION_PREFIX } from '../../wire/version.js';
import { REV_DIR } from '../../wire/client-codec.js';
import type { Store } from './store.js';
import { isValidPath } from '../../wire/path.js';

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
  /** The node's version file (for messages naming it); absent where not read. */
  version?: string;
  /** The node's features file lists `blobs`: it takes part in the large-value path (docs/protocol.md "Large values"). */
  blobs?: boolean;
}

const text = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');

/** Whether a change at `path` can change the slots (a slot file, or a node's address or version). */
export function affectsCals(path: string): boolean {
  return path.startsWith('/ctl/cal/') || path.startsWith('/ctl/node/');
}

const EMPTY = new Uint8Array(0);

/** The file at `path` (valid path) as of `rev`; undefined for a directory. Missing: empty body, rev 0. */
function fileAt(store: Store, path: string, rev?: number): { body: Uint8Array; rev: number } | undefined {
  return store.stat(path, rev).rev === REV_DIR ? undefined : store.get(path, rev);
}

/** The entry names of directory `dir` at `rev`, in byte order; none if it is missing or a file. */
function* entries(store: Store, dir: string, rev?: number): Generator<string> {
  if (store.stat(dir, rev).rev !== REV_DIR) return;
  for (let i = 0; ; i++) {
    try {
      yield store.getdir(dir, i, rev);
    } catch {
      return;
    }
  }
}

/** Every /ctl/cal/* slot at `rev` (default current), in byte order, free ones included. */
export function calSlots(store: Store, rev?: number): CtlCal[] {
  const out: CtlCal[] = [];
  for (const slot of entries(store, '/ctl/cal', rev)) {
    // Any client can write /ctl: a slot may be a directory, name no node or
    // not even a valid path component, a node's addr may be a directory.
    // None of it may make this read throw (the store applies it on every
    // slot change): such entries read as naming no node.
    const f = fileAt(store, `/ctl/cal/${slot}`, rev);
    if (!f) continue;
    const id = text(f.body);
    const known = id !== '' && !id.includes('/') && isValidPath(`/ctl/node/${id}`);
    const addr = known ? text(fileAt(store, `/ctl/node/${id}/addr`, rev)?.body ?? EMPTY) : '';
    const version = known ? text(fileAt(store, `/ctl/node/${id}/version`, rev)?.body ?? EMPTY) : '';
    const features = known ? text(fileAt(store, `/ctl/node/${id}/features`, rev)?.body ?? EMPTY) : '';
    out.push({ slot, rev: f.rev, id, addr, ours: version.startsWith(VERSION_PREFIX), version, blobs: features.split(/\s+/).includes('blobs') });
  }
  return out;
}

/**
 * Whether some node registered under /ctl/node at `rev` (default current)
 * does not run this implementation: its version file is missing or lacks
 * our prefix (the original doozerd writes `0.9.0-alpha`). A node of ours
 * counts too for the moment between its addr and version writes; garbage a
 * client wrote under /ctl/node counts as well. Only tuning depends on it
 * (ProposerCore.setNextRotation), so erring towards true is safe.
 */
export function hasForeignNode(store: Store, rev?: number): boolean {
  for (const id of entries(store, '/ctl/node', rev)) {
    if (store.stat(`/ctl/node/${id}`, rev).rev !== REV_DIR) return true;
    const version = fileAt(store, `/ctl/node/${id}/version`, rev);
    if (!version || !text(version.body).startsWith(VERSION_PREFIX)) return true;
  }
  return false;
}

/** What `withCals` subscribers of the store are told (store-cals, store-event): the slots, and whether an original node is around. */
export interface CtlView {
  cals: CtlCal[];
  /** hasForeignNode. */
  foreignNodes: boolean;
}

/** The CtlView of `store` at `rev` (default current). */
export function ctlView(store: Store, rev?: number): CtlView {
  return { cals: calSlots(store, rev), foreignNodes: hasForeignNode(store, rev) };
}

/** A peer's consensus address split for a socket; see peerEndpoint. */
export interface PeerEndpoint {
  host: string;
  port: number;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/**
 * `host:port` as a node writes it to /ctl/node/<id>/addr (spec/cluster.md,
 * `-l`), split for a UDP send; undefined for anything a socket would refuse
 * (empty, no port, port outside 1-65535, characters no host name has). Any
 * client can write /ctl, so every address read from the store goes through here.
 */
export function peerEndpoint(addr: string): PeerEndpoint | undefined {
  const i = addr.lastIndexOf(':');
  if (i <= 0 || addr.length > 300) return undefined;
  const portText = addr.slice(i + 1);
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  let host = addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (!HOSTNAME.test(host) && !(host.includes(':') && IPV6.test(host))) return undefined;
  return { host, port };
}

/**
 * The CAL list of spec/consensus.md: non-empty slots, sorted by id in byte
 * order. Slots that name no reachable node (no or a malformed
 * /ctl/node/<id>/addr, as any client can write) are left out, and so is a
 * second slot naming an id or address already listed: such entries could
 * never vote, so counting them would only raise the quorum until liveness
 * empties their slot (-timeout). Leaving them out is safe next to original
 * nodes that count them: their quorum is then larger than ours, and a
 * majority of our list and one of theirs still share a node.
 */
export function calListOf(slots: readonly CtlCal[]): CtlCal[] {
  const ids = new Set<string>();
  const addrs = new Set<string>();
  const out: CtlCal[] = [];
  for (const c of [...slots].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (c.id === '' || ids.has(c.id) || addrs.has(c.addr) || !peerEndpoint(c.addr)) continue;
    ids.add(c.id);
    addrs.add(c.addr);
    out.push(c);
  }
  return out;
}

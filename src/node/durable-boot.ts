// How a node's store starts when -data, -restore or -force-new-cluster is
// given (docs/durability.md):
// - restart: from the snapshot and log in -data; if a CAL of the cluster is
//   up and ahead of us, from a copy of its store instead (we were away too
//   long for the log to help), before the node serves anything.
// - -force-new-cluster: from -data, then every other node is dropped from
//   /ctl (CAL slots, node files, name-service entries) by mutations applied
//   directly, as the seed's are: a new cluster of one.
// - -restore FILE: from a `doozer dump`, files outside /ctl with their revs,
//   then the seed's /ctl files after them: a new cluster of one.
import { readFileSync } from 'node:fs';
import { logger } from '../runtime/log.js';
import { Store } from '../actors/store/store.js';
import { encodeDel, encodeSet } from '../actors/store/mutation.js';
import { ChosenLog, type StoredState } from '../storage/chosen-log.js';
import { parseDump, type Dump } from '../storage/dump-format.js';
import { DataDirError, writeMeta, type Db } from '../storage/database.js';
import { copySnapshot, findCal, registerAndCopy, type Snapshot } from './attach.js';
import { REV_MISSING } from '../wire/client-codec.js';
import type { PeerDial } from './peer-dial.js';
import { seedMutations } from './boot.js';

const log = logger('boot');

/** How long a restarting node looks for a running CAL to catch up from. */
const PEER_DEADLINE_MS = 1500;
/** A catching-up request unanswered this long gives the peer up (same as attaching: src/node/replica.ts). */
const PEER_REQUEST_TIMEOUT_MS = 10_000;

/** What the store actor starts with (see StoreActorArgs). */
export interface StoreStart {
  snapshot?: Snapshot;
  /** The snapshot is the one in -data already (else it is written there at start). */
  snapshotStored?: boolean;
  /** Values after the snapshot, read back from -data. */
  log?: { seqn: number; mutation: Uint8Array }[];
  /** Mutations applied directly after that (seed files), seqn order. */
  applies?: { seqn: number; mutation: Uint8Array }[];
  /** A new cluster: the proposer pushes the window with alpha no-ops. */
  seed: boolean;
  /** A restart: the highest seqn the acceptor voted in before it (the store holds reads until it gets there: StoreActorArgs.recoverTo). */
  recoverTo?: number;
  /** How the node started, for the start-up line. */
  role: string;
}

/** Whether -data holds a store to come back to. */
export function hasState(s: StoredState): boolean {
  return s.rev > 0 || s.log.length > 0;
}

/** The store the stored state adds up to (for reading /ctl at boot). */
function rebuild(s: StoredState): Store {
  const store = Store.fromSnapshot(s.rev, s.files, { hist: 1 });
  for (const e of s.log) store.apply(e.seqn, e.mutation);
  return store;
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** Addresses of the other CALs in `store` (ids in /ctl/cal/*, addresses from /ctl/node/<id>/addr). */
function otherCalAddrs(store: Store, nodeId: string): string[] {
  const files = store.files();
  const byPath = new Map(files.map((f) => [f.path, text(f.body)]));
  const ids = files.filter((f) => /^\/ctl\/cal\/[^/]+$/.test(f.path)).map((f) => text(f.body)).filter((id) => id !== '' && id !== nodeId);
  return ids.map((id) => byPath.get(`/ctl/node/${id}/addr`)).filter((a): a is string => Boolean(a));
}

/** Restart from -data; catch up from a running CAL if one is ahead. */
export async function restartStart(stored: StoredState, nodeId: string, addr: string, cluster: string, dial: PeerDial): Promise<StoreStart> {
  const localRev = stored.rev + stored.log.length;
  const local: StoreStart = { snapshot: { rev: stored.rev, files: stored.files }, snapshotStored: true, log: stored.log, seed: false, role: `member of cluster ${JSON.stringify(cluster)}, restarted from disk at rev ${localRev}` };
  const peers = otherCalAddrs(rebuild(stored), nodeId);
  if (peers.length === 0) {
    log.info(`restarting from disk at rev ${localRev}`);
    return local;
  }
  let c;
  try {
    // Every request bounded: a peer that dies or goes silent mid-copy must not hold the restart up.
    c = await findCal(peers, cluster, PEER_DEADLINE_MS, { ...dial, requestTimeoutMs: dial.requestTimeoutMs ?? PEER_REQUEST_TIMEOUT_MS });
  } catch {
    log.info(`restarting from disk at rev ${localRev}; no other CAL answered (${peers.join(', ')})`);
    return local;
  }
  try {
    if ((await c.stat(`/ctl/node/${nodeId}/addr`)).rev === REV_MISSING) {
      // Away longer than -timeout: the cluster dropped us. Register again, as attaching does.
      const snap = await registerAndCopy(c, nodeId, addr);
      log.warn(`restarting: the cluster had dropped node ${nodeId} (away too long); registered again via ${c.address}, copied ${snap.files.length} files at rev ${snap.rev}`);
      return { snapshot: snap, snapshotStored: false, seed: false, role: `member of cluster ${JSON.stringify(cluster)}, restarted (dropped by the cluster meanwhile: registered again via ${c.address}, copied rev ${snap.rev})` };
    }
    const rev = await c.rev();
    if (rev <= localRev) {
      log.info(`restarting from disk at rev ${localRev}; ${c.address} is at rev ${rev}`);
      return local;
    }
    const snap = await copySnapshot(c);
    if (snap.rev <= localRev) return local;
    log.info(`restarting: disk at rev ${localRev}, copied ${snap.files.length} files at rev ${snap.rev} from ${c.address}`);
    return { snapshot: snap, snapshotStored: false, seed: false, role: `member of cluster ${JSON.stringify(cluster)}, restarted (disk at rev ${localRev}; copied rev ${snap.rev} from ${c.address})` };
  } catch (e) {
    log.warn(`restarting from disk at rev ${localRev}: catching up from ${c.address} failed (${(e as Error).message})`);
    return local;
  } finally {
    await c.close();
  }
}

/** -force-new-cluster: the stored store, with every other node dropped from /ctl. */
export function forceNewClusterStart(stored: StoredState, nodeId: string, addr: string, cluster: string): StoreStart {
  const store = rebuild(stored);
  const files = store.files();
  const muts: Uint8Array[] = [];
  let holdsSlot = false;
  for (const f of files) {
    const slot = /^\/ctl\/cal\/[^/]+$/.test(f.path);
    if (slot && text(f.body) === nodeId && !holdsSlot) holdsSlot = true;
    else if (slot && f.body.length > 0) muts.push(encodeSet(-1, f.path, new Uint8Array()));
    const node = /^\/ctl\/node\/([^/]+)\//.exec(f.path);
    if (node && node[1] !== nodeId) muts.push(encodeDel(-1, f.path));
    const ns = /^\/ctl\/ns\/([^/]+)\/([^/]+)$/.exec(f.path);
    if (ns && ns[2] !== nodeId) muts.push(encodeDel(-1, f.path));
  }
  if (!holdsSlot) muts.push(encodeSet(-1, '/ctl/cal/0', Buffer.from(nodeId)));
  muts.push(encodeSet(-1, `/ctl/node/${nodeId}/addr`, Buffer.from(addr)));
  muts.push(encodeSet(-1, `/ctl/ns/${cluster}/${nodeId}`, Buffer.from(addr)));
  log.warn(`-force-new-cluster: starting a new cluster of one from disk at rev ${store.rev}; the other nodes are dropped from /ctl`);
  return {
    snapshot: { rev: store.rev, files },
    snapshotStored: false,
    applies: muts.map((mutation, i) => ({ seqn: store.rev + 1 + i, mutation })),
    seed: true,
    role: `first CAL of a new cluster ${JSON.stringify(cluster)}, forced from its data at rev ${store.rev} (-force-new-cluster)`,
  };
}

/**
 * Read and check a `doozer dump` for -restore, before anything is written to
 * -data: everything the store would refuse is refused here
 * (storage/dump-format.ts parseDump). Throws an Error `FILE: ...` or
 * `FILE:LINE: ...`.
 */
export function readDump(file: string): Dump {
  let textOf: string;
  try {
    textOf = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`-restore ${file}: cannot read it: ${(e as Error).message}`);
  }
  return parseDump(textOf, file);
}

/**
 * -restore: the dump's files outside /ctl with their revs, then a new
 * cluster's /ctl files. The store is built here first (any refusal throws
 * naming the file, before -data is written). With `db` (the -data
 * directory's connection), the node's identity, the snapshot at the dump's
 * rev and the seed's values after it are written in ONE transaction, so the
 * directory is either untouched or a complete restored node.
 */
export function restoreStart(dump: Dump, file: string, nodeId: string, addr: string, cluster: string, db?: Db): StoreStart {
  const files = dump.files.filter((f) => f.path !== '/ctl' && !f.path.startsWith('/ctl/'));
  const seeds = seedMutations(cluster, nodeId, addr).map((mutation, i) => ({ seqn: dump.rev + 1 + i, mutation }));
  try {
    const store = Store.fromSnapshot(dump.rev, files, { hist: 1 });
    for (const e of seeds) store.apply(e.seqn, e.mutation);
  } catch (e) {
    throw new Error(`-restore ${file}: the store refuses this dump (${(e as Error).message}); nothing was written`);
  }
  const role = `first CAL of a new cluster ${JSON.stringify(cluster)}, restored from ${file} at rev ${dump.rev}`;
  log.info(`-restore: ${files.length} files at rev ${dump.rev} from ${file}`);
  if (!db) return { snapshot: { rev: dump.rev, files }, snapshotStored: false, applies: seeds, seed: true, role };
  const chosen = new ChosenLog(db);
  db.transaction(() => {
    writeMeta(db, { node_id: nodeId, cluster, addr });
    chosen.snapshot(dump.rev, files);
    chosen.append(seeds);
  })();
  return { snapshot: { rev: dump.rev, files }, snapshotStored: true, log: seeds, seed: true, role };
}

/** The address node `nodeId` has in a stored store (/ctl/node/<id>/addr), if any. */
export function storedAddr(stored: StoredState, nodeId: string): string | undefined {
  if (!hasState(stored)) return undefined;
  const f = rebuild(stored).files().find((x) => x.path === `/ctl/node/${nodeId}/addr`);
  return f ? text(f.body) : undefined;
}

/**
 * Refuse to start node `nodeId` from -data `dir` at `addr` (-l) when its
 * data knows it at another address `known`: its peers and /ctl would go on
 * using the old one (a CAL there would never answer: writes hang). Throws
 * DataDirError saying what to do.
 */
export function checkAddress(dir: string, nodeId: string, known: string | undefined, addr: string): void {
  if (known === undefined || known === addr) return;
  throw new DataDirError(
    `-data ${dir} belongs to node ${nodeId}, which its cluster knows at ${known} (/ctl/node/${nodeId}/addr), not ${addr}: ` +
      `start it with -l ${known}; to move it, remove node ${nodeId} from the cluster (empty its /ctl/cal slot) and attach a fresh node at ${addr} with a new -data ` +
      '(or, if it is the only node left, start it with -force-new-cluster)',
  );
}

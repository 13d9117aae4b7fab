// This node's replica: the store and consensus actors, the UDP transport and
// the follower, started either as the first node of a new cluster or by
// attaching to a running one (spec/cluster.md, "Starting a node").
import { logger } from '../runtime/log.js';
import type { ActorSystem } from '../runtime/system.js';
import { STORE } from '../actors/store/messages.js';
import { ACCEPTOR, LEARNER, PROPOSER } from '../actors/paxos-messages.js';
import { LIVENESS } from '../actors/liveness.js';
import { SLAVE_WATCHER } from '../actors/slave-watcher.js';
import type { AcceptorArgs } from '../actors/acceptor.js';
import type { LearnerArgs } from '../actors/learner.js';
import type { ProposerArgs } from '../actors/proposer.js';
import { Follower } from './follower.js';
import { BlobService } from './blob-channel.js'; // large values
import { startPeerTransport, type PeerTransport } from '../net/udp-transport.js';
import type { NodeOptions } from './flags.js';
import { ALPHA, nodeFiles, seedMutations } from './boot.js';
import { peerDialFor, type PeerDial, type PeerTls } from './peer-dial.js';
import { AttachError, findCal, registerAndCopy, type Snapshot } from './attach.js';
import { DoozerError } from '../wire/errors.js';
import { ConnectionError } from '../client/connection.js';
import type { Client } from '../client/client.js';
import { bootThroughNameService, registerWhenCal, type NameServiceBoot } from './name-service.js';
import type { StoreStart } from './durable-boot.js';
import { startReplicaGroup } from './supervision-tree.js';

const log = logger('node');

/** How this node dials other nodes of its cluster: its secret, and TLS when it serves TLS. */
function peerDial(r: ReplicaOptions): PeerDial {
  return peerDialFor(r.opts.listen.host, r.secret, r.peerTls);
}

/** How long attaching waits for a CAL of our cluster to answer ("about a second"). */
const ATTACH_DEADLINE_MS = 1500;
/** How long attaching keeps starting over when the CAL it copies from dies or goes silent mid-copy. */
const ATTACH_RETRY_MS = 30_000;
/** A request to a peer while attaching or catching up, unanswered this long, gives that peer up. */
export const PEER_REQUEST_TIMEOUT_MS = 10_000;

export interface Replica {
  /** 'seed': started a new cluster; 'attached': joined one as a slave. */
  how: 'seed' | 'attached';
  /** Attached: the address of the CAL we attached through. */
  via?: string;
  /** True if the node found its cluster (or the right to seed it) through the name service (-b). */
  nameService?: boolean;
  close(): Promise<void>;
}

export interface ReplicaOptions {
  system: ActorSystem;
  opts: NodeOptions;
  nodeId: string;
  addr: string;
  secret?: string;
  /** TLS for the node's own connections to other nodes (attach, follow), when it serves TLS itself. */
  peerTls?: PeerTls;
  /** -data directory (state is kept there). */
  dataDir?: string;
  /** Where the store starts when not by seeding or attaching (restart from -data, -restore, -force-new-cluster). */
  start?: StoreStart;
}

/** Attach through -a (then -b), or start a new cluster. */
export async function startReplica(r: ReplicaOptions): Promise<Replica> {
  const { opts, nodeId, addr } = r;
  if (r.start) return run(r, r.start);
  let snapshot: Snapshot | undefined;
  let via: string | undefined;
  if (opts.attach.length > 0) {
    try {
      ({ snapshot, via } = await attach(opts.attach, r));
    } catch (e) {
      if (!opts.bootUri) throw e;
      log.info(`attach via -a failed (${(e as Error).message}); trying the name service`);
    }
  }
  let nameService: NameServiceBoot | undefined;
  if (!snapshot && opts.bootUri) {
    nameService = await bootThroughNameService({ uri: opts.bootUri, cluster: opts.cluster, nodeId, addr, ...(r.secret ? { secret: r.secret } : {}), ...(r.peerTls ? { peerTls: r.peerTls } : {}) });
    if (nameService.attachTo) ({ snapshot, via } = await attach(nameService.attachTo, r));
  }
  const replica = await run(r, snapshot ? { snapshot, seed: false, role: '' } : { applies: seedMutations(opts.cluster, nodeId, addr).map((mutation, i) => ({ seqn: i + 1, mutation })), seed: true, role: '' });
  if (via !== undefined) replica.via = via;
  if (nameService) {
    replica.nameService = true;
    // A CAL of a cluster booted through a name service registers itself there.
    const stop = registerWhenCal({ system: r.system, uri: opts.bootUri!, cluster: opts.cluster, nodeId, addr, ...(r.secret ? { secret: r.secret } : {}) });
    const close = replica.close;
    replica.close = async () => {
      stop();
      await close();
    };
  }
  return replica;
}

/**
 * Attach through a CAL among `addrs`: register and copy its store. When the
 * CAL dies, resets or goes silent mid-copy (a request unanswered for
 * PEER_REQUEST_TIMEOUT_MS), attaching starts over through a CAL among the
 * others first, for up to ATTACH_RETRY_MS; then it fails with the last error.
 */
async function attach(addrs: string[], r: ReplicaOptions): Promise<{ snapshot: Snapshot; via: string }> {
  const deadline = Date.now() + ATTACH_RETRY_MS;
  let order = addrs;
  for (;;) {
    const c = await findCal(order, r.opts.cluster, ATTACH_DEADLINE_MS, { ...peerDial(r), requestTimeoutMs: PEER_REQUEST_TIMEOUT_MS });
    try {
      return await attachThrough(c, r);
    } catch (e) {
      if (!(e instanceof ConnectionError) || Date.now() > deadline) throw e;
      log.warn(`attaching through ${c.address} failed mid-way (${e.message}); starting over through another CAL`);
      order = [...addrs.filter((a) => a !== c.address), c.address];
    }
  }
}

async function attachThrough(c: Client, r: ReplicaOptions): Promise<{ snapshot: Snapshot; via: string }> {
  try {
    const snap = await registerAndCopy(c, r.nodeId, r.addr);
    log.info(`attached to ${c.address}: copied ${snap.files.length} files at rev ${snap.rev}`);
    return { snapshot: snap, via: c.address };
  } catch (e) {
    if (e instanceof DoozerError && e.detail === 'permission denied') {
      throw new AttachError(
        `${c.address} refused to let this node register (permission denied): attaching writes through the client protocol, ` +
          'so it needs the cluster\'s read-write secret in DOOZER_RWSECRET',
      );
    }
    throw e;
  } finally {
    await c.close();
  }
}

async function run(r: ReplicaOptions, start: StoreStart): Promise<Replica> {
  const { system, opts, nodeId, addr } = r;
  const self = { id: nodeId, addr };
  const disk = r.dataDir ? { dataDir: r.dataDir, snapshotEvery: opts.snapshotEvery } : {};
  const keep = Math.max(opts.hist, 4 * ALPHA);
  let transport: PeerTransport | undefined;
  // The replica's actors, supervised as an ordered group (supervision-tree.ts).
  await startReplicaGroup(
    system,
    {
      [STORE]: {
        kind: 'store',
        args: {
          hist: opts.hist,
          ...(start.snapshot ? { snapshot: start.snapshot, snapshotStored: Boolean(start.snapshotStored) } : {}),
          ...(start.log ? { log: start.log } : {}),
          ...(start.recoverTo ? { recoverTo: start.recoverTo } : {}),
          ...disk,
        },
      },
      [ACCEPTOR]: { kind: 'acceptor', args: { self, alpha: ALPHA, keep, ...(r.dataDir ? { dataDir: r.dataDir } : {}) } satisfies AcceptorArgs },
      [LEARNER]: { kind: 'learner', args: { nodeId, alpha: ALPHA } satisfies LearnerArgs },
      [PROPOSER]: { kind: 'proposer', args: { self, alpha: ALPHA, fillMs: opts.fillSec * 1000, seed: start.seed } satisfies ProposerArgs },
      [SLAVE_WATCHER]: { kind: 'slave-watcher', args: { nodeId, alpha: ALPHA, nodeFiles: nodeFiles(nodeId, addr) } },
      [LIVENESS]: { kind: 'liveness', args: { nodeId, alpha: ALPHA, timeoutMs: opts.timeoutSec * 1000 } },
      pulse: { kind: 'pulse', args: { nodeId, pulseMs: opts.pulseSec * 1000 } },
    },
    async () => {
      for (const a of start.applies ?? []) system.send(STORE, { type: 'apply', seqn: a.seqn, mutation: a.mutation });
      try {
        transport = await startPeerTransport({
          host: opts.listen.host,
          port: opts.listen.port,
          system,
          heardTo: LIVENESS,
        });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw Object.assign(new Error(`cannot bind UDP ${addr} for consensus: ${err.message}`), { code: err.code });
      }
    },
  );
  const follower = new Follower({ system, dial: peerDial(r) });
  // Large values (src/node/blob-channel.ts): pushes, fetches and serves bodies over the client protocol.
  const blobs = new BlobService({ system, nodeId, dial: peerDial(r), ...(r.dataDir ? { dataDir: r.dataDir } : {}) });
  const udp = transport!;
  return {
    how: start.seed ? 'seed' : 'attached',
    async close() {
      follower.close();
      await blobs.close(); // large values
      await udp.close();
    },
  };
}

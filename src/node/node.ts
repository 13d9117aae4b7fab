// One doozerd node: starts the actor runtime, the replica (store, consensus,
// peer transport), the client listener, the web view and the debug server,
// reports what it serves in one line, and stops them all on shutdown.
import { logger } from '../runtime/log.js';
import { startActorSystem } from '../runtime/threaded-system.js';
import { DEFAULT_PLACEMENT, describePlacement } from '../runtime/placement.js';
import { nodeKinds } from './node-placement.js';
import { NODE_ROOT, SESSIONS_SUPERVISOR, startSessionsSupervisor } from './supervision-tree.js';
import { addActorRoutes, startDebugServer, type DebugServer } from '../net/http/actors-page.js';
import { actorKinds, kindsModuleUrl } from '../actors/kinds.js';
import { listenForClients } from '../net/client-listener.js';
import type { NodeOptions } from './flags.js';
import { newNodeId } from './node-id.js';
import { startReplica, type Replica } from './replica.js';
import { startWebView, type WebServer } from '../net/http/server.js';
import { noClientCanWrite } from '../actors/access.js';
import { startupLine } from './startup-line.js';
import { peerDialFor, peerTlsFor } from './peer-dial.js';
import { startMetricsSources } from '../net/http/metrics-sources.js';
import { openDataDir, type DataDir } from '../storage/data-dir.js';
import { DataDirError, writeMeta } from '../storage/database.js';
import { ChosenLog } from '../storage/chosen-log.js';
import { AcceptorRecords } from '../storage/acceptor-records.js';
import { checkAddress, forceNewClusterStart, hasState, readDump, restartStart, restoreStart, storedAddr, type StoreStart } from './durable-boot.js';
import { checkListenAddresses, readTlsFiles, takeListenPort } from './listen-check.js';
import type { ClientPort } from '../net/client-port.js';

const log = logger('node');

export interface RunningNode {
  id: string;
  addr: string;
  /** What the node serves, its role and placement, in one line (src/node/startup-line.ts). */
  startupLine: string;
  close(): Promise<void>;
}

export interface NodeEnv {
  rwSecret?: string;
  roSecret?: string;
  /** Called when the node cannot go on (restart limit exceeded). */
  onFatal(reason: string): void;
}

export async function startNode(options: NodeOptions, env: NodeEnv): Promise<RunningNode> {
  // The TLS files are read and checked, the client port taken and every other
  // listen address checked, before -data is written or a cluster attached: a
  // start that fails leaves nothing behind. Clients that connect meanwhile
  // wait and are served once the node is up (src/net/client-port.ts).
  const tlsFiles = options.tlsCert && options.tlsKey ? readTlsFiles(options.tlsCert, options.tlsKey) : undefined;
  const clientPort = await takeListenPort(options.listen, tlsFiles);
  try {
    await checkListenAddresses(options, Boolean(env.rwSecret || env.roSecret));
    return await startOnPort(options, env, clientPort, tlsFiles);
  } catch (e) {
    await clientPort.close();
    throw e;
  }
}

async function startOnPort(options: NodeOptions, env: NodeEnv, clientPort: ClientPort, tlsFiles: { cert: Buffer; key: Buffer } | undefined): Promise<RunningNode> {
  let opts = options;
  let id = newNodeId();
  const addr = `${opts.listen.host}:${opts.listen.port}`;
  // The node's own clients (attach, follower, name service, catching up after
  // a restart) present the read-write secret, else the read-only one
  // (docs/protocol.md "Secrets"), over TLS when the node serves TLS.
  const internalSecret = env.rwSecret || env.roSecret;
  const peerTls = peerTlsFor(opts.tlsCert, opts.tlsCa);
  // --- -data, -restore, -force-new-cluster (docs/durability.md) ---
  let data: DataDir | undefined;
  let start: StoreStart | undefined;
  // -restore: the whole dump is read and checked before -data is touched.
  const dump = opts.restore ? readDump(opts.restore) : undefined;
  /** A failed start: a directory this -restore made is removed again, so no half-made -data is left. */
  const releaseData = (): void => (dump && data?.isNew ? data.discard() : data?.close());
  if (opts.data) {
    data = openDataDir(opts.data);
    try {
      const known = data.identity;
      const stored = new ChosenLog(data.db).load();
      if (known) {
        if (opts.clusterSet && known.cluster !== opts.cluster) {
          throw new DataDirError(`-data ${opts.data} belongs to node ${known.nodeId} of cluster "${known.cluster}", not "${opts.cluster}"; drop -c or give another -data`);
        }
        id = known.nodeId;
        opts = { ...opts, cluster: known.cluster };
        // -force-new-cluster rewrites the node's address; anything else must come back where the cluster knows it.
        if (!opts.forceNewCluster) checkAddress(data.dir, id, storedAddr(stored, id) ?? known.addr, addr);
      }
      if (opts.restore && hasState(stored)) {
        throw new DataDirError(`-restore needs a new -data directory, and ${opts.data} already holds a node's state: give -data a new, empty directory, or move ${opts.data} away first`);
      }
      if (opts.forceNewCluster) {
        if (!hasState(stored)) throw new DataDirError(`-force-new-cluster: ${opts.data} holds no state to start from: give -data the directory of a node that ran in the lost cluster`);
        start = forceNewClusterStart(stored, id, addr, opts.cluster);
        data.db.prepare('DELETE FROM acceptor').run(); // promises made to the old cluster's instances
      } else if (hasState(stored)) {
        log.info(`node ${id} restarting from ${opts.data}`);
        start = await restartStart(stored, id, addr, opts.cluster, peerDialFor(opts.listen.host, internalSecret, peerTls));
        // Votes past the chosen log may be acknowledged writes: no read answers from before them.
        const votedTo = new AcceptorRecords(data.db).load().reduce((m, a) => (a.vrnd > 0 && a.seqn > m ? a.seqn : m), 0);
        if (votedTo > 0) start = { ...start, recoverTo: votedTo };
      }
      // -restore writes the identity with the restored store, in one transaction.
      if (dump) start = restoreStart(dump, opts.restore!, id, addr, opts.cluster, data.db);
      else writeMeta(data.db, { node_id: id, cluster: opts.cluster, addr });
    } catch (e) {
      releaseData();
      throw e;
    }
  } else if (dump) {
    start = restoreStart(dump, opts.restore!, id, addr, opts.cluster);
  }
  // --- end -data ---
  // --- actor runtime: threads and placement (src/runtime, docs/runtime.md) ---
  const placement = opts.placementConfig ?? DEFAULT_PLACEMENT;
  const debugHooks = process.env.DOOZERD_DEBUG_HOOKS === '1';
  const host = await startActorSystem({
    placement,
    kinds: actorKinds,
    kindModules: [kindsModuleUrl],
    groups: nodeKinds().groups,
    onFatal: (reason) => env.onFatal(reason),
    root: NODE_ROOT,
    debugHooks,
  }).catch((e: unknown) => {
    releaseData();
    throw e;
  });
  log.info(`placement: ${describePlacement(placement)}`);
  startSessionsSupervisor(host);
  // --- end actor runtime ---

  if (noClientCanWrite(env.rwSecret, env.roSecret)) {
    log.warn(
      'DOOZER_ROSECRET is set but DOOZER_RWSECRET is not: no client can write, and no node can attach to this one ' +
        '(attaching writes through the client protocol); set DOOZER_RWSECRET as well to allow writes',
    );
  }
  let replica: Replica;
  try {
    replica = await startReplica({
      system: host,
      opts,
      nodeId: id,
      addr,
      ...(internalSecret ? { secret: internalSecret } : {}),
      ...(peerTls ? { peerTls } : {}),
      ...(data ? { dataDir: data.dir } : {}),
      ...(start ? { start } : {}),
    });
  } catch (e) {
    await host.stopAll();
    releaseData();
    throw e;
  }

  // The port was taken at the start: serving it cannot fail.
  const clients = listenForClients({
    port: clientPort,
    system: host,
    supervisor: SESSIONS_SUPERVISOR,
    session: { nodeId: id, ...(env.rwSecret ? { rwSecret: env.rwSecret } : {}), ...(env.roSecret ? { roSecret: env.roSecret } : {}) },
  });
  log.info(`node ${id} serving clients on ${addr} (cluster ${opts.cluster})`);
  let web: WebServer | undefined;
  try {
    web = await startWebView({ web: opts.web, secretSet: Boolean(env.rwSecret || env.roSecret), system: host, nodeId: id, clientConnections: () => clients.connections(), pulseMs: opts.pulseSec * 1000 });
  } catch (e) {
    await clients.close();
    await replica.close();
    await host.stopAll();
    throw e;
  }
  // --- actor debug endpoint: /$actors on the web port, and -debug ADDR ---
  const actorsSource = { system: host, threads: () => host.threads, threadStats: () => host.threadStats(), placement: describePlacement(placement) };
  if (web) addActorRoutes(web, actorsSource);
  let debug: DebugServer | undefined;
  let stopMetrics: (() => void) | undefined;
  if (opts.debug) {
    // /metrics on -debug: the web view feeds it; without one, feed it here.
    if (!web) stopMetrics = startMetricsSources({ system: host, clientConnections: () => clients.connections() });
    try {
      debug = await startDebugServer({
        host: opts.debug.host,
        port: opts.debug.port,
        source: actorsSource,
        ...(debugHooks ? { hooks: { crashThread: (t: string) => host.crashThread(t), crashActor: (a: string) => host.crashActor(a) } } : {}),
      });
    } catch (e) {
      stopMetrics?.();
      await web?.close();
      await clients.close();
      await replica.close();
      await host.stopAll();
      throw e;
    }
  }
  // --- end actor debug endpoint ---

  const secret = Boolean(env.rwSecret || env.roSecret);
  const line = startupLine({
    nodeId: id,
    addr,
    tls: tlsFiles !== undefined,
    secret,
    web: web ? { host: opts.web!.host, port: web.port } : opts.web ? 'secret' : 'disabled',
    ...(debug ? { debug: { host: opts.debug!.host, port: debug.port } } : {}),
    cluster: opts.cluster,
    how: replica.how,
    ...(start?.role ? { role: start.role } : {}),
    ...(data ? { data: data.dir } : {}),
    ...(replica.via !== undefined ? { via: replica.via } : {}),
    ...(replica.nameService && opts.bootUri ? { nameService: opts.bootUri } : {}),
    placement: describePlacement(placement),
    ...(opts.placement && opts.placement !== 'auto' ? { placementFile: opts.placement } : {}),
  });

  return {
    id,
    addr,
    startupLine: line,
    async close() {
      await debug?.close();
      stopMetrics?.();
      await web?.close();
      await clients.close();
      await replica.close();
      await host.stopAll();
      data?.close();
    },
  };
}

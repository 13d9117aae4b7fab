// One doozerd node: starts the actors, the client listener and (later) the
// peer transport and web view, and stops them all on shutdown.
import { readFileSync } from 'node:fs';
import { logger } from '../log.js';
import { ActorHost } from '../runtime/host.js';
import { actorKinds } from '../actors/kinds.js';
import { STORE } from '../actors/store/messages.js';
import { PROPOSER } from '../actors/proposer-messages.js';
import { listenForClients, type ClientListener } from '../net/client-listener.js';
import type { NodeOptions } from './flags.js';
import { newNodeId } from './node-id.js';
import { seedMutations, startupProposals } from './boot.js';
import { startWebView, type WebServer } from '../net/http/server.js';

const log = logger('node');

export interface RunningNode {
  id: string;
  addr: string;
  close(): Promise<void>;
}

export interface NodeEnv {
  rwSecret?: string;
  roSecret?: string;
  /** Called when the node cannot go on (restart limit exceeded). */
  onFatal(reason: string): void;
}

export async function startNode(opts: NodeOptions, env: NodeEnv): Promise<RunningNode> {
  const id = newNodeId();
  const addr = `${opts.listen.host}:${opts.listen.port}`;
  const host = new ActorHost({
    thread: 'main',
    kinds: actorKinds,
    onEscalate: (name, reason) => env.onFatal(`actor ${name} keeps crashing (${reason})`),
  });

  const seed = seedMutations(opts.cluster, id, addr);
  host.spawn({ name: STORE, kind: 'store', args: { hist: opts.hist } });
  seed.forEach((mutation, i) => host.send(STORE, { type: 'apply', seqn: i + 1, mutation }));
  host.spawn({ name: PROPOSER, kind: 'solo-proposer', args: { startRev: seed.length, startup: startupProposals(id) } });
  host.spawn({ name: 'pulse', kind: 'pulse', args: { nodeId: id, pulseMs: opts.pulseSec * 1000 } });

  const tlsFiles = opts.tlsCert && opts.tlsKey ? { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) } : undefined;
  let clients: ClientListener;
  try {
    clients = await listenForClients({
      host: opts.listen.host,
      port: opts.listen.port,
      system: host,
      session: { nodeId: id, ...(env.rwSecret ? { rwSecret: env.rwSecret } : {}), ...(env.roSecret ? { roSecret: env.roSecret } : {}) },
      ...(tlsFiles ? { tls: tlsFiles } : {}),
    });
  } catch (e) {
    host.stopAll();
    throw e;
  }
  log.info(`node ${id} serving clients on ${addr} (cluster ${opts.cluster})`);
  let web: WebServer | undefined;
  try {
    web = await startWebView({ web: opts.web, secretSet: Boolean(env.rwSecret || env.roSecret), system: host, nodeId: id, clientConnections: () => clients.connections() });
  } catch (e) {
    await clients.close();
    host.stopAll();
    throw e;
  }

  return {
    id,
    addr,
    async close() {
      await web?.close();
      await clients.close();
      host.stopAll();
    },
  };
}

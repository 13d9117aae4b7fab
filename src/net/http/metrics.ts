// /metrics: the node's numbers in Prometheus text format (prom-client).
//
// Counters are process-wide (one doozerd node per process): any code on the
// main thread may import `metrics` and count, e.g.
//
//   import { metrics } from '../net/http/metrics.js';
//   metrics.requests.inc({ verb: 'SET', code: 'OK' });      // client session
//   metrics.proposals.inc();                                 // proposer
//   metrics.consensusRounds.inc(); metrics.consensusRetries.inc(); metrics.fills.inc();
//   metrics.clientConnectionsAccepted.inc();                 // client listener
//
// (An actor moved to a worker thread would count in that thread's copy,
// which /metrics does not see: send the numbers to the main thread instead.)
//
// Gauges that read the live node (mailbox depths, store rev, history, WAITs,
// connections) are filled at scrape time from the sources the web server
// registers with `setMetricsSources` (src/net/http/metrics-sources.ts).
import type { ConsensusCountsMessage } from '../../actors/proposer.js';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ActorStats } from '../../runtime/stats.js';

export const registry = new Registry();

/** Called when /metrics is read, before the request counter is: adds the answers counted since (see onRequestsCollect). */
let requestsFlush: (() => void) | undefined;

/**
 * Registers the function that adds to doozerd_client_requests_total what was
 * counted since the last read (the client listener counts answers in plain
 * numbers: a prom-client inc() with labels hashes them, per answer).
 */
export function onRequestsCollect(flush: () => void): void {
  requestsFlush = flush;
}

export const metrics = {
  registry,
  /** Client requests answered, by verb name (GET, SET, ...) and error code name (OK when none). */
  requests: new Counter({
    name: 'doozerd_client_requests_total',
    help: 'Client requests answered, by verb and error code (OK = success)',
    labelNames: ['verb', 'code'] as const,
    registers: [registry],
    collect() {
      requestsFlush?.();
    },
  }),
  /** Client TCP connections accepted since start (the gauge doozerd_client_connections is the open ones). */
  clientConnectionsAccepted: new Counter({
    name: 'doozerd_client_connections_accepted_total',
    help: 'Client connections accepted since start',
    registers: [registry],
  }),
  /** Store revisions applied on this node (counted by the store mirror of /metrics as events arrive). */
  revsApplied: new Counter({
    name: 'doozerd_revs_applied_total',
    help: 'Store revisions (seqns) applied on this node since /metrics started watching the store',
    registers: [registry],
  }),
  /** Mutations proposed by this node. Counted by the consensus actor (countConsensus). */
  proposals: new Counter({
    name: 'doozerd_proposals_total',
    help: 'Mutations this node proposed',
    registers: [registry],
  }),
  /** Paxos rounds this node started as coordinator. Counted by the consensus actor (countConsensus). */
  consensusRounds: new Counter({
    name: 'doozerd_consensus_rounds_total',
    help: 'Consensus rounds started by this node',
    registers: [registry],
  }),
  /** Rounds restarted with a higher ballot (conflict or timeout). Counted by the consensus actor (countConsensus). */
  consensusRetries: new Counter({
    name: 'doozerd_consensus_retries_total',
    help: 'Consensus rounds retried (conflict or timeout)',
    registers: [registry],
  }),
  /** Idle instances filled with a no-op. Counted by the consensus actor (countConsensus). */
  fills: new Counter({
    name: 'doozerd_fills_total',
    help: 'Idle consensus instances filled with a no-op',
    registers: [registry],
  }),
  /** HTTP requests to the web view, by route and status code. */
  httpRequests: new Counter({
    name: 'doozerd_http_requests_total',
    help: 'Web view HTTP requests, by route and status code',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  }),
};

export interface StoreStats {
  rev: number;
  oldestRev: number;
  waits: number;
  subscribers: number;
}

/** Where the scrape-time gauges read from; set by startMetricsSources (metrics-sources.ts). */
export interface MetricsSources {
  /** Actor stats of the node (mailboxes). */
  actorStats(): ActorStats[] | Promise<ActorStats[]>;
  /** Open client connections. */
  clientConnections(): number;
  /** Open web view live connections. */
  webClients(): number;
  /** Store numbers, or undefined if the store did not answer in time. */
  storeStats(): Promise<StoreStats | undefined>;
}

let sources: MetricsSources | undefined;

/** Register the node's sources (returns a function that unregisters them). */
export function setMetricsSources(s: MetricsSources): () => void {
  sources = s;
  return () => {
    if (sources === s) sources = undefined;
  };
}

/** One call per scrape even though several gauges need the same numbers. */
function shared<T>(get: () => Promise<T>, ttlMs = 200): () => Promise<T> {
  let at = 0;
  let pending: Promise<T> | undefined;
  return () => {
    const now = Date.now();
    if (!pending || now - at > ttlMs) {
      at = now;
      pending = get();
    }
    return pending;
  };
}

const actorStatsNow = shared(async () => (sources ? await sources.actorStats() : []));
const storeStatsNow = shared(async () => (sources ? await sources.storeStats() : undefined));

function storeGauge(name: string, help: string, pick: (s: StoreStats) => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      const s = await storeStatsNow();
      if (s) this.set(pick(s));
      else this.reset();
    },
  });
}

storeGauge('doozerd_store_rev', 'Current store revision of this node', (s) => s.rev);
storeGauge('doozerd_store_oldest_rev', 'Oldest store revision still readable', (s) => s.oldestRev);
storeGauge('doozerd_store_history_revs', 'Revisions of history kept (rev - oldest rev + 1)', (s) => s.rev - s.oldestRev + 1);
storeGauge('doozerd_watches', 'Pending WAITs (client watches) in the store', (s) => s.waits);
storeGauge('doozerd_store_subscribers', 'Event stream subscribers of the store', (s) => s.subscribers);

new Gauge({
  name: 'doozerd_client_connections',
  help: 'Open client connections',
  registers: [registry],
  collect() {
    this.set(sources?.clientConnections() ?? 0);
  },
});

new Gauge({
  name: 'doozerd_web_clients',
  help: 'Open web view live (WebSocket) connections',
  registers: [registry],
  collect() {
    this.set(sources?.webClients() ?? 0);
  },
});

function actorGauge(name: string, help: string, pick: (s: ActorStats) => number): Gauge<'actor' | 'kind' | 'thread'> {
  return new Gauge({
    name,
    help,
    labelNames: ['actor', 'kind', 'thread'] as const,
    registers: [registry],
    async collect() {
      this.reset(); // actors that stopped (closed sessions) disappear
      for (const s of await actorStatsNow()) this.set({ actor: s.name, kind: s.kind, thread: s.thread }, pick(s));
    },
  });
}

actorGauge('doozerd_mailbox_depth', 'Messages waiting in an actor mailbox', (s) => s.depth);
actorGauge('doozerd_mailbox_max_depth', 'Deepest an actor mailbox has been', (s) => s.maxDepth);
actorGauge('doozerd_actor_messages_processed', 'Messages an actor has handled', (s) => s.processed);
actorGauge('doozerd_actor_restarts', 'Times an actor was restarted after a crash', (s) => s.restarts);

let processMetrics = false;

/** Node.js process metrics (nodejs_eventloop_lag_seconds, heap, GC, ...); started with the metric sources. */
export function enableProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
}

/** The scrape: Prometheus text format. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

export function countConsensus(m: ConsensusCountsMessage): void {
  if (m.proposals) metrics.proposals.inc(m.proposals);
  if (m.fills) metrics.fills.inc(m.fills);
  if (m.rounds) metrics.consensusRounds.inc(m.rounds);
  if (m.retries) metrics.consensusRetries.inc(m.retries);
}

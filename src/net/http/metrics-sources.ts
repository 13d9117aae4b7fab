// Feeds /metrics with the live node: the scrape-time gauges' sources
// (mailboxes, store numbers, connections) and the consensus counters the
// consensus actor sends. The web view starts this with its store mirror;
// without a web view (-w false, or a client secret set) the node starts it
// on its own when -debug serves /metrics.
import type { ActorSystem } from '../../runtime/system.js';
import { METRICS_ENDPOINT, type ConsensusCountsMessage } from '../../actors/proposer.js';
import { countConsensus, enableProcessMetrics, setMetricsSources } from './metrics.js';
import { StoreMirror } from './mirror.js';

export interface MetricsSourceOptions {
  system: ActorSystem;
  /** Open client connections. */
  clientConnections?: () => number;
  /** Open web view live connections (0 without a web view). */
  webClients?: () => number;
  /** The web view's mirror; without one, a mirror of our own is started (it also counts revs applied). */
  mirror?: StoreMirror;
}

/** Registers the node's metric sources; returns a function that stops them. */
export function startMetricsSources(o: MetricsSourceOptions): () => void {
  enableProcessMetrics();
  const own = o.mirror ? undefined : new StoreMirror(o.system);
  const mirror = o.mirror ?? own!;
  const unsetSources = setMetricsSources({
    actorStats: () => o.system.stats(0),
    clientConnections: () => o.clientConnections?.() ?? 0,
    webClients: () => o.webClients?.() ?? 0,
    storeStats: () => mirror.storeStats(),
  });
  const unregisterCounts = o.system.registerEndpoint(METRICS_ENDPOINT, (m) => countConsensus(m as ConsensusCountsMessage));
  own?.start();
  return () => {
    own?.stop();
    unsetSources();
    unregisterCounts();
  };
}

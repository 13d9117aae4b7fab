// The node's supervision tree, in one place (docs/runtime.md, "Supervision"):
//
//   node (one_for_one, 1 restart / 10 s; gives up: the node exits)
//   ├── replica (rest_for_one, 5 restarts / 10 s)
//   │   ├── store
//   │   ├── acceptor
//   │   ├── learner
//   │   ├── proposer
//   │   ├── slave-watcher
//   │   ├── liveness
//   │   └── pulse
//   └── sessions (one_for_one; temporary children, never restarted)
//       └── client-session:N@ADDR ...
//
// replica is an ordered group: each actor depends on those before it (all on
// the store's stream; the proposer's rounds on the acceptor and learner), so the
// restart of one restarts every actor after it, which subscribe again as they
// start. The runtime (src/runtime/supervisor.ts) provides the mechanism.
import type { ActorSpec } from '../runtime/actor.js';
import type { SupervisorSpec } from '../runtime/supervisor.js';
import type { ActorSystem } from '../runtime/system.js';
import { STORE } from '../actors/store/messages.js';
import { ACCEPTOR, LEARNER, PROPOSER } from '../actors/paxos-messages.js';
import { SLAVE_WATCHER } from '../actors/slave-watcher.js';
import { LIVENESS } from '../actors/liveness.js';

/** The top supervisor: restarts a failed group once within 10 s; failing again, it gives up and the node exits 1. */
export const NODE_ROOT: SupervisorSpec = { name: 'node', strategy: 'one_for_one', intensity: 1, periodMs: 10_000 };

export const REPLICA_SUPERVISOR = 'replica';
export const SESSIONS_SUPERVISOR = 'sessions';

/** The replica's actors, in dependency order: each may depend on any before it. */
export const REPLICA_ORDER = [STORE, ACCEPTOR, LEARNER, PROPOSER, SLAVE_WATCHER, LIVENESS, 'pulse'] as const;
export type ReplicaActor = (typeof REPLICA_ORDER)[number];

/** The replica group's supervisor (the simulation builds the same tree: src/sim/sim-node.ts). */
export const REPLICA: SupervisorSpec = { name: REPLICA_SUPERVISOR, strategy: 'rest_for_one', intensity: 5, periodMs: 10_000, parent: NODE_ROOT.name };
const SESSIONS: SupervisorSpec = { name: SESSIONS_SUPERVISOR, strategy: 'one_for_one', parent: NODE_ROOT.name };

/** Start the sessions supervisor: client sessions are its temporary children (spawned with `supervisor: SESSIONS_SUPERVISOR`). */
export function startSessionsSupervisor(system: ActorSystem): void {
  system.spawnSupervisor(SESSIONS);
}

/**
 * Start the replica group: the store first, then `afterStore` (seed the
 * store, bind the UDP transport the consensus actors talk through), then the
 * others in REPLICA_ORDER. `specs` gives each actor's kind and args (names
 * are REPLICA_ORDER's). Throws what spawn throws.
 */
export async function startReplicaGroup(
  system: ActorSystem,
  specs: Record<ReplicaActor, Omit<ActorSpec, 'name' | 'supervisor'>>,
  afterStore: () => Promise<void>,
): Promise<void> {
  const [first, ...rest] = REPLICA_ORDER;
  system.spawnSupervisor({ ...REPLICA, children: [{ ...specs[first], name: first }] });
  await afterStore();
  for (const name of rest) system.spawn({ ...specs[name], name, supervisor: REPLICA_SUPERVISOR });
}

// Every actor kind by name, so a host on any thread can start one from a spec.
import type { ActorFactory } from '../runtime/actor.js';
import { createClientSession } from './client-session.js';
import { createAcceptor } from './acceptor.js';
import { createLearner } from './learner.js';
import { createLiveness } from './liveness.js';
import { createProposer } from './proposer.js';
import { createPulse } from './pulse.js';
import { createSlaveWatcher } from './slave-watcher.js';
import { createStoreActor } from './store/store-actor.js';

export const actorKinds: Record<string, ActorFactory> = {
  store: createStoreActor,
  acceptor: createAcceptor,
  learner: createLearner,
  proposer: createProposer,
  'client-session': createClientSession,
  'slave-watcher': createSlaveWatcher,
  liveness: createLiveness,
  pulse: createPulse,
};

/** Groups a placement file may name instead of kinds: "consensus" = the Paxos role actors. */
export const kindGroups: Record<string, readonly string[]> = {
  consensus: ['acceptor', 'learner', 'proposer'],
};

// Every actor kind by name, so a host on any thread can start one from a spec.
// Worker threads load this module by its URL (kindsModuleUrl, given to the
// runtime as a kind module); importing it also registers the durable classes
// of the node's actors (durables.ts) and the data-plane encodings of their
// hottest messages (store/codecs.ts), on every thread.
import type { ActorFactory } from '../runtime/actor.js';
import { distModuleUrl } from '../runtime/dist-url.js';
import './durables.js';
import './store/codecs.js';
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
/** This module's compiled file (dist/actors/kinds.js), for worker threads to load the kinds from. */
export const kindsModuleUrl: string = distModuleUrl(import.meta.url);

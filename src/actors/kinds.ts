// Every actor kind by name, so a host on any thread can start one from a spec.
import type { ActorFactory } from '../runtime/actor.js';
import { createClientSession } from './client-session.js';
import { createPulse } from './pulse.js';
import { createSoloProposer } from './solo-proposer.js';
import { createStoreActor } from './store/store-actor.js';

export const actorKinds: Record<string, ActorFactory> = {
  store: createStoreActor,
  'client-session': createClientSession,
  'solo-proposer': createSoloProposer,
  pulse: createPulse,
};

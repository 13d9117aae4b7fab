// Public surface of the pure consensus core: the three Paxos roles of one
// node, each a state machine over its window of instances.
export { AcceptorCore, type AcceptorCoreOptions, type AcceptorReady, type AcceptorState } from './acceptor-core.js';
export { LearnerCore, type LearnerCoreOptions, type LearnerReady } from './learner-core.js';
export { ProposerCore, type ProposerCoreOptions, type ProposerReady, type ProposerStats, type ProposerView, type InstanceView } from './proposer-core.js';
export { CalConfig } from './cals.js';
export {
  Cmd,
  LOCAL_SOURCE,
  NOP_VALUE,
  bytesEqual,
  type Cal,
  type Learned,
  type PaxosMsg,
  type Rng,
  type Send,
  type Written,
} from './types.js';

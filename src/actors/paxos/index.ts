// Public surface of the pure consensus core.
export { Manager, type AcceptorState, type ManagerOptions, type ManagerStats, type ManagerView, type InstanceView, type Ready } from './manager.js';
export { CalConfig } from './cals.js';
export {
  Cmd,
  NOP_VALUE,
  bytesEqual,
  type Cal,
  type Learned,
  type PaxosMsg,
  type Rng,
  type Send,
  type Written,
} from './types.js';

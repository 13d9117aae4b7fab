// Where the runtime gets time, timers and randomness from. Actors never read
// the clock or start timers themselves (ActorContext.now/setTimer/random);
// the host they run on asks its clock. A node uses the real one; the
// deterministic simulation (src/sim) gives every host a virtual clock on one
// seeded scheduler, so a seed replays exactly.

/** A timer started by a RuntimeClock, to cancel it. */
export type TimerHandle = unknown;

export interface RuntimeClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Wall-clock milliseconds since the epoch (ages shown to users). */
  wallNow(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(h: TimerHandle): void;
  /** Run `fn` soon, after pending I/O (the host's next drain of mailboxes). */
  defer(fn: () => void): void;
  /**
   * Run `fn` as soon as the current callback and the work it queued are
   * done, before any I/O (a microtask; ActorContext.defer). Optional: a
   * clock without it (the simulation's) uses defer.
   */
  soon?(fn: () => void): void;
  /** A random number in [0, 1). */
  random(): number;
  /** Whether background chores (rate sampling) should run: false in a simulation, where they would only add events. */
  readonly background: boolean;
}

/** The process's own clock: performance.now, setTimeout, setImmediate, Math.random. */
export const realClock: RuntimeClock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  defer: (fn) => setImmediate(fn),
  soon: (fn) => queueMicrotask(fn),
  random: Math.random,
  background: true,
};

// Every deadline the tests wait with, in one place, sized for a loaded
// 2-core machine (CI runs two test files at once next to other work).
// A deadline bounds how long a test waits for a condition before it fails;
// waiting itself always polls the condition (until.ts), never sleeps blindly.
//
// DOOZER_TEST_SLOWDOWN=N (default 1) multiplies every value, for a machine
// slower still. WINDOW values are the other way round: how long a test
// watches for something that must NOT happen (a write answered without a
// quorum); they are not scaled down, only up.

const factor = ((): number => {
  const raw = process.env.DOOZER_TEST_SLOWDOWN;
  const n = raw === undefined ? 1 : Number(raw);
  if (!Number.isFinite(n) || n < 1) throw new Error(`DOOZER_TEST_SLOWDOWN must be a number >= 1, not ${JSON.stringify(raw)}`);
  return n;
})();

const s = (ms: number): number => Math.round(ms * factor);

/** Deadlines in milliseconds. */
export const DEADLINE = {
  /** One request answered by a healthy node (or a CLI command run to completion). */
  answer: s(10_000),
  /** A started process accepts connections. */
  start: s(30_000),
  /** A cluster reaches a state: CALs writable, stores equal, a node caught up, a slot taken. */
  converge: s(30_000),
  /** A silent CAL (-timeout 2) removed and its slot retaken; plus the time to notice. */
  removal: s(40_000),
  /** The original doozerd (mixed clusters) removing a dead CAL and a slave taking the slot: it is slower. */
  removalOriginal: s(90_000),
  /** A process exits after SIGTERM (graceful shutdown). */
  exit: s(15_000),
  /** A tiny in-process condition (unit tests against fake servers). */
  local: s(5_000),
} as const;

/** How long a test watches for something that must not happen. */
export const WINDOW = {
  /** A write that needs a quorum that is not there stays unanswered at least this long. */
  pending: s(1_500),
  /** Work "for several -timeout periods" (-timeout 2) to show nothing gets evicted. */
  busy: s(5_000),
} as const;

/**
 * Latencies the product promises (README), checked as such: a test fails if
 * the promise is broken, also on a loaded machine (scaled by the slowdown).
 */
export const PROMISE = {
  /** A change shows in an open web view within a second, without reload. */
  webLive: s(1_000),
} as const;

/** Vitest timeouts for whole tests: single node, and real clusters. */
export const TEST_TIMEOUT = {
  node: s(60_000),
  cluster: s(120_000),
  bigCluster: s(180_000),
  /** CPU-bound simulation runs of hundreds of seeds. */
  sim: s(240_000),
  /** npm pack / install of the package in a temporary directory. */
  package: s(180_000),
  /** Mixed clusters with the original doozerd (test/e2e/mixed-cluster.test.ts). */
  mixedCluster: s(240_000),
} as const;

// Placement: which thread each actor kind runs on (docs/runtime.md).
//
//   {
//     "workers": ["core"],            named worker threads (each its own thread)
//     "pool": 2,                      worker threads that share the actors placed on "pool"
//     "place": {                      actor kind (or group) -> "main" | a worker name | "pool"
//       "store": "core",
//       "consensus": "core",
//       "client-session": "pool",
//       "*": "main"                   every kind not named (default "main")
//     }
//   }
//
// Groups: "consensus" = the consensus actors (whatever kinds implement it),
// so a placement file does not need to change when they do. A kind named
// exactly wins over its group, a group over "*".
//
// "auto" (the default, or `-placement auto`): worker threads only where
// cores allow (autoPlacement).
//
// Pure: parsePlacement validates a parsed JSON value; loadPlacement reads a
// file. Errors name the bad key and what is allowed.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export const MAIN = 'main';
export const POOL = 'pool';
export const MAX_THREADS = 16;

export interface Placement {
  /** Named worker threads, in order. */
  workers: string[];
  /** Number of pool worker threads (named pool-1 .. pool-N). */
  pool: number;
  /** Kind or group (or "*") -> "main" | worker name | "pool". */
  place: Record<string, string>;
  /** Set when `auto` chose this placement: what it chose and why, e.g. "every actor on the main thread (2 cores < 4)". */
  auto?: string;
}

export class PlacementError extends Error {}

/** Everything on the main thread: no worker threads at all. */
export const ALL_ON_MAIN: Placement = { workers: [], pool: 0, place: {} };

/** The name of the automatic placement (`-placement auto`, the default). */
export const AUTO = 'auto';
/** `auto` uses worker threads from this many cores (os.availableParallelism()) on. */
export const AUTO_MIN_CORES = 4;
/** What `auto` runs with enough cores: the store and the consensus group on worker thread "core", the rest on main. */
export const AUTO_THREADED: Placement = { workers: ['core'], pool: 0, place: { store: 'core', consensus: 'core' } };

/**
 * The automatic placement for a machine with `cores` cores: AUTO_THREADED
 * from AUTO_MIN_CORES cores on, every actor on the main thread below (on 2
 * cores the client and the node already fill the machine, and a thread hop
 * costs more than it saves: docs/runtime.md, "Placement benchmark"). The
 * result's `auto` says what was chosen and why.
 */
export function autoPlacement(cores: number = availableParallelism()): Placement {
  if (cores >= AUTO_MIN_CORES) {
    return { ...AUTO_THREADED, place: { ...AUTO_THREADED.place }, auto: `store + consensus on worker thread core, the rest on main (${cores} cores >= ${AUTO_MIN_CORES})` };
  }
  return { ...ALL_ON_MAIN, place: {}, auto: `every actor on the main thread (${cores} core${cores === 1 ? '' : 's'} < ${AUTO_MIN_CORES})` };
}

/**
 * The built-in placement, used without -placement / DOOZERD_PLACEMENT (and
 * for `-placement auto`): autoPlacement() of this machine.
 */
export const DEFAULT_PLACEMENT: Placement = autoPlacement();

const TOP_KEYS = ['workers', 'pool', 'place', 'comment'];
const NAME_RE = /^[a-z][a-z0-9-]{0,31}$/;

/** Kinds that make up the "consensus" group, when kinds.ts does not say. */
const CONSENSUS_HINTS = ['proposer', 'acceptor', 'learner', 'coordinator', 'consensus', 'paxos'];

/** The groups a placement may name, resolved against the kinds that exist. */
export function kindGroups(kinds: readonly string[], declared?: Record<string, readonly string[]>): Record<string, string[]> {
  const consensus = declared?.consensus
    ? [...declared.consensus]
    : kinds.filter((k) => CONSENSUS_HINTS.some((h) => k.includes(h)));
  return { ...Object.fromEntries(Object.entries(declared ?? {}).map(([g, ks]) => [g, [...ks]])), consensus };
}

const q = (s: string): string => JSON.stringify(s);
const list = (xs: readonly string[]): string => xs.map(q).join(', ');

/** Pool thread names for a placement: pool-1 .. pool-N. */
export function poolThreads(p: Placement): string[] {
  return Array.from({ length: p.pool }, (_, i) => `pool-${i + 1}`);
}

/** Every worker thread of a placement (named ones, then the pool). */
export function workerThreads(p: Placement): string[] {
  return [...p.workers, ...poolThreads(p)];
}

/** Where an actor of `kind` runs: "main", a worker name, or "pool". */
export function placeOf(p: Placement, kind: string, groups: Record<string, readonly string[]> = {}): string {
  const exact = p.place[kind];
  if (exact !== undefined) return exact;
  for (const [g, kinds] of Object.entries(groups)) {
    const where = p.place[g];
    if (where !== undefined && kinds.includes(kind)) return where;
  }
  return p.place['*'] ?? MAIN;
}

/**
 * Validate a parsed placement. `kinds`: the actor kinds that exist;
 * `groups`: the group names allowed besides them.
 */
export function parsePlacement(raw: unknown, kinds: readonly string[], groups: Record<string, readonly string[]> = {}): Placement {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PlacementError(`must be a JSON object with the keys ${list(TOP_KEYS)}`);
  }
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!TOP_KEYS.includes(k)) throw new PlacementError(`unknown key ${q(k)}; allowed keys: ${list(TOP_KEYS)}`);
  }
  if (obj.comment !== undefined && typeof obj.comment !== 'string') throw new PlacementError(`"comment": must be a string`);

  const workers: string[] = [];
  if (obj.workers !== undefined) {
    if (!Array.isArray(obj.workers)) throw new PlacementError(`"workers": must be an array of thread names, like ["core"]`);
    obj.workers.forEach((w, i) => {
      if (typeof w !== 'string' || !NAME_RE.test(w)) {
        throw new PlacementError(`"workers[${i}]": ${JSON.stringify(w)} is not a thread name; allowed: lower-case letters, digits and '-', starting with a letter`);
      }
      if (w === MAIN || w === POOL || /^pool-\d+$/.test(w)) {
        throw new PlacementError(`"workers[${i}]": ${q(w)} is reserved; "main" is the main thread and "pool"/"pool-N" are the pool's`);
      }
      if (workers.includes(w)) throw new PlacementError(`"workers[${i}]": ${q(w)} is listed twice`);
      workers.push(w);
    });
  }

  let pool = 0;
  if (obj.pool !== undefined) {
    const n = obj.pool;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_THREADS) {
      throw new PlacementError(`"pool": must be an integer from 0 to ${MAX_THREADS}, got ${JSON.stringify(n)}`);
    }
    pool = n;
  }
  if (workers.length + pool > MAX_THREADS) {
    throw new PlacementError(`"workers" and "pool": at most ${MAX_THREADS} worker threads in all, got ${workers.length + pool}`);
  }

  const place: Record<string, string> = {};
  if (obj.place !== undefined) {
    if (typeof obj.place !== 'object' || obj.place === null || Array.isArray(obj.place)) {
      throw new PlacementError(`"place": must be an object mapping actor kinds to threads, like {"store": "main"}`);
    }
    const keys = [...kinds, ...Object.keys(groups).filter((g) => !kinds.includes(g)), '*'];
    const threads = [MAIN, ...(pool > 0 ? [POOL] : []), ...workers];
    for (const [k, v] of Object.entries(obj.place as Record<string, unknown>)) {
      if (!keys.includes(k)) throw new PlacementError(`"place": unknown actor kind ${q(k)}; allowed: ${list(keys)}`);
      if (typeof v !== 'string' || !threads.includes(v)) {
        const hint = v === POOL && pool === 0 ? ' ("pool" needs "pool": 1 or more)' : '';
        throw new PlacementError(`"place.${k}": ${JSON.stringify(v)} is not a thread${hint}; allowed: ${list(threads)}`);
      }
      place[k] = v;
    }
  }
  return { workers, pool, place };
}

/** Read and validate a placement file. Errors start with the file name. */
export function loadPlacement(file: string, kinds: readonly string[], groups: Record<string, readonly string[]> = {}): Placement {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PlacementError(`placement ${file}: cannot read it: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PlacementError(`placement ${file}: not valid JSON: ${(e as Error).message}`);
  }
  try {
    return parsePlacement(raw, kinds, groups);
  } catch (e) {
    if (e instanceof PlacementError) throw new PlacementError(`placement ${file}: ${e.message}`);
    throw e;
  }
}

/** One line describing a placement, for the log, the start-up line and /$actors. */
export function describePlacement(p: Placement): string {
  if (p.auto !== undefined) return `${AUTO}, ${p.auto}`;
  const threads = workerThreads(p);
  const where = Object.entries(p.place).map(([k, v]) => `${k}=${v}`).join(' ');
  return threads.length === 0 ? 'every actor on the main thread' : `worker threads ${threads.join(', ')}; ${where || 'all kinds on main'}`;
}

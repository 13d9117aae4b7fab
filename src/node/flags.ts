// doozerd's command-line flags: the original's names and defaults (spec/cluster.md),
// Go flag syntax (-name value, -name=value, --name). Pure: returns options or an error.
import { PlacementError, type Placement } from '../runtime/placement.js';
import { loadNodePlacement } from './node-placement.js';
import { DEFAULT_HIST } from '../actors/store/store.js';
import { parseTarget } from '../client/uri.js';

export interface NodeOptions {
  listen: { host: string; port: number };
  attach: string[];
  bootUri: string | undefined;
  cluster: string;
  /** Web view address, or undefined when disabled. */
  web: { host: string; port: number } | undefined;
  timeoutSec: number;
  pulseSec: number;
  fillSec: number;
  hist: number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** CA file trusted when this TLS node dials other nodes (default: its own -tlscert). */
  tlsCa: string | undefined;
  placement: string | undefined;
  /** The placement file, read and checked (the default placement without one). */
  placementConfig?: Placement;
  debug: { host: string; port: number } | undefined;
  /** -data DIR (or $DOOZERD_DATA): keep this node's state on disk (docs/durability.md). */
  data: string | undefined;
  /** -restore FILE: start a new cluster of one from a `doozer dump` file. */
  restore: string | undefined;
  /** -force-new-cluster: start a new cluster of one from -data, dropping the other CALs. */
  forceNewCluster: boolean;
  /** -snapshot n: revs between snapshots of the store on disk. */
  snapshotEvery: number;
  /** Whether -c was given (a restarted node takes its cluster name from -data otherwise). */
  clusterSet: boolean;
  showVersion: boolean;
  showHelp: boolean;
}

/**
 * A bad command line. `usage` is true when the command line itself is
 * malformed (an unknown flag, a missing value, a stray argument): the caller
 * prints the whole usage; false for a bad VALUE of a known flag (a bad
 * number, a bad file), where the message says all and the usage would bury it.
 */
export class FlagError extends Error {
  constructor(message: string, readonly usage = false) {
    super(message);
  }
}

/** Largest -timeout/-pulse/-fill in seconds: a Node timer longer than 2^31-1 ms fires at once. */
export const MAX_DURATION_SEC = Math.floor(0x7fffffff / 1000);
/** Smallest -pulse: one /ctl/node/<id>/applied write per 10 ms at most. */
export const MIN_PULSE_SEC = 0.01;
/** Largest -hist/-snapshot. */
export const MAX_COUNT = 0x7fffffff;

/** A cluster name: one path component (spec/store.md "Tree"), since it names /ctl/ns/<name>. */
const CLUSTER_NAME_RE = /^[A-Za-z0-9.-]+$/;
/** Longest cluster name we accept (it is part of every /ctl/ns path). */
export const MAX_CLUSTER_NAME = 255;

/** Quotes a user-supplied value for a message, cut to 64 characters. */
function shown(v: string): string {
  return v.length > 64 ? `${JSON.stringify(v.slice(0, 64))}... (${v.length} characters)` : JSON.stringify(v);
}

export const usage = `Usage: doozerd [flags]

  -l addr        client TCP and consensus UDP address (default 127.0.0.1:8046)
  -a addr        attach to the cluster at addr (repeatable)
  -b uri         boot through a name service (default $DOOZER_BOOT_URI)
  -c name        cluster name (default local)
  -w addr        web view address, or false to disable (default host of -l, port 8000)
  -timeout n     seconds of silence before a CAL is removed (default 60)
  -pulse n       seconds between /ctl/node/<id>/applied updates (default 1,
                 at least 0.01)
  -fill n        seconds before filling an idle instance with a no-op (default 0.1)
  -hist n        revisions of history kept (default ${DEFAULT_HIST})
  -tlscert file  TLS certificate for client connections (with -tlskey)
  -tlskey file   TLS key for client connections (with -tlscert)
  -tlsca file    with -tlscert: CA trusted when attaching to and following other
                 TLS nodes (default: the -tlscert certificate itself)
  -placement f   actor placement: a config file, or auto (default
                 $DOOZERD_PLACEMENT, else auto: worker threads from 4 cores)
  -debug addr    extra address serving only /$actors, /$actors.html and /metrics
  -data dir      keep this node's state in dir and come back from it on restart
                 (default $DOOZERD_DATA; without it everything is in memory)
  -snapshot n    revisions between snapshots of the store in -data (default 10000)
  -restore file  start a new cluster of one from a \`doozer dump\` file
  -force-new-cluster
                 with -data: start a new cluster of one from this node's data,
                 after the cluster lost its quorum for good (docs/durability.md)
  -v, -version   print the version and exit

Environment: DOOZER_RWSECRET, DOOZER_ROSECRET (client secrets),
DOOZERD_LOG=error|warn|info|debug (log level; default warn).
`;

type Kind = 'string' | 'repeat' | 'number' | 'int' | 'bool';
const spec: Record<string, Kind> = {
  l: 'string', a: 'repeat', b: 'string', c: 'string', w: 'string',
  timeout: 'number', pulse: 'number', fill: 'number', hist: 'int',
  tlscert: 'string', tlskey: 'string', tlsca: 'string', placement: 'string', debug: 'string',
  data: 'string', restore: 'string', 'force-new-cluster': 'bool', snapshot: 'int',
  v: 'bool', version: 'bool', h: 'bool', help: 'bool',
};

export function parseHostPort(s: string, what: string, defaultHost = ''): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  if (i < 0) throw new FlagError(`${what}: ${shown(s)} is not host:port`);
  let host = s.slice(0, i) || defaultHost;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const portText = s.slice(i + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new FlagError(`${what}: bad port in ${shown(s)}`);
  return { host, port };
}

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): NodeOptions {
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-' || arg === '--') throw new FlagError(`unexpected argument ${shown(arg)}`, true);
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const kind = spec[name];
    if (!kind) throw new FlagError(`flag provided but not defined: -${name}`, true);
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (kind === 'bool') value = 'true';
    else {
      if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: -${name}`, true);
      value = argv[++i]!;
    }
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  const last = (n: string): string | undefined => values.get(n)?.at(-1);
  // Every number flag has a range: 0, negative, NaN, Infinity and values
  // past what a timer or counter can hold are refused here (exit 2), never
  // turned into a busy loop or a timer that fires at once.
  // `min`: a duration's floor (inclusive); 0 means "more than 0".
  const num = (n: string, dflt: number, int: boolean, min = 0): number => {
    const v = last(n);
    if (v === undefined) return dflt;
    const x = Number(v);
    const max = int ? MAX_COUNT : MAX_DURATION_SEC;
    const want = int ? `an integer from 1 to ${max}` : `a number of seconds ${min > 0 ? `from ${min}` : 'more than 0'} and at most ${max}`;
    if (v.trim() === '' || !Number.isFinite(x) || (int && !Number.isInteger(x)) || x <= 0 || x < min || x > max) {
      throw new FlagError(`invalid value ${shown(v)} for flag -${n}: want ${want}`);
    }
    return x;
  };
  const bool = (n: string): boolean => {
    const v = last(n);
    if (v === undefined) return false;
    if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(v)) return true;
    if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(v)) return false;
    throw new FlagError(`invalid boolean value "${v}" for -${n}`);
  };

  const listen = parseHostPort(last('l') ?? '127.0.0.1:8046', '-l');
  if (listen.host === '' || listen.host === '0.0.0.0' || listen.host === '::') {
    throw new FlagError(`-l ${shown(last('l') ?? '')}: the address is the node's identity, so it needs a specific host (like 127.0.0.1:8046), not every interface`);
  }
  const w = last('w');
  let web: NodeOptions['web'];
  if (w === undefined) web = { host: listen.host, port: 8000 };
  else if (w === 'false') web = undefined;
  else web = parseHostPort(w, '-w', '');
  const debug = last('debug');

  const hist = num('hist', DEFAULT_HIST, true);
  const tlsCert = last('tlscert');
  const tlsKey = last('tlskey');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new FlagError('-tlscert and -tlskey must be given together');
  const tlsCa = last('tlsca');
  if (tlsCa !== undefined && tlsCert === undefined) throw new FlagError('-tlsca needs -tlscert and -tlskey (it is the CA this TLS node trusts in other nodes)');

  // Actor placement (src/runtime/placement.ts): read and checked here, so a
  // bad file is a usage error (exit 2) naming the bad key and what is allowed.
  const placementFile = last('placement') ?? (env.DOOZERD_PLACEMENT || undefined);
  let placementConfig: Placement;
  try {
    placementConfig = loadNodePlacement(placementFile);
  } catch (e) {
    if (e instanceof PlacementError) throw new FlagError(e.message);
    throw e;
  }

  const data = last('data') ?? (env.DOOZERD_DATA || undefined);
  const forceNewCluster = bool('force-new-cluster');
  if (forceNewCluster && data === undefined) throw new FlagError('-force-new-cluster needs -data: the directory of a surviving node');
  const restore = last('restore');
  if (restore !== undefined && forceNewCluster) throw new FlagError('-restore and -force-new-cluster cannot be given together');
  if ((restore !== undefined || forceNewCluster) && (values.has('a') || last('b') !== undefined)) {
    throw new FlagError(`${restore !== undefined ? '-restore' : '-force-new-cluster'} starts a new cluster: it cannot be given with -a or -b`);
  }
  const snapshotEvery = num('snapshot', 10000, true);
  const cluster = last('c') ?? 'local';
  if (!CLUSTER_NAME_RE.test(cluster) || cluster.length > MAX_CLUSTER_NAME) {
    throw new FlagError(`invalid cluster name ${shown(cluster)} for flag -c: want one name of 1 to ${MAX_CLUSTER_NAME} ASCII letters, digits, '.' and '-' (no '/', no spaces), like local`);
  }

  const attach = values.get('a') ?? [];
  for (const a of attach) {
    try {
      parseTarget(a);
    } catch (e) {
      throw new FlagError(`invalid value ${shown(a)} for flag -a: ${(e as Error).message}`);
    }
  }

  return {
    listen,
    attach,
    bootUri: last('b') ?? (env.DOOZER_BOOT_URI || undefined),
    cluster,
    web,
    timeoutSec: num('timeout', 60, false),
    // A pulse is a write: below MIN_PULSE_SEC it would flood the cluster.
    pulseSec: num('pulse', 1, false, MIN_PULSE_SEC),
    fillSec: num('fill', 0.1, false),
    hist,
    tlsCert,
    tlsKey,
    tlsCa,
    placement: placementFile,
    placementConfig,
    debug: debug === undefined ? undefined : parseHostPort(debug, '-debug', ''),
    data,
    restore,
    forceNewCluster,
    snapshotEvery,
    clusterSet: values.has('c'),
    showVersion: bool('v') || bool('version'),
    showHelp: bool('h') || bool('help'),
  };
}

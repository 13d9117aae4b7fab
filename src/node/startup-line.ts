// The one line `doozerd` prints on stderr once it serves (the only line at
// the default log level when all is well): what it serves, where, its role
// and the placement in use, e.g.
//
//   doozerd: node 5NJWX2RQ serving clients on 127.0.0.1:8046, web view http://127.0.0.1:8000/; first CAL of a new cluster "local"; placement: auto, every actor on the main thread (2 cores < 4)
//
// Pure: the node passes what it knows (src/node/node.ts); main.ts prints it.

export interface StartupFacts {
  nodeId: string;
  /** host:port of -l. */
  addr: string;
  tls: boolean;
  /** Clients must present a secret (DOOZER_RWSECRET / DOOZER_ROSECRET). */
  secret: boolean;
  /** Where the web view listens ('' host: every interface), or why there is none. */
  web: { host: string; port: number } | 'disabled' | 'secret';
  /** Where -debug listens, if set. */
  debug?: { host: string; port: number };
  cluster: string;
  /** seed: started a new cluster (first CAL); attached: a slave of a running one. */
  how: 'seed' | 'attached';
  /** Attached: the CAL's address we attached through. */
  via?: string;
  /** Started from -data, -restore or -force-new-cluster: says so instead of `how` (src/node/durable-boot.ts). */
  role?: string;
  /** -data directory, if any. */
  data?: string;
  /** Booted through a name service (-b). */
  nameService?: string;
  /** describePlacement() of the placement in use; `file` is the -placement file, if any. */
  placement: string;
  placementFile?: string;
}

function url(a: { host: string; port: number }, fallbackHost: string, path: string): string {
  const host = a.host === '' ? fallbackHost : a.host;
  const shown = host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${a.port}${path}${a.host === '' ? ' (every interface)' : ''}`;
}

/** The start-up line (no trailing newline). */
export function startupLine(f: StartupFacts): string {
  const listenHost = f.addr.slice(0, f.addr.lastIndexOf(':'));
  const serves = [`serving clients on ${f.addr}${f.tls ? ' (TLS)' : ''}${f.secret ? ' (secret required)' : ''}`];
  if (f.web === 'disabled') serves.push('no web view (-w false)');
  else if (f.web === 'secret') serves.push('no web view (a client secret is set)');
  else serves.push(`web view ${url(f.web, listenHost, '/')}`);
  if (f.debug) serves.push(`debug ${url(f.debug, listenHost, '/$actors.html')}`);
  if (f.data) serves.push(`data in ${f.data}`);

  const cluster = JSON.stringify(f.cluster);
  let role: string;
  if (f.role) {
    role = f.role;
  } else if (f.how === 'seed') {
    role = f.nameService
      ? `first CAL of a new cluster ${cluster}, booted via the name service ${f.nameService}`
      : `first CAL of a new cluster ${cluster}`;
  } else {
    const through = f.nameService ? `, found via the name service ${f.nameService}` : '';
    role = `slave of cluster ${cluster}, attached via ${f.via ?? '?'}${through} (a CAL once it takes an empty /ctl/cal slot)`;
  }
  const placement = `placement: ${f.placement}${f.placementFile ? ` (${f.placementFile})` : ''}`;
  return `doozerd: node ${f.nodeId} ${serves.join(', ')}; ${role}; ${placement}`;
}

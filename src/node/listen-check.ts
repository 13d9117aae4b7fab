// Before a node touches anything (its -data, the cluster it attaches to),
// check that every address it will listen on is free: a failed listen then
// exits 1 naming the address and the flag, leaving no node registered in
// /ctl/node and nothing written to -data.
import * as dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { NodeOptions } from './flags.js';

/** An address the node cannot listen on; `message` names the address, the flag and what to do. */
export class ListenError extends Error {}

type HostPort = { host: string; port: number };

function hint(code: string | undefined, flag: string): string {
  if (code === 'EADDRINUSE') return `address in use; is another doozerd running? pick another with ${flag}`;
  if (code === 'EADDRNOTAVAIL') return `no such address on this host; pick one of this host's addresses with ${flag}`;
  if (code === 'EACCES') return `permission denied (ports below 1024 need privileges); pick another with ${flag}`;
  return `pick another with ${flag}`;
}

function fail(what: string, a: HostPort, flag: string, e: NodeJS.ErrnoException): ListenError {
  return new ListenError(`cannot listen on ${a.host}:${a.port} (${what}, ${flag}): ${e.code ?? e.message}: ${hint(e.code, flag)}`);
}

/** Where to connect to reach a listener on `host` (a wildcard address is reached through loopback). */
function connectHost(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/**
 * Is something already listening on TCP `a`? Found by connecting, not by
 * listening: a listener of ours, even for a moment, would accept the first
 * clients of the node being started (they wait for the port to accept) and
 * then reset them when it closed. The address itself (one of this host's,
 * a port we may use) is checked by probeUdp on the same host and port.
 */
function probeTcp(a: HostPort, what: string, flag: string): Promise<void> {
  if (a.port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: connectHost(a.host), port: a.port });
    const done = (inUse: boolean): void => {
      s.destroy();
      if (inUse) reject(fail(what, a, flag, Object.assign(new Error('in use'), { code: 'EADDRINUSE' })));
      else resolve();
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Binds and releases UDP `a`. With `addressOnly` (a TCP-only listener's
 * address), a UDP port in use is no fault: only the address and the right
 * to the port are checked.
 */
function probeUdp(a: HostPort, what: string, flag: string, addressOnly = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: net.isIPv6(a.host) ? 'udp6' : 'udp4' });
    s.once('error', (e: NodeJS.ErrnoException) => {
      s.close();
      if (addressOnly && e.code === 'EADDRINUSE') resolve();
      else reject(fail(what, a, flag, e));
    });
    s.bind(a.port, a.host, () => s.close(() => resolve()));
  });
}

/**
 * Checks, one after another, every address of `opts`: client TCP and
 * consensus UDP (-l), the web view (-w, unless off or hidden by a secret)
 * and the debug server (-debug). Each host and port is bound and released
 * as UDP (an address of this host, a port we may use), and a TCP connect
 * finds a listener already there. Throws ListenError for the first that fails.
 * (A port taken in the moment between this check and the real listen still
 * fails the start, later and with the listener's own message.)
 */
export async function checkListenAddresses(opts: Pick<NodeOptions, 'listen' | 'web' | 'debug'>, secretSet: boolean): Promise<void> {
  await probeUdp(opts.listen, 'consensus UDP', '-l');
  await probeTcp(opts.listen, 'client TCP', '-l');
  if (opts.web && !secretSet) {
    const flag = '-w, or -w false to turn it off';
    await probeUdp(opts.web, 'web view', flag, true);
    await probeTcp(opts.web, 'web view', flag);
  }
  if (opts.debug) {
    await probeUdp(opts.debug, 'debug server', '-debug', true);
    await probeTcp(opts.debug, 'debug server', '-debug');
  }
}

/**
 * Reads -tlscert and -tlskey and checks that they make a TLS context (PEM
 * that parses, a key that matches the certificate). Throws Error naming the
 * file or the flags; run before anything is written or attached.
 */
export function readTlsFiles(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const read = (f: string, flag: string): Buffer => {
    try {
      return readFileSync(f);
    } catch (e) {
      throw new Error(`cannot read ${flag} ${f}: ${(e as Error).message}`);
    }
  };
  const files = { cert: read(certFile, '-tlscert'), key: read(keyFile, '-tlskey') };
  try {
    tls.createSecureContext(files);
  } catch (e) {
    throw new Error(`-tlscert ${certFile} and -tlskey ${keyFile} do not make a TLS certificate and its key: ${(e as Error).message}`);
  }
  return files;
}

// Before a node touches anything (its -data, the cluster it attaches to),
// check that every address it will listen on is free: a failed listen then
// exits 1 naming the address and the flag, leaving no node registered in
// /ctl/node and nothing written to -data.
import * as dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { NodeOptions } from './flags.js';
import { takeClientPort, type ClientPort } from '../net/client-port.js';

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

function probeTcp(a: HostPort, what: string, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (e: NodeJS.ErrnoException) => reject(fail(what, a, flag, e)));
    s.listen({ host: a.host || undefined, port: a.port, exclusive: true }, () => s.close(() => resolve()));
  });
}

function probeUdp(a: HostPort, what: string, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: net.isIPv6(a.host) ? 'udp6' : 'udp4' });
    s.once('error', (e: NodeJS.ErrnoException) => {
      s.close();
      reject(fail(what, a, flag, e));
    });
    s.bind(a.port, a.host, () => s.close(() => resolve()));
  });
}

/**
 * Takes the client TCP port of -l for good (src/net/client-port.ts: clients
 * that connect before the node serves wait). Throws ListenError naming -l.
 */
export async function takeListenPort(listen: HostPort, tlsFiles?: { cert: Buffer; key: Buffer }): Promise<ClientPort> {
  try {
    return await takeClientPort({ host: listen.host, port: listen.port, ...(tlsFiles ? { tls: tlsFiles } : {}) });
  } catch (e) {
    throw fail('client TCP', listen, '-l', e as NodeJS.ErrnoException);
  }
}

/**
 * Binds and releases, one after another, the other addresses of `opts`:
 * consensus UDP (-l), the web view (-w, unless off or hidden by a secret)
 * and the debug server (-debug). Throws ListenError for the first that fails.
 * (A port taken in the moment between this check and the real listen still
 * fails the start, later and with the listener's own message.)
 */
export async function checkListenAddresses(opts: Pick<NodeOptions, 'listen' | 'web' | 'debug'>, secretSet: boolean): Promise<void> {
  await probeUdp(opts.listen, 'consensus UDP', '-l');
  if (opts.web && !secretSet) await probeTcp(opts.web, 'web view', '-w, or -w false to turn it off');
  if (opts.debug) await probeTcp(opts.debug, 'debug server', '-debug');
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

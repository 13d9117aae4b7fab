// How the doozer command reaches a node: the URI from -a / $DOOZER_URI
// (strict: a doozer: URI, like the original), cn= resolved through -b, TLS
// from -tls/-tlsca or the URI's tls=/tlsca=, timeouts from -t, and the
// secret (sk=) presented with ACCESS so that a wrong one is reported as such.
import { readFileSync } from 'node:fs';
import { Client } from '../client/client.js';
import type { ConnectOptions } from '../client/connection.js';
import { parseUri, URI_FORM, UriError } from '../client/uri.js';
import type { DoozerUri } from '../client/uri.js';
import { DoozerError } from '../wire/errors.js';
import { CliError } from './context.js';

export interface Target {
  /** The URI text and where it came from ("-a", "DOOZER_URI" or "the default"). */
  uri: string;
  uriSource: string;
  /** -b or $DOOZER_BOOT_URI. */
  boot?: string;
  bootSource?: string;
  /** -tls given. */
  tls?: boolean;
  /** -tlsca file. */
  tlsca?: string;
  connectTimeoutMs: number;
  /** 0: none. */
  requestTimeoutMs: number;
}

/** What the CLI knows about how it connected, for explaining failures. */
export interface Connected {
  client: Client;
  /** A secret (sk=) was presented and accepted. */
  secretGiven: boolean;
  tls: boolean;
}

/** A URI that does not parse: says where it came from and the form expected. Exit 2. */
export class BadUriError extends CliError {}

/** Parses a URI strictly (a doozer: URI; bare host:port is refused, as by the original). */
export function parseCliUri(text: string, source: string): DoozerUri {
  try {
    const u = parseUri(text);
    if (u.addrs.length === 0 && u.cn === undefined) {
      throw new UriError(`no address in ${JSON.stringify(text)}: add ca=host:port`);
    }
    return u;
  } catch (e) {
    if (!(e instanceof UriError)) throw e;
    const msg = e.message.replace(/; expected doozer:\?ca=.*$/, '');
    throw new BadUriError(`invalid URI (${source}): ${msg}; the form is ${URI_FORM}`);
  }
}

function tlsOption(t: Target, uri: DoozerUri): ConnectOptions['tls'] {
  const caFile = t.tlsca ?? uri.tlsca;
  if (!(t.tls || caFile !== undefined || uri.tls)) return undefined;
  if (caFile === undefined) return true;
  try {
    return { ca: readFileSync(caFile) };
  } catch (e) {
    throw new CliError(`cannot read the TLS CA file ${caFile}: ${(e as Error).message}`);
  }
}

/** Connects as the command line says. Throws BadUriError, CliError, ConnectionError, DoozerError. */
export async function connect(t: Target): Promise<Connected> {
  const uri = parseCliUri(t.uri, t.uriSource);
  const tls = tlsOption(t, uri);
  const timeouts = { connectTimeoutMs: t.connectTimeoutMs, requestTimeoutMs: t.requestTimeoutMs };
  const addrs = [...uri.addrs];
  if (uri.cn !== undefined) {
    if (t.boot === undefined || t.boot === '') {
      if (addrs.length === 0) {
        throw new CliError(
          `cannot resolve cn=${uri.cn} (${t.uriSource}): no name service given; pass one with -b or DOOZER_BOOT_URI, or add ca=host:port`,
        );
      }
    } else {
      parseCliUri(t.boot, t.bootSource ?? '-b');
      // The name service's own URI says whether it uses TLS.
      addrs.push(...(await Client.lookupCluster(uri.cn, t.boot, timeouts)));
    }
  }
  const conn = await Client.connectAny(addrs, { ...timeouts, tls });
  const client = new Client(conn);
  if (uri.sk !== undefined) {
    try {
      await client.access(uri.sk);
    } catch (e) {
      await client.close();
      if (e instanceof DoozerError) {
        const why = e.detail && /permission denied/i.test(e.detail) ? 'permission denied' : (e.detail ?? e.code);
        throw new CliError(
          `${e.code}: ${why}: the secret given (sk= in ${t.uriSource}) is wrong: ${conn.address} accepts neither its read-write nor its read-only secret with it; check DOOZER_RWSECRET / DOOZER_ROSECRET on the server`,
        );
      }
      throw e;
    }
  }
  return { client, secretGiven: uri.sk !== undefined, tls: tls !== undefined };
}

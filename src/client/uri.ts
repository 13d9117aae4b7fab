// doozer URIs (spec/protocol.md, "doozer URIs"):
//   doozer:?ca=host[:port]&ca=...&cn=name&sk=secret&un=name
// Parameters may come in any order; `ca` may repeat. A parameter without a
// name (the seed's `...&127.0.0.1:8048`) is ignored, as are unknown names.
// Our additions (ignored by other clients): `tls=1` connects over TLS,
// `tlsca=FILE` trusts the CA certificate(s) in FILE (PEM) and implies tls.

export const DEFAULT_PORT = 8046;

export interface Address {
  host: string;
  port: number;
}

export interface DoozerUri {
  /** Cluster addresses (`ca`), in the order given. */
  addrs: Address[];
  /** Cluster name to resolve through a name service (`cn`). */
  cn?: string;
  /** Secret to present with ACCESS right after connecting (`sk`). */
  sk?: string;
  /** Unique cluster name (`un`), informational. */
  un?: string;
  /** Connect over TLS (`tls=1`, or implied by `tlsca`). */
  tls?: boolean;
  /** PEM file with the CA certificate(s) to trust for TLS (`tlsca`). */
  tlsca?: string;
}

/** The form of a doozer URI, for messages. */
export const URI_FORM = 'doozer:?ca=host:port (e.g. doozer:?ca=127.0.0.1:8046&ca=127.0.0.1:8047)';

// A host name (RFC 1123 labels, '_' tolerated) or an IPv4 address; IPv6 is
// checked separately.
const HOST_RE = /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/;

export class UriError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UriError';
  }
}

/** Formats an address as `host:port` (IPv6 hosts in brackets). */
export function formatAddress(a: Address): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Parses `host`, `host:port`, `[v6]` or `[v6]:port`. The port defaults to 8046.
 * Throws UriError with a message naming the bad part.
 */
export function parseAddress(text: string, defaultPort = DEFAULT_PORT): Address {
  const s = text.trim();
  if (s === '') throw new UriError('empty address: expected host[:port], e.g. 127.0.0.1:8046');
  let host: string;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) throw new UriError(`bad address ${JSON.stringify(text)}: missing ] after IPv6 host`);
    host = s.slice(1, end);
    const rest = s.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw new UriError(`bad address ${JSON.stringify(text)}: expected :port after ]`);
      portText = rest.slice(1);
    }
  } else {
    const colons = s.split(':').length - 1;
    if (colons === 0) {
      host = s;
    } else if (colons === 1) {
      const i = s.indexOf(':');
      host = s.slice(0, i);
      portText = s.slice(i + 1);
    } else {
      // A bare IPv6 address with no port.
      host = s;
    }
  }
  if (host === '') throw new UriError(`bad address ${JSON.stringify(text)}: missing host (expected host[:port])`);
  const v6 = host.includes(':');
  if (v6 ? !IPV6_RE.test(host) : !HOST_RE.test(host)) {
    throw new UriError(
      `bad address ${JSON.stringify(text)}: ${JSON.stringify(host)} is not a host name or IP address (expected host[:port], e.g. 127.0.0.1:8046)`,
    );
  }
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new UriError(`bad address ${JSON.stringify(text)}: port must be a number from 1 to 65535`);
    }
    port = Number(portText);
  }
  return { host, port };
}

/** True when `text` looks like a doozer URI rather than a bare address. */
export function isDoozerUri(text: string): boolean {
  return /^doozer:/i.test(text.trim());
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new UriError(`bad percent-encoding in ${JSON.stringify(text)}`);
  }
}

/** Parses a doozer URI. Throws UriError for anything that is not one. */
export function parseUri(text: string): DoozerUri {
  const s = text.trim();
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s.exec(s);
  if (!m || m[1]!.toLowerCase() !== 'doozer') {
    const scheme = m ? `${m[1]}:` : 'no scheme';
    throw new UriError(
      `not a doozer URI: ${JSON.stringify(text)} (${scheme}); expected ${URI_FORM}`,
    );
  }
  let rest = m[2]!;
  // Tolerate `doozer://?...` and `doozer:/?...`; only the query matters.
  rest = rest.replace(/^\/*/, '');
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  if (rest !== '' && !rest.startsWith('?')) {
    throw new UriError(
      `bad doozer URI ${JSON.stringify(text)}: parameters must follow "doozer:?", e.g. doozer:?ca=127.0.0.1:8046`,
    );
  }
  const query = rest.slice(1);
  const out: DoozerUri = { addrs: [] };
  for (const part of query.split(/[&;]/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) continue; // A parameter without a name: ignored (the seed's URI has one).
    const name = decode(part.slice(0, eq));
    const value = decode(part.slice(eq + 1));
    switch (name) {
      case 'ca':
        out.addrs.push(parseAddress(value));
        break;
      case 'cn':
        out.cn = value;
        break;
      case 'sk':
        out.sk = value;
        break;
      case 'un':
        out.un = value;
        break;
      case 'tls':
        out.tls = parseBool(value, text);
        break;
      case 'tlsca':
        if (value === '') throw new UriError(`bad doozer URI ${JSON.stringify(text)}: tlsca= needs a file name`);
        out.tlsca = value;
        out.tls = true;
        break;
      default:
        break; // Unknown parameters are ignored, like nameless ones.
    }
  }
  return out;
}

function parseBool(value: string, text: string): boolean {
  if (/^(1|t|true|yes|on|)$/i.test(value)) return true;
  if (/^(0|f|false|no|off)$/i.test(value)) return false;
  throw new UriError(`bad doozer URI ${JSON.stringify(text)}: tls=${value}: use tls=1 or tls=0`);
}

/**
 * Accepts a doozer URI or a bare `host[:port]` address (the `Client.dial`
 * convenience) and returns the parsed form.
 */
export function parseTarget(text: string): DoozerUri {
  if (isDoozerUri(text)) return parseUri(text);
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(text.trim())) {
    // Some other URL scheme (http://, tcp://...).
    return parseUri(text);
  }
  return { addrs: [parseAddress(text)] };
}

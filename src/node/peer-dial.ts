// How a node dials the other nodes of its cluster over the client protocol
// (attach, following a CAL): with its secret, and with TLS when it serves
// TLS itself (every node of a TLS cluster does). Trusted: the CA file of
// -tlsca, else the node's own certificate (one self-signed certificate shared
// by the cluster, as README's TLS recipe makes).
import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import type { DialOptions } from '../client/client.js';

/** TLS options for tls.connect: at least the CA to trust. */
export type PeerTls = tls.ConnectionOptions;

/** The part of Client.dial's options a node sets for its peers. */
export type PeerDial = Pick<DialOptions, 'secret' | 'tls' | 'localAddress' | 'requestTimeoutMs'>;

/**
 * How a node dials its peers: its secret, TLS when it serves TLS, and from
 * its -l host (`listenHost`) as source address, so that a peer (and a
 * firewall between them) sees the node's own address on its attach and
 * follow connections as on its consensus datagrams. The source is used only
 * where it can work (src/client/connection.ts sourceAddressFor).
 */
export function peerDialFor(listenHost: string, secret: string | undefined, peerTls: PeerTls | undefined): PeerDial {
  return { localAddress: listenHost, ...(secret ? { secret } : {}), ...(peerTls ? { tls: peerTls } : {}) };
}

/**
 * TLS for dialing peers, or undefined when this node serves plain TCP.
 * `tlsCert`: this node's certificate file (-tlscert); `tlsCa`: -tlsca.
 * Throws the fs error if a file cannot be read (reported at start).
 */
export function peerTlsFor(tlsCert: string | undefined, tlsCa: string | undefined): PeerTls | undefined {
  if (!tlsCert) return undefined;
  return { ca: readFileSync(tlsCa ?? tlsCert) };
}

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
export type PeerDial = Pick<DialOptions, 'secret' | 'tls'>;

/**
 * TLS for dialing peers, or undefined when this node serves plain TCP.
 * `tlsCert`: this node's certificate file (-tlscert); `tlsCa`: -tlsca.
 * Throws the fs error if a file cannot be read (reported at start).
 */
export function peerTlsFor(tlsCert: string | undefined, tlsCa: string | undefined): PeerTls | undefined {
  if (!tlsCert) return undefined;
  return { ca: readFileSync(tlsCa ?? tlsCert) };
}

// Messages and verbs of the large-value path (docs/protocol.md "Large
// values"): client sessions and the store actor talk to the blob service
// (src/node/blob-channel.ts, a main-thread endpoint), which talks to the blob
// services of the other nodes over the client protocol with two verbs of
// ours. Plain data only.
import type { Request } from '../wire/client-codec.js';

/** Endpoint name of the node's blob service. */
export const BLOBS = 'blobs';

/**
 * Verbs of ours, sent only to nodes whose /ctl/node/<id>/features lists
 * `blobs` (never by doozer clients; the original answers them UNKNOWN_VERB):
 * BLOB_PUT: path = digest (hex), value = body; answers {} once held.
 * BLOB_GET: path = the file's path, rev = the seqn that set it, value = digest
 * (hex); answers value = body, or NOENT.
 */
export const BlobVerb = { BLOB_PUT: 240, BLOB_GET: 241 } as const;

/** The feature token our nodes write to /ctl/node/<id>/features when they take part in the large-value path. */
export const BLOBS_FEATURE = 'blobs';

export type BlobServiceMessage =
  /** Session → blobs: a SET too large for a datagram; answered with `proposed` (tag) as the proposer does. */
  | { type: 'blob-write'; mutation: Uint8Array; replyTo: string; tag: number }
  /** Store → blobs: the body of `digest` (set at `seqn` on `path`), answered with `blob-body` once found. */
  | { type: 'blob-need'; digest: string; len: number; seqn: number; path: string }
  /** Session → blobs: a BLOB_PUT or BLOB_GET from a peer, answered with `reply` (tag). */
  | { type: 'blob-peer'; req: Request; replyTo: string; tag: number };

/** Blobs → store: the body for a `blob-need`. */
export interface BlobBodyMessage {
  type: 'blob-body';
  digest: string;
  body: Uint8Array;
}

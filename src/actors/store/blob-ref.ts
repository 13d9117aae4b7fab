// Blob references (docs/protocol.md "Large values"): in a cluster whose CALs
// are all ours, a SET too large for one consensus datagram is agreed on as a
// reference, and its body travels over the peer TCP channel
// (src/node/blob-channel.ts). A reference is
//
//   blob:<sha256 of the body, 64 hex digits>:<body length>:<rev>:<path>=
//
// i.e. the marker, the digest and length, then the set mutation without its
// body (its "header"). `blob` is no rev, so a reference never reads as a
// mutation of spec/store.md; the store replaces it by header + body before it
// applies the seqn (src/actors/store/blob-resolver.ts).
import { createHash } from 'node:crypto';
import { decodeMutation } from './mutation.js';
import { REV_CLOBBER as CLOBBER, REV_DIR as DIR_REV } from '../../wire/client-codec.js';
import type { Store } from './store.js';

const PREFIX = Buffer.from('blob:');
const COLON = 0x3a;
const EQUALS = 0x3d;
const HEX = /^[0-9a-f]{64}$/;

/** A decoded reference: the body's digest (hex) and length, and the mutation without its body. */
export interface BlobRef {
  digest: string;
  len: number;
  /** `<rev>:<path>=`: header + body is the mutation the reference stands for. */
  header: Uint8Array;
}

/** SHA-256 of `body`, 64 lowercase hex digits. */
export function blobDigest(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Whether a chosen value is a blob reference (cheap: compares 5 bytes). */
export function isBlobRef(m: Uint8Array): boolean {
  if (m.length < PREFIX.length) return false;
  for (let i = 0; i < PREFIX.length; i++) if (m[i] !== PREFIX[i]) return false;
  return true;
}

/**
 * The reference for the set mutation `header` + a body of `len` bytes with
 * `digest`. `header` must end with `=` (throws RangeError otherwise).
 */
export function encodeBlobRef(digest: string, len: number, header: Uint8Array): Uint8Array {
  if (!HEX.test(digest)) throw new RangeError(`blob digest must be 64 hex digits: ${digest}`);
  if (header.length === 0 || header[header.length - 1] !== EQUALS) throw new RangeError('blob reference header must end with "="');
  const head = Buffer.from(`blob:${digest}:${len}:`);
  const out = new Uint8Array(head.length + header.length);
  out.set(head, 0);
  out.set(header, head.length);
  return out;
}

/** Decodes a reference; undefined for anything malformed (the store then applies it as a bad mutation). */
export function decodeBlobRef(m: Uint8Array): BlobRef | undefined {
  if (!isBlobRef(m)) return undefined;
  const at = PREFIX.length;
  if (m.length < at + 64 + 2 || m[at + 64] !== COLON) return undefined;
  const digest = Buffer.from(m.buffer, m.byteOffset + at, 64).toString('latin1');
  if (!HEX.test(digest)) return undefined;
  const lenEnd = m.indexOf(COLON, at + 65);
  if (lenEnd < 0 || lenEnd - (at + 65) > 10 || lenEnd === at + 65) return undefined;
  let len = 0;
  for (let i = at + 65; i < lenEnd; i++) {
    const d = m[i]! - 0x30;
    if (d < 0 || d > 9) return undefined;
    len = len * 10 + d;
  }
  const header = m.subarray(lenEnd + 1);
  if (header.length === 0 || header[header.length - 1] !== EQUALS) return undefined;
  return { digest, len, header };
}

/** header + body: the mutation a reference stands for. */
export function expandBlobRef(ref: BlobRef, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(ref.header.length + body.length);
  out.set(ref.header, 0);
  out.set(body, ref.header.length);
  return out;
}

/** Splits a set mutation into its header (`<rev>:<path>=`) and body; undefined if it is no set. */
export function splitSet(mutation: Uint8Array): { header: Uint8Array; body: Uint8Array } | undefined {
  const d = decodeMutation(mutation);
  if (d.kind !== 'set') return undefined;
  const bodyAt = mutation.length - d.body.length;
  return { header: mutation.subarray(0, bodyAt), body: mutation.subarray(bodyAt) };
}

/**
 * Whether applying `header` + any body to `store` (at its current rev) fails,
 * whatever the body: a bad mutation, a proper ancestor that is a file
 * (NOTDIR), a rev mismatch, or a directory at the path (ISDIR); the checks of
 * Store.apply (spec/store.md "Applying a mutation", steps 3 and 4), through
 * its public reads. Such a reference is applied as header alone (same event,
 * same error), so no node ever waits for a body no store could hold.
 */
export function setFailsWithoutBody(store: Store, header: Uint8Array): boolean {
  const d = decodeMutation(header);
  if (d.kind !== 'set') return true;
  const comps = d.path.split('/').filter((c) => c !== '');
  for (let i = 1; i < comps.length; i++) {
    const st = store.stat('/' + comps.slice(0, i).join('/'));
    if (st.rev === 0 && st.len === 0) break; // missing: so is everything below
    if (st.rev !== DIR_REV) return true; // a file: NOTDIR
  }
  const cur = store.stat(d.path).rev;
  if (d.rev !== CLOBBER && d.rev < cur) return true;
  return cur === DIR_REV;
}

/**
 * The value a LEARN carries for a chosen `mutation` this node holds whole
 * (applied from its chosen log after a restart, or copied as a follower):
 * itself if it fits a datagram, else its blob reference, whose body a peer
 * fetches from this node's store history by digest. The same bytes as the
 * reference that was chosen (the encoding is deterministic). Undefined when
 * even the reference would not fit (then no LEARN is sent for it).
 */
export function learnValue(mutation: Uint8Array, maxBytes: number): Uint8Array | undefined {
  if (mutation.length <= maxBytes) return mutation;
  const s = splitSet(mutation);
  if (!s) return undefined;
  const ref = encodeBlobRef(blobDigest(s.body), s.body.length, s.header);
  return ref.length <= maxBytes ? ref : undefined;
}

// What a new cluster's first node writes, in the order of spec/cluster.md.
import { hostname } from 'node:os';
import { encodeSet } from '../actors/store/mutation.js';
import { VERSION } from '../wire/version.js';
import { BLOBS_FEATURE } from '../actors/blob-messages.js';

/** alpha: instances open ahead of the store (spec/consensus.md); defined once in src/wire/limits.ts. */
export { ALPHA } from '../wire/limits.js';

const text = (s: string): Uint8Array => Buffer.from(s);

/** Seqns 1..7 of a fresh cluster: applied directly, before consensus starts (the order of spec/cluster.md, then our features file). */
export function seedMutations(cluster: string, nodeId: string, addr: string): Uint8Array[] {
  return [
    encodeSet(0, '/ctl/name', text(cluster)),
    ...nodeFileMutations(nodeId, addr, 0),
    encodeSet(0, '/ctl/cal/0', text(nodeId)),
    encodeSet(0, `/ctl/ns/${cluster}/${nodeId}`, text(addr)),
    encodeSet(0, featuresPath(nodeId), text(FEATURES)),
  ];
}

/**
 * Features of this implementation that peers must know of before they rely
 * on them, written to /ctl/node/<id>/features (ours; the original writes no
 * such file and ignores it): space-separated tokens. `blobs`: the node takes
 * part in the large-value path (docs/protocol.md "Large values").
 */
export const FEATURES = BLOBS_FEATURE;

const featuresPath = (nodeId: string): string => `/ctl/node/${nodeId}/features`;

/** A node's addr, hostname, version and features files (what it registers, and writes again if deleted). */
export function nodeFiles(nodeId: string, addr: string): { path: string; body: Uint8Array }[] {
  return [
    { path: `/ctl/node/${nodeId}/addr`, body: text(addr) },
    { path: `/ctl/node/${nodeId}/hostname`, body: text(hostname()) },
    { path: `/ctl/node/${nodeId}/version`, body: text(VERSION) },
    { path: featuresPath(nodeId), body: text(FEATURES) },
  ];
}

/** The addr, hostname and version files, in the seed order of spec/cluster.md. */
function nodeFileMutations(nodeId: string, addr: string, rev: number): Uint8Array[] {
  return nodeFiles(nodeId, addr).filter((f) => f.path !== featuresPath(nodeId)).map((f) => encodeSet(rev, f.path, f.body));
}

// What a new cluster's first node writes, in the order of spec/cluster.md.
import { hostname } from 'node:os';
import { encodeSet } from '../actors/store/mutation.js';
import { VERSION } from '../wire/version.js';

/** alpha: instances open ahead of the store (spec/consensus.md); defined once in src/wire/limits.ts. */
export { ALPHA } from '../wire/limits.js';

const text = (s: string): Uint8Array => Buffer.from(s);

/** Seqns 1..6 of a fresh cluster: applied directly, before consensus starts. */
export function seedMutations(cluster: string, nodeId: string, addr: string): Uint8Array[] {
  return [
    encodeSet(0, '/ctl/name', text(cluster)),
    ...nodeFileMutations(nodeId, addr, 0),
    encodeSet(0, '/ctl/cal/0', text(nodeId)),
    encodeSet(0, `/ctl/ns/${cluster}/${nodeId}`, text(addr)),
  ];
}

/** A node's addr, hostname and version files. */
export function nodeFiles(nodeId: string, addr: string): { path: string; body: Uint8Array }[] {
  return [
    { path: `/ctl/node/${nodeId}/addr`, body: text(addr) },
    { path: `/ctl/node/${nodeId}/hostname`, body: text(hostname()) },
    { path: `/ctl/node/${nodeId}/version`, body: text(VERSION) },
  ];
}

function nodeFileMutations(nodeId: string, addr: string, rev: number): Uint8Array[] {
  return nodeFiles(nodeId, addr).map((f) => encodeSet(rev, f.path, f.body));
}

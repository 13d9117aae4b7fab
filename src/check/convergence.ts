// Convergence after healing: every live node reaches the same rev and holds
// the same store there. The pure part: a digest of a store walk, and the
// verdict on per-node samples taken at one rev. (The polling, with a
// deadline, is in src/torture/cluster.ts.)
import { createHash } from 'node:crypto';

/** One file of a walk of `/**`. */
export interface WalkedFile {
  path: string;
  rev: number;
  /** Body as hex. */
  value: string;
}

/** sha256 (hex) of a walk in walk order: the same store at the same rev gives the same digest on every node. */
export function storeDigest(files: readonly WalkedFile[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.path}\0${f.rev}\0${f.value}\n`);
  return h.digest('hex');
}

export interface NodeSample {
  node: string;
  /** The rev the node's store was walked at. */
  rev: number;
  digest: string;
  files: number;
}

/** Problems when nodes sampled at the same rev disagree, or a node is missing a sample or is below `atLeast`. */
export function checkConvergence(samples: readonly NodeSample[], liveNodes: readonly string[], atLeast: number): string[] {
  const problems: string[] = [];
  for (const n of liveNodes) {
    const s = samples.find((x) => x.node === n);
    if (!s) problems.push(`node ${n} did not answer for the convergence check`);
    else if (s.rev < atLeast) problems.push(`node ${n} is at rev ${s.rev}, below ${atLeast} (did not catch up)`);
  }
  const byRev = new Map<number, NodeSample[]>();
  for (const s of samples) byRev.set(s.rev, [...(byRev.get(s.rev) ?? []), s]);
  for (const [rev, group] of byRev) {
    const first = group[0]!;
    for (const s of group.slice(1)) {
      if (s.digest !== first.digest) {
        problems.push(`stores differ at rev ${rev}: ${first.node} has ${first.files} files (${first.digest.slice(0, 12)}), ${s.node} has ${s.files} (${s.digest.slice(0, 12)})`);
      }
    }
  }
  if (byRev.size > 1) problems.push(`nodes were sampled at different revs (${[...byRev.keys()].join(', ')}): sample them at one rev`);
  return problems;
}

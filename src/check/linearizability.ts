// Linearizability of a whole doozer history of file operations.
//
// Linearizability is local (Herlihy and Wing): a history is linearizable iff
// each object's sub-history is, so the search runs per file (P-compositional,
// as Porcupine does), which keeps it small. Revs are global in doozer (one
// seqn per mutation), which adds checks across files that the per-file search
// cannot see: no two acknowledged writes share a rev, and a write that was
// acknowledged before another began has the smaller rev.
import { describeOp, type FileOp, type SetOp } from './history.js';
import { fileModel } from './register-model.js';
import { checkLinearizable, type Verdict } from './wgl.js';

export interface LinearizabilityReport {
  verdict: Verdict;
  /** One line per problem found (empty when ok). */
  problems: string[];
  /** Files checked and search steps per file. */
  files: { path: string; ops: number; verdict: Verdict; steps: number }[];
}

/** Options: search budget per file (see checkLinearizable). */
export interface LinearizabilityOptions {
  maxStepsPerFile?: number;
}

/**
 * Judges `history`. Failed ops other than REV_MISMATCH are dropped (the node
 * refused them before proposing: READONLY, BAD_PATH, ...), as are reads that
 * got no answer. Returns 'violation' with the reasons, 'inconclusive' when a
 * file's search ran out of budget, else 'ok'.
 */
export function checkHistory(history: readonly FileOp[], opts: LinearizabilityOptions = {}): LinearizabilityReport {
  const problems: string[] = [];
  const relevant = history.filter((op) => {
    if (op.outcome === 'fail' && op.error !== 'REV_MISMATCH') return false;
    if (op.f === 'read' && (op.outcome !== 'ok' || op.local)) return false;
    return true;
  }).map((op) => (op.outcome === 'unknown' ? { ...op, complete: Infinity } : op));

  problems.push(...globalRevChecks(relevant));
  problems.push(...checkLocalReads(history));

  const byPath = new Map<string, FileOp[]>();
  for (const op of relevant) {
    const list = byPath.get(op.path) ?? [];
    list.push(op);
    byPath.set(op.path, list);
  }
  const files: LinearizabilityReport['files'] = [];
  let inconclusive = false;
  for (const [path, ops] of [...byPath].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const r = checkLinearizable(fileModel, ops.map((op) => ({ op, invoke: op.invoke, complete: op.complete })), {
      maxSteps: opts.maxStepsPerFile,
    });
    files.push({ path, ops: ops.length, verdict: r.verdict, steps: r.steps });
    if (r.verdict === 'inconclusive') inconclusive = true;
    if (r.verdict === 'violation') {
      const state = (r.bestStates ?? []).map((s) => `${JSON.stringify(s.value)}@${s.rev ?? `>${s.lo}`}`).join(' or ');
      const last = r.bestPrefix?.slice(-3).map(describeOp).join('; ') ?? '';
      const stuck = (r.stuck ?? []).map(describeOp).join('; ');
      problems.push(
        `${path}: not linearizable: after ${r.bestPrefix?.length ?? 0} ops (last: ${last || 'none'}) the file is ${state}, and ${stuck || 'a completed op'} cannot be placed`,
      );
    }
  }
  return { verdict: problems.length > 0 ? 'violation' : inconclusive ? 'inconclusive' : 'ok', problems, files };
}

/** Checks across files on the revs of acknowledged writes: unique, and ordered as real time orders the writes. */
export function globalRevChecks(history: readonly FileOp[]): string[] {
  const problems: string[] = [];
  const writes = history.filter((op): op is SetOp => op.f === 'set' && op.outcome === 'ok');
  const byRev = new Map<number, SetOp>();
  for (const w of writes) {
    const rev = w.rev ?? 0;
    if (rev <= 0) {
      problems.push(`acknowledged write without a positive rev: ${describeOp(w)}`);
      continue;
    }
    const other = byRev.get(rev);
    if (other) problems.push(`two acknowledged writes got rev ${rev}: ${describeOp(other)} and ${describeOp(w)}`);
    else byRev.set(rev, w);
  }
  // Real-time order: a write invoked after another completed must have a larger rev.
  const byComplete = [...writes].sort((a, b) => a.complete - b.complete);
  const byInvoke = [...writes].sort((a, b) => a.invoke - b.invoke);
  let i = 0;
  let maxDone: SetOp | undefined;
  for (const w of byInvoke) {
    while (i < byComplete.length && byComplete[i]!.complete < w.invoke) {
      const d = byComplete[i++]!;
      if (!maxDone || (d.rev ?? 0) > (maxDone.rev ?? 0)) maxDone = d;
    }
    if (maxDone && (w.rev ?? 0) <= (maxDone.rev ?? 0) && maxDone !== w) {
      problems.push(`rev order contradicts real time: ${describeOp(maxDone)} was acknowledged before ${describeOp(w)} began, yet has a rev >= it`);
    }
  }
  // Reads: a rev observed with a body must belong to the write that wrote that body.
  for (const op of history) {
    if (op.f !== 'read' || op.outcome !== 'ok' || !op.rev) continue;
    const w = byRev.get(op.rev);
    if (w && (w.path !== op.path || w.value !== op.value)) {
      problems.push(`read saw rev ${op.rev} with another body or path than the write of that rev: ${describeOp(op)} vs ${describeOp(w)}`);
    }
  }
  return problems;
}

/**
 * Plain GETs served from a node's local store (ReadOp.local): they may be
 * stale, but every answer must be a version that really existed: the missing
 * file, or the body and rev of a write that was at least invoked before the
 * read completed (no values from nowhere, none from the future), and a client
 * reads its own acknowledged writes (rev at least that of its last write to
 * the file, unless the file was deleted since: rev 0).
 */
export function checkLocalReads(history: readonly FileOp[]): string[] {
  const problems: string[] = [];
  const writesByValue = new Map<string, SetOp>();
  for (const op of history) {
    if (op.f === 'set' && op.outcome !== 'fail') writesByValue.set(`${op.path}\0${op.value}`, op);
  }
  const lastOwnWrite = new Map<string, SetOp>();
  const byInvoke = [...history].sort((a, b) => a.invoke - b.invoke);
  const doneWrites = [...history].filter((o): o is SetOp => o.f === 'set' && o.outcome === 'ok').sort((a, b) => a.complete - b.complete);
  let k = 0;
  for (const op of byInvoke) {
    while (k < doneWrites.length && doneWrites[k]!.complete < op.invoke) {
      const w = doneWrites[k++]!;
      lastOwnWrite.set(`${w.client}\0${w.path}`, w);
    }
    if (op.f !== 'read' || !op.local || op.outcome !== 'ok') continue;
    const rev = op.rev ?? 0;
    const value = op.value ?? '';
    if (rev === 0) {
      if (value !== '') problems.push(`local read saw a body with rev 0: ${describeOp(op)}`);
    } else {
      const w = writesByValue.get(`${op.path}\0${value}`);
      if (!w) problems.push(`local read saw a body nobody wrote: ${describeOp(op)}`);
      else if (w.outcome === 'ok' && w.rev !== rev) problems.push(`local read saw ${JSON.stringify(value)} at rev ${rev}, but its write got rev ${w.rev}: ${describeOp(op)}`);
      else if (w.invoke > op.complete) problems.push(`local read saw a body written only after the read completed: ${describeOp(op)} vs ${describeOp(w)}`);
    }
    const own = lastOwnWrite.get(`${op.client}\0${op.path}`);
    if (own && rev !== 0 && rev < (own.rev ?? 0)) {
      problems.push(`local read older than the client's own acknowledged write: ${describeOp(op)} after ${describeOp(own)}`);
    }
  }
  return problems;
}

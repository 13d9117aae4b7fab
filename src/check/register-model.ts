// The sequential specification of one doozer file as a compare-and-set
// register (spec/store.md "Applying a mutation"): a SET or DEL with rev -1
// applies unconditionally; with rev r >= 0 it applies if r >= the file's
// current rev (missing file: rev 0), else REV_MISMATCH. A successful SET
// gives the file the rev of its mutation, which is larger than any rev the
// file had; a DEL makes it missing (rev 0).
//
// When an op of unknown outcome may have written the file, the rev it got is
// not known: the state keeps only a lower bound until a later read or write
// reveals it.
import type { Model } from './wgl.js';
import type { FileOp } from './history.js';

/** A file's state: body and rev; missing = ('', 0). rev undefined: written by an op of unknown outcome, rev > lo. */
export interface FileState {
  value: string;
  rev: number | undefined;
  /** When rev is undefined: the rev is known to be > lo. */
  lo: number;
}

export const MISSING: FileState = { value: '', rev: 0, lo: 0 };

/** Does a conditional write at `cond` apply to state `s`? 'yes', 'no' or 'maybe' (rev unknown). */
function applies(s: FileState, cond: number): 'yes' | 'no' | 'maybe' {
  if (cond === -1) return 'yes';
  if (s.rev !== undefined) return cond >= s.rev ? 'yes' : 'no';
  return cond <= s.lo ? 'no' : 'maybe';
}

/** The least rev the file may have in state s. */
function minRev(s: FileState): number {
  return s.rev ?? s.lo + 1;
}

/** The file-register model for checkLinearizable. Ops must all be on one path. */
export const fileModel: Model<FileState, FileOp> = {
  init: [MISSING],
  key: (s) => `${s.rev ?? '?' + s.lo}:${s.value}`,
  step(s, op) {
    switch (op.f) {
      case 'read': {
        if (op.outcome !== 'ok') return [s];
        const rev = op.rev ?? 0;
        const value = op.value ?? '';
        if (value !== s.value) return [];
        if (s.rev !== undefined) return s.rev === rev ? [s] : [];
        return rev > s.lo ? [{ value, rev, lo: 0 }] : [];
      }
      case 'set':
      case 'del': {
        const a = applies(s, op.cond);
        const after = (): FileState | undefined => {
          if (op.f === 'del') return MISSING;
          if (op.outcome === 'ok') {
            const r = op.rev ?? 0;
            return r > minRev(s) ? { value: op.value, rev: r, lo: 0 } : undefined;
          }
          return { value: op.value, rev: undefined, lo: s.rev ?? s.lo };
        };
        if (op.outcome === 'ok') {
          if (a === 'no') return [];
          const t = after();
          return t ? [t] : [];
        }
        if (op.outcome === 'fail') {
          // Only REV_MISMATCH is a judged outcome; other errors mean "not done" (filtered out before).
          return a === 'yes' ? [] : [s];
        }
        // Unknown: it did not happen (or failed), or it applied.
        if (a === 'no') return [s];
        const t = after();
        return t ? [s, t] : [s];
      }
    }
  },
};

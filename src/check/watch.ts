// Watch streams (WAIT on a glob, each from the previous event's rev + 1):
// every stream must be ordered by rev with no duplicates, report only
// matching paths, agree with every other stream on what happened at each rev,
// miss nothing (a `/**` stream sees every seqn, no-ops included, so it pins
// down the log of its range), and the log replayed from rev 1 must give the
// final store. Also: no acknowledged write is missing from the log.
import { FLAG_DEL, FLAG_SET } from '../wire/client-codec.js';
import { describeOp, type FileOp, type SetOp } from './history.js';

/** One WAIT answer. flags: 4 set, 8 delete, 0 no-op (path '/'). value: the body as text (or hex). */
export interface WatchEvent {
  rev: number;
  path: string;
  value: string;
  flags: number;
}

export interface WatchStream {
  /** For reports, e.g. "watch /** on 127.0.0.11:20001". */
  name: string;
  glob: string;
  /** The rev the first WAIT asked from. */
  fromRev: number;
  events: WatchEvent[];
}

/** A store at one rev: path -> { rev, value } for every file. */
export interface StoreSnapshot {
  rev: number;
  files: Map<string, { rev: number; value: string }>;
}

/** Glob to RegExp per spec/protocol.md "Globs": `?` one char in a component, `*` any in a component, `**` any across. Written independently of the server's matcher on purpose. */
export function globRegExp(glob: string): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.\\+^$()[\]{}|-]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

/** The log implied by the streams: rev -> event, and the rev ranges a `/**` stream covers completely. */
export interface UnionLog {
  events: Map<number, WatchEvent>;
  covered: [from: number, to: number][];
}

function sameEvent(a: WatchEvent, b: WatchEvent): boolean {
  return a.rev === b.rev && a.path === b.path && a.value === b.value && a.flags === b.flags;
}

function fmtEv(e: WatchEvent): string {
  const kind = e.flags & FLAG_DEL ? 'del' : e.flags & FLAG_SET ? 'set' : 'nop';
  return `${e.rev} ${kind} ${e.path}${kind === 'set' ? '=' + JSON.stringify(e.value.length > 40 ? e.value.slice(0, 40) + '…' : e.value) : ''}`;
}

/** Is rev inside a fully covered range? */
export function isCovered(log: UnionLog, rev: number): boolean {
  return log.covered.some(([a, b]) => rev >= a && rev <= b);
}

/** Checks each stream and the agreement between them; returns the problems and the union log. */
export function checkWatchStreams(streams: readonly WatchStream[]): { problems: string[]; log: UnionLog } {
  const problems: string[] = [];
  const events = new Map<number, WatchEvent>();
  const owner = new Map<number, string>();
  const covered: [number, number][] = [];
  for (const s of streams) {
    const re = globRegExp(s.glob);
    let last = s.fromRev - 1;
    for (const e of s.events) {
      if (e.rev <= last) {
        problems.push(`${s.name}: rev ${e.rev} after rev ${last} (${e.rev === last ? 'duplicate' : 'out of order'})`);
      }
      if (s.glob === '/**' && e.rev > last + 1 && last >= s.fromRev - 1) {
        problems.push(`${s.name}: gap: revs ${last + 1}..${e.rev - 1} missing (a /** stream sees every seqn)`);
      }
      last = Math.max(last, e.rev);
      const isNop = (e.flags & (FLAG_SET | FLAG_DEL)) === 0;
      if (isNop ? !(s.glob === '/**' && e.path === '/') : !re.test(e.path)) {
        problems.push(`${s.name}: event does not match ${s.glob}: ${fmtEv(e)}`);
      }
      const seen = events.get(e.rev);
      if (seen && !sameEvent(seen, e)) {
        problems.push(`streams disagree at rev ${e.rev}: ${owner.get(e.rev)} saw ${fmtEv(seen)}, ${s.name} saw ${fmtEv(e)}`);
      } else if (!seen) {
        events.set(e.rev, e);
        owner.set(e.rev, s.name);
      }
    }
    if (s.glob === '/**' && s.events.length > 0) covered.push([s.fromRev, last]);
  }
  const log: UnionLog = { events, covered };
  // Gap-free per glob: what a /** stream proves happened in this stream's range must be in it.
  for (const s of streams) {
    if (s.glob === '/**' || s.events.length === 0) continue;
    const re = globRegExp(s.glob);
    const mine = new Set(s.events.map((e) => e.rev));
    const to = s.events[s.events.length - 1]!.rev;
    for (const [rev, e] of events) {
      if (rev < s.fromRev || rev > to || mine.has(rev) || !isCovered(log, rev)) continue;
      if ((e.flags & (FLAG_SET | FLAG_DEL)) !== 0 && re.test(e.path)) problems.push(`${s.name}: missed ${fmtEv(e)}`);
    }
  }
  return { problems, log };
}

/** True if /** streams cover every rev from 1 to `rev`. */
export function canReplay(log: UnionLog, rev: number): boolean {
  for (let r = 1; r <= rev; r++) if (!isCovered(log, r) || !log.events.has(r)) return false;
  return true;
}

/** Replays the log from rev 1 to `final.rev` and compares with the final store; needs the log covered from rev 1. */
export function checkLogAgainstStore(log: UnionLog, final: StoreSnapshot): string[] {
  if (!canReplay(log, final.rev)) return []; // nothing to judge: the caller reports it as not checked
  const files = new Map<string, { rev: number; value: string }>();
  for (let r = 1; r <= final.rev; r++) {
    const e = log.events.get(r)!;
    if (e.flags & FLAG_SET) files.set(e.path, { rev: r, value: e.value });
    else if (e.flags & FLAG_DEL) {
      // A delete removes the file; the spec's quirk (deleting under a file removes the file) is not exercised by workloads.
      files.delete(e.path);
    }
  }
  const problems: string[] = [];
  for (const [path, f] of files) {
    const g = final.files.get(path);
    if (!g) problems.push(`replayed log has ${path}@${f.rev} but the store at rev ${final.rev} does not`);
    else if (g.rev !== f.rev || g.value !== f.value) problems.push(`replayed log has ${path}@${f.rev}=${JSON.stringify(f.value)}, the store has @${g.rev}=${JSON.stringify(g.value)}`);
  }
  for (const path of final.files.keys()) {
    if (!files.has(path)) problems.push(`the store at rev ${final.rev} has ${path}, which the replayed log does not`);
  }
  return problems;
}

/**
 * No acknowledged write missing: every SET answered ok must be in the log at
 * its rev with its path and body (where a /** stream covers that rev), and
 * the final store must not hold an older version of the file unless a delete
 * of it was attempted.
 */
export function checkAcknowledgedWrites(history: readonly FileOp[], log: UnionLog | undefined, final: StoreSnapshot | undefined, encode: (v: string) => string = (v) => v): string[] {
  const problems: string[] = [];
  const acked = history.filter((o): o is SetOp => o.f === 'set' && o.outcome === 'ok');
  for (const w of acked) {
    const rev = w.rev ?? 0;
    if (!log || !isCovered(log, rev)) continue;
    const e = log.events.get(rev);
    if (!e || e.path !== w.path || e.value !== encode(w.value) || (e.flags & FLAG_SET) === 0) {
      problems.push(`acknowledged write missing from the log: ${describeOp(w)}; the log has ${e ? fmtEv(e) : 'nothing'} at rev ${rev}`);
    }
  }
  if (final) {
    const deleted = new Set(history.filter((o) => o.f === 'del' && o.outcome !== 'fail').map((o) => o.path));
    const newest = new Map<string, SetOp>();
    for (const w of acked) if ((w.rev ?? 0) <= final.rev && (w.rev ?? 0) > (newest.get(w.path)?.rev ?? 0)) newest.set(w.path, w);
    for (const [path, w] of newest) {
      if (deleted.has(path)) continue;
      const f = final.files.get(path);
      if (!f || f.rev < (w.rev ?? 0)) {
        problems.push(`acknowledged write lost: ${describeOp(w)}, but the final store (rev ${final.rev}) has ${f ? `rev ${f.rev}` : 'no such file'}`);
      }
    }
  }
  return problems;
}

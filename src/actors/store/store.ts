// The Store: the replicated state machine of spec/store.md. Pure: no I/O, no
// timers. The same (seqn, mutation) sequence gives the same trees and events.
import { DoozerError } from '../../wire/errors.js';
import { FLAG_DEL, FLAG_SET, REV_CLOBBER as CLOBBER, REV_DIR as DIR_REV, type ErrName } from '../../wire/client-codec.js';
import { compileGlob, type Glob } from './glob.js';
import { History } from './history.js';
import { decodeMutation } from './mutation.js';
import { isValidPath, splitPath } from '../../wire/path.js';
import {
  DirNode,
  EMPTY_DIR,
  FileNode,
  deleteFile,
  entry,
  entryNameAt,
  forEachFile,
  lookup,
  setFile,
} from './tree.js';

/** The protocol error codes (src/wire) a mutation can fail with. */
export type StoreErrCode = Extract<ErrName, 'REV_MISMATCH' | 'NOTDIR' | 'ISDIR' | 'BAD_PATH' | 'OTHER'>;
export type StoreErrText = 'rev mismatch' | 'not a directory' | 'is a directory' | 'bad path' | 'bad mutation';

export interface StoreEvent {
  /** = rev of the change. */
  seqn: number;
  /** '/' for nop; '/ctl/err' when the mutation failed. */
  path: string;
  /** New body (empty for delete/nop). */
  body: Uint8Array;
  /** 4 set, 8 delete, 0 nop. */
  flags: 0 | 4 | 8;
  /** Raw mutation as applied. */
  mutation: Uint8Array;
  err?: { code: StoreErrCode; text: StoreErrText };
}

export interface StoreFile {
  path: string;
  body: Uint8Array;
  rev: number;
}

export interface StoreOptions {
  /** Versions of history kept (default 2000). */
  hist?: number;
}

export const DEFAULT_HIST = 2000;
export const ERR_PATH = '/ctl/err';

const ERR_COMPS = splitPath(ERR_PATH);
const EMPTY = new Uint8Array(0);
const ROOT_PATH = '/';

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function checkedComps(path: string): string[] {
  if (!isValidPath(path)) throw new DoozerError('BAD_PATH');
  return splitPath(path);
}

export class Store {
  private root: DirNode;
  private history: History<DirNode, StoreEvent>;

  constructor(opts?: StoreOptions) {
    this.root = EMPTY_DIR;
    this.history = new History<DirNode, StoreEvent>(0, EMPTY_DIR, opts?.hist ?? DEFAULT_HIST);
  }

  /** A store at `rev` holding `files` (a slave's copied snapshot). */
  static fromSnapshot(rev: number, files: Iterable<StoreFile>, opts?: StoreOptions): Store {
    if (!Number.isSafeInteger(rev) || rev < 0) throw new Error(`fromSnapshot: bad rev ${rev}`);
    let root = EMPTY_DIR;
    for (const f of files) {
      const comps = checkedComps(f.path);
      if (comps.length === 0) throw new DoozerError('ISDIR');
      root = setFile(root, comps, new FileNode(f.body, f.rev));
    }
    const s = new Store(opts);
    s.root = root;
    s.history = new History<DirNode, StoreEvent>(
      rev,
      root,
      opts?.hist ?? DEFAULT_HIST,
    );
    return s;
  }

  /** Seqn of the last applied mutation (0 when new). */
  get rev(): number {
    return this.history.rev;
  }

  /** Oldest rev still readable. */
  get oldestRev(): number {
    return this.history.oldestRev;
  }

  /** Oldest seqn whose event is kept (rev + 1 if none is). */
  get oldestEvent(): number {
    return this.history.oldestEvent;
  }

  get hist(): number {
    return this.history.hist;
  }

  /**
   * Applies the mutation decided for seqn, which must be rev + 1. Never
   * throws for a bad mutation: that is an event with err (spec/store.md).
   */
  apply(seqn: number, mutation: Uint8Array): StoreEvent {
    if (seqn !== this.history.rev + 1) {
      throw new Error(`store: apply seqn ${seqn} but rev is ${this.history.rev}`);
    }
    // Own the bytes: the event and the file body (a view of them) outlive the
    // caller's buffer, which may be a view of a reused network buffer.
    const m = mutation.slice();
    const d = decodeMutation(m);
    let ev: StoreEvent;
    let root = this.root;
    if (d.kind === 'nop') {
      ev = { seqn, path: ROOT_PATH, body: EMPTY, flags: 0, mutation: m };
    } else if (d.kind === 'bad') {
      ev = this.failed(seqn, m, d.code, d.text);
      root = setFile(root, ERR_COMPS, new FileNode(ev.body, seqn));
    } else {
      const comps = splitPath(d.path);
      const failure = this.check(comps, d.rev, d.kind === 'set');
      if (failure) {
        ev = this.failed(seqn, m, failure[0], failure[1]);
        root = setFile(root, ERR_COMPS, new FileNode(ev.body, seqn));
      } else if (d.kind === 'set') {
        root = setFile(root, comps, new FileNode(d.body, seqn));
        ev = { seqn, path: d.path, body: d.body, flags: FLAG_SET, mutation: m };
      } else {
        root = deleteFile(root, comps);
        ev = { seqn, path: d.path, body: EMPTY, flags: FLAG_DEL, mutation: m };
      }
    }
    this.root = root;
    this.history.push(seqn, root, ev);
    return ev;
  }

  private failed(seqn: number, m: Uint8Array, code: StoreErrCode, text: StoreErrText): StoreEvent {
    return { seqn, path: ERR_PATH, body: ascii(text), flags: FLAG_SET, mutation: m, err: { code, text } };
  }

  /** Steps 3 and 4 of spec/store.md "Applying a mutation". */
  private check(comps: string[], rev: number, isSet: boolean): [StoreErrCode, StoreErrText] | undefined {
    let n: DirNode | FileNode | undefined = this.root;
    // Ancestors: for a set each existing one must be a directory. For a
    // delete a file there makes the path "missing" (and deleteFile removes
    // that file: the replicated quirk).
    for (let i = 0; i < comps.length; i++) {
      if (!(n instanceof DirNode)) {
        if (isSet) return ['NOTDIR', 'not a directory'];
        n = undefined;
        break;
      }
      n = entry(n, comps[i]!);
      if (n === undefined) break;
    }
    const cur = n === undefined ? 0 : n instanceof FileNode ? n.rev : DIR_REV;
    if (rev !== CLOBBER && rev < cur) return ['REV_MISMATCH', 'rev mismatch'];
    if (n instanceof DirNode) return ['ISDIR', 'is a directory'];
    return undefined;
  }

  /** Throws NOTDIR if a proper ancestor of path is a file; BAD_PATH if invalid. */
  checkDelete(path: string): void {
    const comps = checkedComps(path);
    let n: DirNode = this.root;
    for (let i = 0; i < comps.length - 1; i++) {
      const c = entry(n, comps[i]!);
      if (c === undefined) return;
      if (c instanceof FileNode) throw new DoozerError('NOTDIR');
      n = c;
    }
  }

  private at(rev: number | undefined): DirNode {
    return rev === undefined ? this.root : this.history.version(rev);
  }

  /** Missing: empty body, rev 0. A directory: ISDIR. */
  get(path: string, rev?: number): { body: Uint8Array; rev: number } {
    const comps = checkedComps(path);
    const n = lookup(this.at(rev), comps);
    if (n === undefined) return { body: EMPTY, rev: 0 };
    if (n instanceof DirNode) throw new DoozerError('ISDIR');
    return { body: n.body, rev: n.rev };
  }

  /** File: body length and rev; directory: entry count and -2; missing: 0, 0. */
  stat(path: string, rev?: number): { len: number; rev: number } {
    const comps = checkedComps(path);
    const n = lookup(this.at(rev), comps);
    if (n === undefined) return { len: 0, rev: 0 };
    if (n instanceof DirNode) return { len: n.size, rev: DIR_REV };
    return { len: n.length, rev: n.rev };
  }

  /** The offset-th entry name of a directory, in byte order. */
  getdir(path: string, offset: number, rev?: number): string {
    const comps = checkedComps(path);
    const n = lookup(this.at(rev), comps);
    if (n === undefined) throw new DoozerError('NOENT');
    if (n instanceof FileNode) throw new DoozerError('NOTDIR');
    if (!Number.isInteger(offset) || offset < 0 || offset >= n.size) throw new DoozerError('RANGE');
    return entryNameAt(n, offset);
  }

  /** The offset-th file matching glob, depth-first, entries in byte order. */
  walk(glob: string, offset: number, rev?: number): StoreFile {
    const g = compileGlob(glob);
    const root = this.at(rev);
    if (!Number.isInteger(offset) || offset < 0) throw new DoozerError('RANGE');
    let left = offset;
    let found: StoreFile | undefined;
    forEachFile(
      root,
      ROOT_PATH,
      (p, f) => {
        if (!g.matches(p)) return false;
        if (left-- > 0) return false;
        found = { path: p, body: f.body, rev: f.rev };
        return true;
      },
      (d) => g.mayMatchBelow(d),
    );
    if (!found) throw new DoozerError('RANGE');
    return found;
  }

  /** Every file at rev, depth-first byte order (a snapshot for attach). */
  files(rev?: number): StoreFile[] {
    const out: StoreFile[] = [];
    forEachFile(this.at(rev), ROOT_PATH, (path, f) => {
      out.push({ path, body: f.body, rev: f.rev });
    });
    return out;
  }

  /** Event seqn if still kept. */
  event(seqn: number): StoreEvent | undefined {
    return this.history.event(seqn);
  }

  /**
   * First event with seqn >= fromRev whose path matches glob (a nop's path is
   * '/'); undefined if none yet; TOO_LATE if such events were dropped.
   */
  firstEvent(glob: Glob, fromRev: number): StoreEvent | undefined {
    const h = this.history;
    const last = h.rev;
    for (let s = h.scanStart(fromRev); s <= last; s++) {
      const ev = h.event(s)!;
      if (glob.matches(ev.path)) return ev;
    }
    return undefined;
  }

  /** Drops versions and events older than rev - hist + 1. */
  clean(): void {
    this.history.clean();
  }

}

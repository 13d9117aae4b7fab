// The persistent tree (spec/store.md "Tree"): immutable nodes, every update
// copies only the path from the root to the change (structural sharing), so
// keeping a version is keeping its root.
//
// A directory's entries live in a small persistent B+ tree keyed by name:
// updates copy O(log n) nodes of at most FANOUT slots, byte-order iteration
// and the i-th entry are cheap, and a directory with 100k entries costs no
// more to update than a small one. Names are ASCII, so JS string order is
// byte order.

/**
 * A file. Its body is kept as a one-byte (latin1) string, one char per
 * byte: for a 64-byte body that is about 80 bytes of heap, where a
 * Uint8Array view with its own ArrayBuffer costs about 260 (the view, the
 * buffer object, the backing store). `body` gives the bytes back (a new
 * array each time).
 */
export class FileNode {
  private readonly data: string;

  constructor(
    body: Uint8Array,
    readonly rev: number,
  ) {
    this.data = body.length === 0 ? '' : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  }

  /** The body's bytes (a fresh copy). */
  get body(): Uint8Array {
    const d = this.data;
    const n = d.length;
    if (n > 64) {
      const b = Buffer.from(d, 'latin1');
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    }
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = d.charCodeAt(i);
    return out;
  }

  /** Body length in bytes. */
  get length(): number {
    return this.data.length;
  }
}

export class DirNode {
  constructor(readonly entries: BNode) {}
  /** Number of entries. */
  get size(): number {
    return this.entries.size;
  }
}

export type TreeNode = FileNode | DirNode;

// ---------------------------------------------------------------------------
// Persistent B+ tree: name -> TreeNode.

const FANOUT = 32;
const MIN_FILL = FANOUT >> 2;

class Leaf {
  readonly leaf = true as const;
  readonly size: number;
  constructor(
    readonly keys: string[],
    readonly vals: TreeNode[],
  ) {
    this.size = keys.length;
  }
}

class Inner {
  readonly leaf = false as const;
  constructor(
    readonly kids: BNode[],
    /** mins[i] is the smallest key under kids[i]. */
    readonly mins: string[],
    readonly size: number,
  ) {}
}

export type BNode = Leaf | Inner;

const EMPTY_LEAF = new Leaf([], []);
export const EMPTY_DIR = new DirNode(EMPTY_LEAF);

function minKey(n: BNode): string {
  return n.leaf ? n.keys[0]! : n.mins[0]!;
}

/** Number of slots (keys of a leaf, kids of an inner node). */
function width(n: BNode): number {
  return n.leaf ? n.keys.length : n.kids.length;
}

/** First i with keys[i] >= key. */
function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Last i with mins[i] <= key, or -1. */
function kidIndex(mins: string[], key: string): number {
  let lo = 0;
  let hi = mins.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (mins[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function bget(n: BNode, key: string): TreeNode | undefined {
  while (!n.leaf) {
    const i = kidIndex(n.mins, key);
    if (i < 0) return undefined;
    n = n.kids[i]!;
  }
  const i = lowerBound(n.keys, key);
  return n.keys[i] === key ? n.vals[i] : undefined;
}

function insertAt<T>(a: T[], i: number, x: T): T[] {
  const out = new Array<T>(a.length + 1);
  for (let j = 0; j < i; j++) out[j] = a[j]!;
  out[i] = x;
  for (let j = i; j < a.length; j++) out[j + 1] = a[j]!;
  return out;
}

function removeAt<T>(a: T[], i: number): T[] {
  const out = new Array<T>(a.length - 1);
  for (let j = 0; j < i; j++) out[j] = a[j]!;
  for (let j = i + 1; j < a.length; j++) out[j - 1] = a[j]!;
  return out;
}

function replaceAt<T>(a: T[], i: number, x: T): T[] {
  const out = a.slice();
  out[i] = x;
  return out;
}

function innerOf(kids: BNode[]): Inner {
  let size = 0;
  const mins = new Array<string>(kids.length);
  for (let i = 0; i < kids.length; i++) {
    size += kids[i]!.size;
    mins[i] = minKey(kids[i]!);
  }
  return new Inner(kids, mins, size);
}

// bset returns the updated node; when it overflowed, the returned node is the
// left half and the right half is left in `splitRight`.
let splitRight: BNode | undefined;

function bset(n: BNode, key: string, val: TreeNode): BNode {
  if (n.leaf) {
    const keys = n.keys;
    const i = lowerBound(keys, key);
    if (i < keys.length && keys[i] === key) {
      return n.vals[i] === val ? n : new Leaf(keys, replaceAt(n.vals, i, val));
    }
    const nk = insertAt(keys, i, key);
    const nv = insertAt(n.vals, i, val);
    if (nk.length <= FANOUT) return new Leaf(nk, nv);
    const h = nk.length >>> 1;
    splitRight = new Leaf(nk.slice(h), nv.slice(h));
    return new Leaf(nk.slice(0, h), nv.slice(0, h));
  }
  let i = kidIndex(n.mins, key);
  if (i < 0) i = 0;
  const kid = n.kids[i]!;
  const nkid = bset(kid, key, val);
  const right = splitRight;
  splitRight = undefined;
  if (nkid === kid) return n;
  if (right === undefined) {
    const m = minKey(nkid);
    const mins = m === n.mins[i] ? n.mins : replaceAt(n.mins, i, m);
    return new Inner(replaceAt(n.kids, i, nkid), mins, n.size - kid.size + nkid.size);
  }
  const kids = insertAt(replaceAt(n.kids, i, nkid), i + 1, right);
  if (kids.length <= FANOUT) {
    const mins = insertAt(replaceAt(n.mins, i, minKey(nkid)), i + 1, minKey(right));
    return new Inner(kids, mins, n.size + 1);
  }
  const h = kids.length >>> 1;
  splitRight = innerOf(kids.slice(h));
  return innerOf(kids.slice(0, h));
}

function merge(a: BNode, b: BNode): BNode {
  if (a.leaf && b.leaf) return new Leaf(a.keys.concat(b.keys), a.vals.concat(b.vals));
  if (!a.leaf && !b.leaf) return new Inner(a.kids.concat(b.kids), a.mins.concat(b.mins), a.size + b.size);
  throw new Error('merge of unlike nodes');
}

/** Removes key; returns n itself if absent, undefined if n became empty. */
function bdel(n: BNode, key: string): BNode | undefined {
  if (n.leaf) {
    const i = lowerBound(n.keys, key);
    if (n.keys[i] !== key) return n;
    if (n.keys.length === 1) return undefined;
    return new Leaf(removeAt(n.keys, i), removeAt(n.vals, i));
  }
  const i = kidIndex(n.mins, key);
  if (i < 0) return n;
  const kid = n.kids[i]!;
  const nkid = bdel(kid, key);
  if (nkid === kid) return n;
  if (nkid === undefined) {
    if (n.kids.length === 1) return undefined;
    return new Inner(removeAt(n.kids, i), removeAt(n.mins, i), n.size - kid.size);
  }
  let kids = replaceAt(n.kids, i, nkid);
  let mins = replaceAt(n.mins, i, minKey(nkid));
  // Keep nodes reasonably full: fold an underfull kid into a neighbour.
  if (width(nkid) < MIN_FILL && kids.length > 1) {
    const j = i > 0 ? i - 1 : i + 1;
    const lo = Math.min(i, j);
    const a = kids[lo]!;
    const b = kids[lo + 1]!;
    if (a.leaf === b.leaf && width(a) + width(b) <= FANOUT) {
      const m = merge(a, b);
      kids = removeAt(replaceAt(kids, lo, m), lo + 1);
      mins = removeAt(replaceAt(mins, lo, minKey(m)), lo + 1);
    }
  }
  return new Inner(kids, mins, n.size - 1);
}

function bkeyAt(n: BNode, index: number): string {
  while (!n.leaf) {
    let i = 0;
    for (; i < n.kids.length; i++) {
      const s = n.kids[i]!.size;
      if (index < s) break;
      index -= s;
    }
    n = n.kids[i]!;
  }
  return n.keys[index]!;
}

/** Calls fn for each entry in byte order; stops when fn returns true. */
function beach(n: BNode, fn: (name: string, node: TreeNode) => boolean | void): boolean {
  if (n.leaf) {
    const keys = n.keys;
    const vals = n.vals;
    for (let i = 0; i < keys.length; i++) if (fn(keys[i]!, vals[i]!)) return true;
    return false;
  }
  for (const k of n.kids) if (beach(k, fn)) return true;
  return false;
}

// ---------------------------------------------------------------------------
// Directories.

export function entry(dir: DirNode, name: string): TreeNode | undefined {
  return bget(dir.entries, name);
}

export function withEntry(dir: DirNode, name: string, node: TreeNode): DirNode {
  const e = bset(dir.entries, name, node);
  const right = splitRight;
  splitRight = undefined;
  if (right !== undefined) return new DirNode(innerOf([e, right]));
  return e === dir.entries ? dir : new DirNode(e);
}

export function withoutEntry(dir: DirNode, name: string): DirNode {
  let e = bdel(dir.entries, name);
  if (e === dir.entries) return dir;
  if (e === undefined) return EMPTY_DIR;
  while (!e.leaf && e.kids.length === 1) e = e.kids[0]!;
  return new DirNode(e);
}

/** Name of the index-th entry in byte order; the caller checks the range. */
export function entryNameAt(dir: DirNode, index: number): string {
  return bkeyAt(dir.entries, index);
}

export function forEachEntry(dir: DirNode, fn: (name: string, node: TreeNode) => boolean | void): boolean {
  return beach(dir.entries, fn);
}

// ---------------------------------------------------------------------------
// Paths (as component arrays: `/` is [], `/a/b` is ['a', 'b']).

/** The node at comps; undefined when missing (including below a file). */
export function lookup(root: DirNode, comps: readonly string[]): TreeNode | undefined {
  let n: TreeNode = root;
  for (let i = 0; i < comps.length; i++) {
    if (!(n instanceof DirNode)) return undefined;
    const c = entry(n, comps[i]!);
    if (c === undefined) return undefined;
    n = c;
  }
  return n;
}

/**
 * Puts file at comps (not the root), creating directories as needed. It
 * forces its way: a file in an ancestor's place is replaced by a directory,
 * and a directory at comps is replaced by the file. Callers that must not
 * force (a client's set) check first.
 */
export function setFile(root: DirNode, comps: readonly string[], file: FileNode): DirNode {
  if (comps.length === 0) throw new Error('setFile: the root is a directory');
  const rec = (dir: DirNode, i: number): DirNode => {
    const name = comps[i]!;
    if (i === comps.length - 1) return withEntry(dir, name, file);
    const c = entry(dir, name);
    return withEntry(dir, name, rec(c instanceof DirNode ? c : EMPTY_DIR, i + 1));
  };
  return rec(root, 0);
}

/**
 * Deletes the file at comps, and any directory left empty. Missing: the same
 * tree. The first file met on the way down is what gets removed, so deleting
 * `/f/x` where `/f` is a file removes `/f` (the replicated quirk of
 * spec/store.md). A directory at comps is left alone (callers refuse that).
 */
export function deleteFile(root: DirNode, comps: readonly string[]): DirNode {
  const rec = (dir: DirNode, i: number): DirNode => {
    const name = comps[i]!;
    const c = entry(dir, name);
    if (c === undefined) return dir;
    if (c instanceof FileNode) return withoutEntry(dir, name);
    if (i === comps.length - 1) return dir;
    const sub = rec(c, i + 1);
    if (sub === c) return dir;
    return sub.size === 0 ? withoutEntry(dir, name) : withEntry(dir, name, sub);
  };
  return comps.length === 0 ? root : rec(root, 0);
}

/**
 * Visits files below dir (whose path is dirPath) depth-first, each
 * directory's entries in byte order. `enter(path)` may skip a subdirectory by
 * returning false. Stops when visit returns true; returns whether it stopped.
 */
export function forEachFile(
  dir: DirNode,
  dirPath: string,
  visit: (path: string, file: FileNode) => boolean | void,
  enter?: (path: string) => boolean,
): boolean {
  const prefix = dirPath.length === 1 ? '/' : dirPath + '/';
  return forEachEntry(dir, (name, node) => {
    const p = prefix + name;
    if (node instanceof FileNode) return visit(p, node);
    if (enter && !enter(p)) return false;
    return forEachFile(node, p, visit, enter);
  });
}

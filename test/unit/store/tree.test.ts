import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DirNode,
  EMPTY_DIR,
  FileNode,
  deleteFile,
  entry,
  entryNameAt,
  forEachEntry,
  forEachFile,
  lookup,
  setFile,
  withEntry,
  withoutEntry,
} from '../../../src/actors/store/tree.js';

const f = (s: string, rev = 1): FileNode => new FileNode(Uint8Array.from(Buffer.from(s)), rev);
const c = (p: string): string[] => (p === '/' ? [] : p.slice(1).split('/'));
const names = (d: DirNode): string[] => {
  const out: string[] = [];
  forEachEntry(d, (n) => {
    out.push(n);
  });
  return out;
};
const paths = (d: DirNode): string[] => {
  const out: string[] = [];
  forEachFile(d, '/', (p) => {
    out.push(p);
  });
  return out;
};

describe('directory entries (persistent B+ tree)', () => {
  it('keeps entries in byte order with size and index access, across splits and merges', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 400 })), { maxLength: 1500 }),
        (ops) => {
          let d = EMPTY_DIR;
          const model = new Map<string, FileNode>();
          const versions: [DirNode, string[]][] = [];
          for (const [add, k] of ops) {
            const name = 'n' + k.toString(36) + (k % 3 === 0 ? '-x' : '');
            if (add) {
              const v = f(name, k);
              d = withEntry(d, name, v);
              model.set(name, v);
            } else {
              d = withoutEntry(d, name);
              model.delete(name);
            }
            if (versions.length < 20 && k % 37 === 0) versions.push([d, [...model.keys()].sort()]);
          }
          const sorted = [...model.keys()].sort();
          expect(d.size).toBe(sorted.length);
          expect(names(d)).toEqual(sorted);
          for (let i = 0; i < sorted.length; i++) expect(entryNameAt(d, i)).toBe(sorted[i]);
          for (const [k, v] of model) expect(entry(d, k)).toBe(v);
          expect(entry(d, 'zzz')).toBeUndefined();
          expect(entry(d, '')).toBeUndefined();
          // Older versions are untouched.
          for (const [old, keys] of versions) expect(names(old)).toEqual(keys);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('handles a large directory, in and out of order', () => {
    let d = EMPTY_DIR;
    const keys: string[] = [];
    for (let i = 0; i < 5000; i++) keys.push('k' + ((i * 7919) % 5000));
    for (const k of keys) d = withEntry(d, k, f(k));
    const sorted = [...keys].sort();
    expect(names(d)).toEqual(sorted);
    expect(entryNameAt(d, 4999)).toBe(sorted[4999]);
    for (let i = 0; i < 5000; i += 2) d = withoutEntry(d, sorted[i]!);
    expect(names(d)).toEqual(sorted.filter((_, i) => i % 2 === 1));
    const left = new Set(sorted.filter((_, i) => i % 2 === 1));
    for (let i = 1; i < 5000; i += 2) {
      d = withoutEntry(d, sorted[i]!);
      left.delete(sorted[i]!);
      if (i % 101 === 0) {
        expect(d.size).toBe(left.size);
        expect(names(d)).toEqual([...left]);
      }
    }
    expect(d.size).toBe(0);
    expect(names(d)).toEqual([]);
  });

  it('stays consistent when shrinking from a large size in random order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer(), (n, seed) => {
        const keys = Array.from({ length: n }, (_, i) => 'k' + i);
        let d = EMPTY_DIR;
        for (const k of keys) d = withEntry(d, k, f(k));
        // Deterministic shuffle from the seed.
        let x = seed >>> 0;
        for (let i = keys.length - 1; i > 0; i--) {
          x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
          const j = x % (i + 1);
          [keys[i], keys[j]] = [keys[j]!, keys[i]!];
        }
        const left = new Set(keys);
        for (let i = 0; i < keys.length; i++) {
          d = withoutEntry(d, keys[i]!);
          left.delete(keys[i]!);
          if (i % 50 === 0 || left.size < 40) {
            const want = [...left].sort();
            expect(d.size).toBe(want.length);
            expect(names(d)).toEqual(want);
            if (want.length) expect(entryNameAt(d, want.length - 1)).toBe(want[want.length - 1]);
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('returns the same node when nothing changes', () => {
    const v = f('x');
    const d = withEntry(EMPTY_DIR, 'a', v);
    expect(withEntry(d, 'a', v)).toBe(d);
    expect(withoutEntry(d, 'b')).toBe(d);
  });
});

describe('tree paths', () => {
  it('sets create directories; lookups find files and directories', () => {
    let t = setFile(EMPTY_DIR, c('/a/b/c'), f('1'));
    t = setFile(t, c('/a/x'), f('2'));
    expect(lookup(t, c('/a/b/c'))).toBeInstanceOf(FileNode);
    expect(lookup(t, c('/a/b'))).toBeInstanceOf(DirNode);
    expect(lookup(t, c('/'))).toBe(t);
    expect(lookup(t, c('/a/q'))).toBeUndefined();
    expect(lookup(t, c('/a/x/y'))).toBeUndefined(); // below a file: missing
    expect(paths(t)).toEqual(['/a/b/c', '/a/x']);
  });

  it('is persistent and shares untouched subtrees', () => {
    const t1 = setFile(setFile(EMPTY_DIR, c('/a/b'), f('1')), c('/z/y'), f('2'));
    const t2 = setFile(t1, c('/a/c'), f('3'));
    expect(paths(t1)).toEqual(['/a/b', '/z/y']);
    expect(paths(t2)).toEqual(['/a/b', '/a/c', '/z/y']);
    expect(lookup(t2, c('/z'))).toBe(lookup(t1, c('/z')));
    expect(lookup(t2, c('/a/b'))).toBe(lookup(t1, c('/a/b')));
    const t3 = deleteFile(t2, c('/z/y'));
    expect(paths(t2)).toEqual(['/a/b', '/a/c', '/z/y']);
    expect(lookup(t3, c('/a'))).toBe(lookup(t2, c('/a')));
  });

  it('walks depth-first with entries in byte order (/a/b before /a-c)', () => {
    let t = EMPTY_DIR;
    for (const p of ['/a-c', '/a/b', '/b', '/a/a/z', '/A', '/a.b', '/0']) t = setFile(t, c(p), f(p));
    expect(paths(t)).toEqual(['/0', '/A', '/a/a/z', '/a/b', '/a-c', '/a.b', '/b']);
  });

  it('deleting the last file removes empty directories, but not the root', () => {
    let t = setFile(setFile(EMPTY_DIR, c('/a/b/c'), f('1')), c('/a/d'), f('2'));
    t = deleteFile(t, c('/a/b/c'));
    expect(lookup(t, c('/a/b'))).toBeUndefined();
    expect(lookup(t, c('/a'))).toBeInstanceOf(DirNode);
    t = deleteFile(t, c('/a/d'));
    expect(lookup(t, c('/a'))).toBeUndefined();
    expect(t.size).toBe(0);
  });

  it('deleting a missing file gives the same tree', () => {
    const t = setFile(EMPTY_DIR, c('/a/b'), f('1'));
    expect(deleteFile(t, c('/a/c'))).toBe(t);
    expect(deleteFile(t, c('/x/y/z'))).toBe(t);
  });

  it('deleting below a file removes that file (the replicated quirk)', () => {
    let t = setFile(setFile(EMPTY_DIR, c('/d/f'), f('1')), c('/d/g'), f('2'));
    t = deleteFile(t, c('/d/f/x/y'));
    expect(paths(t)).toEqual(['/d/g']);
    t = deleteFile(t, c('/d/g/x'));
    expect(paths(t)).toEqual([]);
  });

  it('a directory at the path is left alone by deleteFile', () => {
    const t = setFile(EMPTY_DIR, c('/a/b'), f('1'));
    expect(deleteFile(t, c('/a'))).toBe(t);
  });

  it('setFile forces: files become directories, a directory becomes a file', () => {
    let t = setFile(EMPTY_DIR, c('/ctl'), f('file'));
    t = setFile(t, c('/ctl/err'), f('e'));
    expect(paths(t)).toEqual(['/ctl/err']);
    t = setFile(setFile(t, c('/x/y/z'), f('1')), c('/x/y'), f('2'));
    expect(paths(t)).toEqual(['/ctl/err', '/x/y']);
    expect(() => setFile(t, [], f('r'))).toThrow();
  });
});

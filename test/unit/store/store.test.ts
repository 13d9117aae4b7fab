import { describe, expect, it } from 'vitest';
import { DoozerError } from '../../../src/wire/errors.js';
import { compileGlob } from '../../../src/actors/store/glob.js';
import { NOP_MUTATION, encodeDel, encodeSet } from '../../../src/actors/store/mutation.js';
import { Store, type StoreEvent } from '../../../src/actors/store/store.js';

const enc = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const str = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** Applies at the next seqn. */
function ap(s: Store, m: Uint8Array | string): StoreEvent {
  return s.apply(s.rev + 1, typeof m === 'string' ? enc(m) : m);
}
const set = (s: Store, path: string, body: string, rev = -1): StoreEvent => ap(s, encodeSet(rev, path, enc(body)));
const del = (s: Store, path: string, rev = -1): StoreEvent => ap(s, encodeDel(rev, path));

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof DoozerError) return e.code;
    throw e;
  }
  return undefined;
}

const paths = (s: Store, rev?: number): string[] => [...s.files(rev)].map((f) => f.path);

describe('Store.apply', () => {
  it('starts empty at rev 0', () => {
    const s = new Store();
    expect(s.rev).toBe(0);
    expect(s.oldestRev).toBe(0);
    expect(paths(s)).toEqual([]);
  });

  it('set stores the body at rev n and yields a set event', () => {
    const s = new Store();
    const m = encodeSet(0, '/a/b', enc('hello'));
    const ev = s.apply(1, m);
    expect(ev).toEqual({ seqn: 1, path: '/a/b', body: enc('hello'), flags: 4, mutation: m });
    expect(s.rev).toBe(1);
    expect(s.get('/a/b')).toEqual({ body: enc('hello'), rev: 1 });
  });

  it('refuses an out-of-order seqn as a programming error', () => {
    const s = new Store();
    expect(() => s.apply(2, NOP_MUTATION)).toThrow(Error);
    s.apply(1, NOP_MUTATION);
    expect(() => s.apply(1, NOP_MUTATION)).toThrow(Error);
    expect(s.rev).toBe(1);
  });

  it('copies the mutation: later changes to the caller buffer do not leak in', () => {
    const s = new Store();
    const m = encodeSet(-1, '/a', enc('xyz'));
    const ev = s.apply(1, m);
    m.fill(0);
    expect(str(s.get('/a').body)).toBe('xyz');
    expect(str(ev.mutation)).toBe('-1:/a=xyz');
  });

  it('nop changes nothing but consumes a rev', () => {
    const s = new Store();
    set(s, '/a', '1');
    const ev = ap(s, 'nop:');
    expect(ev).toEqual({ seqn: 2, path: '/', body: new Uint8Array(0), flags: 0, mutation: enc('nop:') });
    expect(s.rev).toBe(2);
    expect(s.get('/a')).toEqual({ body: enc('1'), rev: 1 });
  });

  it('rev semantics: clobber, create-only, stale', () => {
    const s = new Store();
    expect(set(s, '/a', 'x', 0).err).toBeUndefined(); // create-only on missing: ok
    const e = set(s, '/a', 'y', 0); // exists (rev 1): mismatch
    expect(e.err).toEqual({ code: 'REV_MISMATCH', text: 'rev mismatch' });
    expect(s.get('/a')).toEqual({ body: enc('x'), rev: 1 });
    expect(set(s, '/a', 'z', 1).err).toBeUndefined(); // rev == current: ok
    expect(s.get('/a').rev).toBe(3);
    expect(set(s, '/a', 'w', 2).err?.code).toBe('REV_MISMATCH');
    expect(set(s, '/a', 'v', 100).err).toBeUndefined(); // rev above current: ok
    expect(set(s, '/a', 'u', -1).err).toBeUndefined();
    expect(set(s, '/b', 'u', -5).err?.code).toBe('REV_MISMATCH'); // -5 < 0
    expect(str(s.get('/a').body)).toBe('u');
  });

  it('a failed mutation sets /ctl/err at rev n and the event says so', () => {
    const s = new Store();
    set(s, '/a', 'x');
    const m = encodeSet(0, '/a', enc('y'));
    const ev = s.apply(2, m);
    expect(ev).toEqual({
      seqn: 2,
      path: '/ctl/err',
      body: enc('rev mismatch'),
      flags: 4,
      mutation: m,
      err: { code: 'REV_MISMATCH', text: 'rev mismatch' },
    });
    expect(s.get('/ctl/err')).toEqual({ body: enc('rev mismatch'), rev: 2 });
  });

  it.each([
    ['x:/a=1', 'OTHER', 'bad mutation'],
    ['garbage', 'OTHER', 'bad mutation'],
    ['1:/a b=1', 'BAD_PATH', 'bad path'],
    ['1:/a/', 'BAD_PATH', 'bad path'],
  ] as const)('%j fails with %s / %s', (m, c, text) => {
    const s = new Store();
    const ev = ap(s, m);
    expect(ev.err).toEqual({ code: c, text });
    expect(ev.path).toBe('/ctl/err');
    expect(str(s.get('/ctl/err').body)).toBe(text);
    expect(paths(s)).toEqual(['/ctl/err']);
  });

  it('set below a file: not a directory (the file stays)', () => {
    const s = new Store();
    set(s, '/f', 'file');
    const ev = set(s, '/f/x', 'y');
    expect(ev.err).toEqual({ code: 'NOTDIR', text: 'not a directory' });
    expect(s.get('/f')).toEqual({ body: enc('file'), rev: 1 });
    expect(set(s, '/f/x/y/z', 'y').err?.code).toBe('NOTDIR');
    expect(str(s.get('/ctl/err').body)).toBe('not a directory');
  });

  it('set or delete on a directory: is a directory', () => {
    const s = new Store();
    set(s, '/d/x', '1');
    expect(set(s, '/d', 'y').err).toEqual({ code: 'ISDIR', text: 'is a directory' });
    expect(del(s, '/d').err).toEqual({ code: 'ISDIR', text: 'is a directory' });
    expect(set(s, '/', 'y').err?.code).toBe('ISDIR');
    expect(del(s, '/').err?.code).toBe('ISDIR');
    expect(new Store().apply(1, enc('-1:/=x')).err?.code).toBe('ISDIR'); // root of an empty store
    expect(s.get('/d/x').body).toEqual(enc('1'));
    // A directory's current rev is -2: a rev below that is a mismatch first.
    expect(set(s, '/d', 'y', -2).err?.code).toBe('ISDIR');
    expect(set(s, '/d', 'y', -3).err?.code).toBe('REV_MISMATCH');
  });

  it('delete removes the file and empty directories; missing succeeds', () => {
    const s = new Store();
    set(s, '/a/b/c', '1');
    set(s, '/a/d', '2');
    const ev = del(s, '/a/b/c', 1);
    expect(ev).toEqual({ seqn: 3, path: '/a/b/c', body: new Uint8Array(0), flags: 8, mutation: encodeDel(1, '/a/b/c') });
    expect(s.stat('/a/b')).toEqual({ len: 0, rev: 0 });
    expect(s.stat('/a')).toEqual({ len: 1, rev: -2 });
    expect(del(s, '/nope', 0).err).toBeUndefined();
    expect(del(s, '/a/d', 1).err?.code).toBe('REV_MISMATCH');
    expect(del(s, '/a/d', 2).err).toBeUndefined();
    expect(paths(s)).toEqual(['/ctl/err']);
    expect(s.stat('/a')).toEqual({ len: 0, rev: 0 });
  });

  it('delete of /f/x where /f is a file removes /f (replicated quirk)', () => {
    const s = new Store();
    set(s, '/d/f', 'file');
    set(s, '/d/g', 'other');
    const ev = del(s, '/d/f/x');
    expect(ev.err).toBeUndefined();
    expect(ev.path).toBe('/d/f/x');
    expect(ev.flags).toBe(8);
    expect(paths(s)).toEqual(['/d/g']);
    // The path below a file counts as missing (rev 0) for the rev check.
    set(s, '/h', 'x');
    expect(del(s, '/h/x/y', 0).err).toBeUndefined();
    expect(s.get('/h').rev).toBe(0);
    set(s, '/k', 'x');
    expect(del(s, '/k/x', -3).err?.code).toBe('REV_MISMATCH');
    expect(s.get('/k').body).toEqual(enc('x'));
  });

  it('/ctl/err is set unconditionally, even over a file /ctl or a directory /ctl/err', () => {
    const s = new Store();
    set(s, '/ctl', 'file');
    ap(s, 'bad');
    expect(paths(s)).toEqual(['/ctl/err']);
    const t = new Store();
    set(t, '/ctl/err/x', '1');
    ap(t, 'bad');
    expect(t.get('/ctl/err')).toEqual({ body: enc('bad mutation'), rev: 2 });
  });

  it('bodies are arbitrary bytes', () => {
    const s = new Store();
    const body = Uint8Array.from([0, 0x3d, 0x3a, 0xff, 0x80, 10]);
    s.apply(1, encodeSet(-1, '/bin', body));
    expect(s.get('/bin').body).toEqual(body);
    expect(s.stat('/bin')).toEqual({ len: 6, rev: 1 });
  });
});

describe('Store reads', () => {
  function sample(): Store {
    const s = new Store();
    for (const p of ['/a-c', '/a/b', '/b', '/a/a/z', '/A', '/a.b', '/0']) set(s, p, 'v' + p);
    return s;
  }

  it('get: file, missing, below a file, directory, bad path', () => {
    const s = sample();
    expect(s.get('/a/b')).toEqual({ body: enc('v/a/b'), rev: 2 });
    expect(s.get('/nope')).toEqual({ body: new Uint8Array(0), rev: 0 });
    expect(s.get('/b/x')).toEqual({ body: new Uint8Array(0), rev: 0 });
    expect(code(() => s.get('/a'))).toBe('ISDIR');
    expect(code(() => s.get('/'))).toBe('ISDIR');
    for (const p of ['', 'a', '/a/', '/a b', '//']) expect(code(() => s.get(p))).toBe('BAD_PATH');
  });

  it('stat: file, directory, missing, bad path', () => {
    const s = sample();
    expect(s.stat('/a/b')).toEqual({ len: 5, rev: 2 });
    expect(s.stat('/a')).toEqual({ len: 2, rev: -2 });
    expect(s.stat('/')).toEqual({ len: 6, rev: -2 });
    expect(new Store().stat('/')).toEqual({ len: 0, rev: -2 });
    expect(s.stat('/zz')).toEqual({ len: 0, rev: 0 });
    expect(code(() => s.stat('/a/'))).toBe('BAD_PATH');
  });

  it('getdir: byte order, NOENT, NOTDIR, RANGE', () => {
    const s = sample();
    const all: string[] = [];
    for (let i = 0; i < 6; i++) all.push(s.getdir('/', i));
    expect(all).toEqual(['0', 'A', 'a', 'a-c', 'a.b', 'b']);
    expect(s.getdir('/a', 0)).toBe('a');
    expect(s.getdir('/a', 1)).toBe('b');
    expect(code(() => s.getdir('/a', 2))).toBe('RANGE');
    expect(code(() => s.getdir('/a', -1))).toBe('RANGE');
    expect(code(() => s.getdir('/nope', 0))).toBe('NOENT');
    expect(code(() => s.getdir('/b', 0))).toBe('NOTDIR');
    expect(code(() => s.getdir('', 0))).toBe('BAD_PATH');
    expect(code(() => new Store().getdir('/', 0))).toBe('RANGE');
  });

  it('walk: depth-first byte order (/a/b before /a-c), glob filter, RANGE', () => {
    const s = sample();
    const walk = (g: string): string[] => {
      const out: string[] = [];
      for (let i = 0; ; i++) {
        try {
          out.push(s.walk(g, i).path);
        } catch (e) {
          expect((e as DoozerError).code).toBe('RANGE');
          return out;
        }
      }
    };
    expect(walk('/**')).toEqual(['/0', '/A', '/a/a/z', '/a/b', '/a-c', '/a.b', '/b']);
    expect(walk('/a*')).toEqual(['/a-c', '/a.b']);
    expect(walk('/a/**')).toEqual(['/a/a/z', '/a/b']);
    expect(walk('/?')).toEqual(['/0', '/A', '/b']);
    expect(walk('/nothing')).toEqual([]);
    expect(s.walk('/**', 3)).toEqual({ path: '/a/b', body: enc('v/a/b'), rev: 2 });
    expect(code(() => s.walk('/**', -1))).toBe('RANGE');
    expect(code(() => s.walk('/a b', 0))).toBe('OTHER');
  });

  it('files: every file in walk order', () => {
    const s = sample();
    expect(paths(s)).toEqual(['/0', '/A', '/a/a/z', '/a/b', '/a-c', '/a.b', '/b']);
    expect([...s.files()][0]).toEqual({ path: '/0', body: enc('v/0'), rev: 7 });
  });

  it('reads at historical revs', () => {
    const s = new Store();
    set(s, '/a', '1'); // 1
    set(s, '/a', '2'); // 2
    set(s, '/d/x', '3'); // 3
    del(s, '/a'); // 4
    expect(s.get('/a', 1)).toEqual({ body: enc('1'), rev: 1 });
    expect(s.get('/a', 2)).toEqual({ body: enc('2'), rev: 2 });
    expect(s.get('/a', 4)).toEqual({ body: new Uint8Array(0), rev: 0 });
    expect(s.get('/a', 0)).toEqual({ body: new Uint8Array(0), rev: 0 });
    expect(s.stat('/d', 2)).toEqual({ len: 0, rev: 0 });
    expect(s.stat('/d', 3)).toEqual({ len: 1, rev: -2 });
    expect(code(() => s.getdir('/d', 0, 2))).toBe('NOENT');
    expect(s.getdir('/', 0, 3)).toBe('a');
    expect(s.getdir('/', 0, 4)).toBe('d');
    expect(s.walk('/**', 0, 2).path).toBe('/a');
    expect(paths(s, 3)).toEqual(['/a', '/d/x']);
    expect(() => s.get('/a', 5)).toThrow(); // the future is the caller's job
  });
});

describe('Store history', () => {
  it('keeps hist versions after clean; older reads are TOO_LATE', () => {
    const s = new Store({ hist: 3 });
    for (let i = 1; i <= 10; i++) set(s, '/a', String(i));
    expect(s.oldestRev).toBe(0);
    expect(s.get('/a', 1).body).toEqual(enc('1')); // nothing dropped before clean
    s.clean();
    expect(s.oldestRev).toBe(8);
    expect(s.get('/a', 8)).toEqual({ body: enc('8'), rev: 8 });
    for (const f of [() => s.get('/a', 7), () => s.stat('/a', 7), () => s.getdir('/', 0, 7), () => s.walk('/**', 0, 7), () => s.files(7)]) {
      expect(code(f)).toBe('TOO_LATE');
    }
    s.clean(); // idempotent
    expect(s.oldestRev).toBe(8);
    set(s, '/a', '11');
    expect(s.oldestRev).toBe(8);
    s.clean();
    expect(s.oldestRev).toBe(9);
  });

  it('firstEvent: matches from a rev, nops only for globs matching /, TOO_LATE, undefined', () => {
    const s = new Store({ hist: 4 });
    set(s, '/a', '1'); // 1
    ap(s, 'nop:'); // 2
    set(s, '/b', '2'); // 3
    ap(s, 'junk'); // 4: /ctl/err
    del(s, '/a'); // 5
    const g = (p: string) => compileGlob(p);
    expect(s.firstEvent(g('/a'), 0)?.seqn).toBe(1);
    expect(s.firstEvent(g('/a'), 1)?.seqn).toBe(1);
    expect(s.firstEvent(g('/a'), 2)?.seqn).toBe(5);
    expect(s.firstEvent(g('/a'), 2)?.flags).toBe(8);
    expect(s.firstEvent(g('/a'), 6)).toBeUndefined();
    expect(s.firstEvent(g('/**'), 2)).toMatchObject({ seqn: 2, path: '/', flags: 0 });
    expect(s.firstEvent(g('/*'), 2)?.seqn).toBe(2); // '/*' matches '/' too
    expect(s.firstEvent(g('/?'), 2)?.seqn).toBe(3);
    expect(s.firstEvent(g('/ctl/**'), 0)).toMatchObject({ seqn: 4, path: '/ctl/err', err: { code: 'OTHER' } });
    expect(s.firstEvent(g('/zz'), 0)).toBeUndefined();
    s.clean(); // keeps revs 2..5
    expect(s.oldestRev).toBe(2);
    expect(s.firstEvent(g('/**'), 2)?.seqn).toBe(2);
    expect(code(() => s.firstEvent(g('/**'), 1))).toBe('TOO_LATE');
    expect(code(() => s.firstEvent(g('/zz'), 0))).toBe('TOO_LATE');
    expect(s.event(1)).toBeUndefined();
    expect(s.event(5)?.path).toBe('/a');
  });

  it('fromSnapshot: files at rev, history starts there, events only after', () => {
    const src = new Store();
    set(src, '/a/b', 'x');
    set(src, '/c', 'y');
    ap(src, 'nop:');
    const s = Store.fromSnapshot(src.rev, src.files(), { hist: 10 });
    expect(s.rev).toBe(3);
    expect(s.oldestRev).toBe(3);
    expect([...s.files()]).toEqual([...src.files()]);
    expect(s.get('/a/b')).toEqual({ body: enc('x'), rev: 1 });
    expect(code(() => s.get('/a/b', 2))).toBe('TOO_LATE');
    expect(code(() => s.firstEvent(compileGlob('/**'), 3))).toBe('TOO_LATE');
    expect(s.firstEvent(compileGlob('/**'), 4)).toBeUndefined();
    expect(() => s.apply(3, NOP_MUTATION)).toThrow();
    expect(set(s, '/c', 'z', 2).err).toBeUndefined();
    expect(s.firstEvent(compileGlob('/**'), 4)?.path).toBe('/c');
    expect(code(() => Store.fromSnapshot(1, [{ path: 'bad', body: new Uint8Array(0), rev: 1 }]))).toBe('BAD_PATH');
  });
});

describe('checkDelete', () => {
  it('refuses a delete below a file, allows everything else', () => {
    const s = new Store();
    set(s, '/d/f', 'x');
    expect(code(() => s.checkDelete('/d/f/x'))).toBe('NOTDIR');
    expect(code(() => s.checkDelete('/d/f/x/y'))).toBe('NOTDIR');
    expect(code(() => s.checkDelete('/d/f'))).toBeUndefined();
    expect(code(() => s.checkDelete('/d'))).toBeUndefined(); // ISDIR is for apply to say
    expect(code(() => s.checkDelete('/nope/x'))).toBeUndefined();
    expect(code(() => s.checkDelete('/'))).toBeUndefined();
    expect(code(() => s.checkDelete('/d/'))).toBe('BAD_PATH');
    expect(code(() => s.checkDelete(''))).toBe('BAD_PATH');
  });
});

describe('determinism', () => {
  it('two stores fed the same sequence give identical events and files', () => {
    const seq: Uint8Array[] = [];
    let x = 12345;
    const rnd = (n: number) => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x % n);
    const names = ['a', 'b', 'a-c', 'ctl', 'err', 'x.y'];
    for (let i = 0; i < 3000; i++) {
      const depth = 1 + rnd(3);
      const p = '/' + Array.from({ length: depth }, () => names[rnd(names.length)]).join('/');
      const r = [-1, 0, rnd(i + 1), -2, -7][rnd(5)]!;
      const k = rnd(10);
      if (k < 5) seq.push(encodeSet(r, p, enc('b' + rnd(1000) + '=:' + i)));
      else if (k < 8) seq.push(encodeDel(r, p));
      else if (k < 9) seq.push(NOP_MUTATION);
      else seq.push(enc(['oops', '1:/bad path', '1:', 'x:/a'][rnd(4)]!));
    }
    const a = new Store({ hist: 50 });
    const b = new Store({ hist: 50 });
    for (let i = 0; i < seq.length; i++) {
      const ea = a.apply(i + 1, seq[i]!);
      const eb = b.apply(i + 1, seq[i]!.slice());
      expect(eb).toEqual(ea);
      if (i % 97 === 0) a.clean(); // cleaning is not replicated state
    }
    expect([...b.files()]).toEqual([...a.files()]);
    expect([...a.files()].length).toBeGreaterThan(3);
    // And a follower that copied a snapshot midway converges too.
    const c = Store.fromSnapshot(1500, b.files(1500));
    for (let i = 1500; i < seq.length; i++) expect(c.apply(i + 1, seq[i]!)).toEqual(a.event(i + 1) ?? b.event(i + 1));
    expect([...c.files()]).toEqual([...a.files()]);
  });
});

describe('Store options', () => {
  it('a nonsensical hist keeps at least the current version', () => {
    for (const hist of [0, -5, Number.NaN]) {
      const s = new Store({ hist });
      for (let i = 0; i < 5; i++) ap(s, 'nop:');
      s.clean();
      expect(s.oldestRev).toBe(5);
      expect(s.get('/x', 5).rev).toBe(0);
    }
    const all = new Store({ hist: Infinity });
    for (let i = 0; i < 5; i++) ap(all, 'nop:');
    all.clean();
    expect(all.oldestRev).toBe(0);
  });
});

// Property tests: random mutation sequences applied to the Store and to a
// deliberately naive model (a Map of path -> file, everything recomputed from
// scratch), comparing every event and every read at current and past revs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DoozerError } from '../../../src/wire/errors.js';
import { compileGlob } from '../../../src/actors/store/glob.js';
import { NOP_MUTATION, encodeDel, encodeSet } from '../../../src/actors/store/mutation.js';
import { Store, type StoreEvent } from '../../../src/actors/store/store.js';
import { refGlobMatch } from '../../helpers/glob-reference.js';

// ---------------------------------------------------------------- the model

interface MFile {
  body: Uint8Array;
  rev: number;
}
type Files = Map<string, MFile>;

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const bytes = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const EMPTY = new Uint8Array(0);
const PATH_RE = /^(\/|(\/[A-Za-z0-9.-]+)+)$/;

function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let i = p.indexOf('/', 1); i > 0; i = p.indexOf('/', i + 1)) out.push(p.slice(0, i));
  return out;
}
const under = (p: string): string => (p === '/' ? '/' : p + '/');
const isDir = (fs: Files, p: string): boolean => p === '/' || [...fs.keys()].some((k) => k.startsWith(under(p)));
function children(fs: Files, p: string): string[] {
  const pre = under(p);
  const names = new Set<string>();
  for (const k of fs.keys()) if (k.startsWith(pre)) names.add(k.slice(pre.length).split('/')[0]!);
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
function dfsOrder(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = Buffer.compare(Buffer.from(x[i]!), Buffer.from(y[i]!));
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

type MErr = NonNullable<StoreEvent['err']>;
const ERRS: Record<string, MErr> = {
  mismatch: { code: 'REV_MISMATCH', text: 'rev mismatch' },
  notdir: { code: 'NOTDIR', text: 'not a directory' },
  isdir: { code: 'ISDIR', text: 'is a directory' },
  badpath: { code: 'BAD_PATH', text: 'bad path' },
  badmut: { code: 'OTHER', text: 'bad mutation' },
};

class Model {
  files: Files = new Map();
  versions: Files[] = [new Map()];
  events: StoreEvent[] = [];
  oldest = 0;
  eventFloor = -Infinity;
  constructor(readonly hist: number) {}

  get rev(): number {
    return this.versions.length - 1;
  }

  curRev(p: string): number {
    return this.files.get(p)?.rev ?? (isDir(this.files, p) ? -2 : 0);
  }

  apply(n: number, m: Uint8Array): StoreEvent {
    const ev = this.compute(n, m);
    this.events.push(ev);
    this.versions.push(new Map(this.files));
    return ev;
  }

  private compute(n: number, m: Uint8Array): StoreEvent {
    const s = latin1(m);
    const mutation = Uint8Array.from(m);
    if (s === 'nop:') return { seqn: n, path: '/', body: EMPTY, flags: 0, mutation };
    const fail = (e: MErr): StoreEvent => {
      for (const k of [...this.files.keys()]) if (k === '/ctl' || k.startsWith('/ctl/err/')) this.files.delete(k);
      const body = bytes(e.text);
      this.files.set('/ctl/err', { body, rev: n });
      return { seqn: n, path: '/ctl/err', body, flags: 4, mutation, err: e };
    };
    const c = s.indexOf(':');
    if (c < 0) return fail(ERRS.badmut!);
    const revText = s.slice(0, c);
    if (!/^[+-]?[0-9]+$/.test(revText)) return fail(ERRS.badmut!);
    const big = BigInt(revText);
    if (big < -(2n ** 63n) || big >= 2n ** 63n) return fail(ERRS.badmut!);
    const rev = Number(big);
    const rest = s.slice(c + 1);
    const e = rest.indexOf('=');
    const path = e < 0 ? rest : rest.slice(0, e);
    if (!PATH_RE.test(path)) return fail(ERRS.badpath!);
    if (e >= 0) {
      if (ancestors(path).some((a) => this.files.has(a))) return fail(ERRS.notdir!);
      if (rev !== -1 && rev < this.curRev(path)) return fail(ERRS.mismatch!);
      if (isDir(this.files, path)) return fail(ERRS.isdir!);
      const body = m.slice(c + 1 + e + 1);
      this.files.set(path, { body, rev: n });
      return { seqn: n, path, body, flags: 4, mutation };
    }
    const fileAbove = ancestors(path).find((a) => this.files.has(a));
    const cur = fileAbove ? 0 : this.curRev(path);
    if (rev !== -1 && rev < cur) return fail(ERRS.mismatch!);
    if (!fileAbove && isDir(this.files, path)) return fail(ERRS.isdir!);
    this.files.delete(fileAbove ?? path);
    return { seqn: n, path, body: EMPTY, flags: 8, mutation };
  }

  clean(): void {
    const keep = this.rev - this.hist + 1;
    if (keep > this.oldest) {
      this.oldest = keep;
      this.eventFloor = Math.max(this.eventFloor, keep);
    }
  }

  at(rev: number): Files {
    if (rev < this.oldest) throw new DoozerError('TOO_LATE');
    return this.versions[rev]!;
  }

  get(p: string, rev: number): { body: Uint8Array; rev: number } {
    if (!PATH_RE.test(p)) throw new DoozerError('BAD_PATH');
    const fs = this.at(rev);
    if (isDir(fs, p)) throw new DoozerError('ISDIR');
    return fs.get(p) ?? { body: EMPTY, rev: 0 };
  }

  stat(p: string, rev: number): { len: number; rev: number } {
    if (!PATH_RE.test(p)) throw new DoozerError('BAD_PATH');
    const fs = this.at(rev);
    if (isDir(fs, p)) return { len: children(fs, p).length, rev: -2 };
    const f = fs.get(p);
    return f ? { len: f.body.length, rev: f.rev } : { len: 0, rev: 0 };
  }

  getdir(p: string, offset: number, rev: number): string {
    if (!PATH_RE.test(p)) throw new DoozerError('BAD_PATH');
    const fs = this.at(rev);
    if (fs.has(p)) throw new DoozerError('NOTDIR');
    if (!isDir(fs, p)) throw new DoozerError('NOENT');
    const names = children(fs, p);
    if (offset < 0 || offset >= names.length) throw new DoozerError('RANGE');
    return names[offset]!;
  }

  walkAll(glob: string, rev: number): { path: string; body: Uint8Array; rev: number }[] {
    const fs = this.at(rev);
    return [...fs.keys()]
      .filter((k) => refGlobMatch(glob, k))
      .sort(dfsOrder)
      .map((k) => ({ path: k, body: fs.get(k)!.body, rev: fs.get(k)!.rev }));
  }

  firstEvent(glob: string, fromRev: number): StoreEvent | undefined {
    if (fromRev < this.eventFloor) throw new DoozerError('TOO_LATE');
    return this.events.find((e) => e.seqn >= fromRev && refGlobMatch(glob, e.path));
  }
}

// More runs for a deeper search: STORE_PROP_RUNS=2000 npx vitest run test/unit/store
const RUNS = Number(process.env.STORE_PROP_RUNS ?? 100);

// ---------------------------------------------------------- the comparison

type Outcome = { ok: unknown } | { err: string };
function outcome(f: () => unknown): Outcome {
  try {
    return { ok: f() };
  } catch (e) {
    if (e instanceof DoozerError) return { err: e.code };
    throw e;
  }
}

const NAMES = ['a', 'b', 'a-c', 'a.b'];
const PROBES: string[] = ['/', '/ctl', '/ctl/err', '/ctl/err/x', '', '/a/', '/a b'];
for (const x of NAMES) {
  PROBES.push('/' + x);
  for (const y of NAMES) {
    PROBES.push(`/${x}/${y}`);
    for (const z of NAMES) PROBES.push(`/${x}/${y}/${z}`);
  }
}
const GLOBS = ['/**', '/*', '/?', '/a/**', '/a/*', '/a/**/b', '/*/a*', '/ctl/**', '/a?c/**', '/a.b', '/**/b'];

function compareAt(s: Store, model: Model, rev: number): void {
  for (const p of PROBES) {
    expect(outcome(() => s.get(p, rev)), `get ${p}@${rev}`).toEqual(outcome(() => model.get(p, rev)));
    expect(outcome(() => s.stat(p, rev)), `stat ${p}@${rev}`).toEqual(outcome(() => model.stat(p, rev)));
    for (let off = -1; off < 6; off++) {
      expect(outcome(() => s.getdir(p, off, rev)), `getdir ${p} ${off}@${rev}`).toEqual(
        outcome(() => model.getdir(p, off, rev)),
      );
    }
  }
  for (const g of GLOBS) {
    const want = outcome(() => model.walkAll(g, rev));
    if ('err' in want) {
      expect(outcome(() => s.walk(g, 0, rev))).toEqual(want);
      continue;
    }
    const list = want.ok as unknown[];
    for (let off = 0; off <= list.length; off++) {
      expect(outcome(() => s.walk(g, off, rev)), `walk ${g} ${off}@${rev}`).toEqual(
        off < list.length ? { ok: list[off] } : { err: 'RANGE' },
      );
    }
  }
  const files = outcome(() => [...s.files(rev)]);
  expect(files).toEqual(outcome(() => model.walkAll('/**', rev)));
}

// ------------------------------------------------------------- generators

const pathArb = fc.oneof(
  { weight: 10, arbitrary: fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }).map((c) => '/' + c.join('/')) },
  { weight: 1, arbitrary: fc.constantFrom('/', '/ctl', '/ctl/err', '/ctl/err/x') },
);
const revArb = fc.oneof(
  fc.constantFrom<'cur' | 'stale' | -1 | 0 | -2 | -3>('cur', 'cur', 'cur', 'stale', -1, -1, 0, -2, -3),
  fc.integer({ min: 0, max: 40 }),
);
const bodyArb = fc.oneof(
  fc.uint8Array({ maxLength: 6 }),
  fc.constantFrom('=', ':', 'a=b:c', '').map(bytes),
);
const opArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('set' as const), path: pathArb, rev: revArb, body: bodyArb }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('del' as const), path: pathArb, rev: revArb }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('nop' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('raw' as const),
      m: fc.oneof(
        fc.constantFrom('', 'nop', 'nop:x', 'x:/a=1', '1:/a b=c', '1:', '1:/a/', '+3:/a=1', '-1:/a_b', '9223372036854775808:/a'),
        fc.uint8Array({ maxLength: 8 }).map(latin1),
      ),
    }),
  },
);
const stepArb = fc.record({
  op: opArb,
  clean: fc.boolean(),
  check: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 3 }),
  wait: fc.tuple(fc.constantFrom(...GLOBS), fc.integer({ min: -2, max: 3 })),
});

type Op =
  | { k: 'set'; path: string; rev: number | 'cur' | 'stale'; body: Uint8Array }
  | { k: 'del'; path: string; rev: number | 'cur' | 'stale' }
  | { k: 'nop' }
  | { k: 'raw'; m: string };

/** The mutation for op; 'cur'/'stale' revs are resolved against the model. */
function mutationFor(op: Op, model: Model): Uint8Array {
  if (op.k === 'nop') return NOP_MUTATION;
  if (op.k === 'raw') return bytes(op.m);
  const cur = model.curRev(op.path);
  const rev = op.rev === 'cur' ? cur : op.rev === 'stale' ? cur - 1 : op.rev;
  return op.k === 'set' ? encodeSet(rev, op.path, op.body) : encodeDel(rev, op.path);
}

describe('Store against a naive model (property)', () => {
  it('gives the same events and reads, now and in history', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(stepArb, { minLength: 1, maxLength: 60 }), (hist, steps) => {
        const s = new Store({ hist });
        const model = new Model(hist);
        for (const step of steps) {
          const m = mutationFor(step.op, model);
          const n = s.rev + 1;
          const want = model.apply(n, m);
          const got = s.apply(n, m);
          expect(got).toEqual(want);
          expect(s.rev).toBe(model.rev);
          if (step.clean) {
            s.clean();
            model.clean();
          }
          expect(s.oldestRev).toBe(model.oldest);
          const [g, d] = step.wait;
          const from = s.rev + d - 3;
          expect(outcome(() => s.firstEvent(compileGlob(g), from)), `wait ${g} ${from}`).toEqual(
            outcome(() => model.firstEvent(g, from)),
          );
          if (step.check !== null) {
            // A rev anywhere from one below the oldest kept to the current one.
            const rev = Math.min(s.rev, model.oldest - 1 + Math.floor(step.check * (s.rev - model.oldest + 2)));
            if (rev >= 0) compareAt(s, model, rev);
          }
        }
        compareAt(s, model, s.rev);
      }),
      { numRuns: RUNS },
    );
  }, Math.max(60_000, RUNS * 400));

  it('checkDelete refuses exactly the deletes that would remove an ancestor file', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(pathArb, bodyArb), { maxLength: 12 }), pathArb, (sets, target) => {
        const s = new Store();
        const model = new Model(2000);
        for (const [p, b] of sets) {
          const m = encodeSet(-1, p, b);
          model.apply(s.rev + 1, m);
          s.apply(s.rev + 1, m);
        }
        const fileAbove = ancestors(target).some((a) => model.files.has(a));
        expect(outcome(() => s.checkDelete(target))).toEqual(fileAbove ? { err: 'NOTDIR' } : { ok: undefined });
      }),
      { numRuns: 300 },
    );
  });
});

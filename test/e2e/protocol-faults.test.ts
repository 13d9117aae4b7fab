// Client-protocol faults (issues 8 and 14), with raw frames against a real
// node: invalid globs and paths on every verb, frames too large for a value
// or for the protocol, and tags reused while their request is pending. Every
// request gets exactly one answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrCode, Verb, type Request, type Response } from '../../src/wire/client-codec.js';
import { MAX_FRAME_BYTES } from '../../src/wire/framing.js';
import { MAX_BIG_VALUE_BYTES } from '../../src/wire/limits.js';
import { RawClient } from '../helpers/raw-client.js';
import { startDoozerd, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { skipWithoutRef, startOriginalDoozerd } from '../helpers/ref-bin.js';
import { until } from '../helpers/until.js';
import { startCluster } from '../helpers/cluster.js';
import { DEADLINE } from '../helpers/deadlines.js';

const bytes = (s: string): Buffer => Buffer.from(s);

async function writable(c: RawClient): Promise<void> {
  await until('node writable', async () => {
    const r = await c.call({ tag: 999_999, verb: Verb.SET, path: '/probe/writable', rev: -1, value: bytes('x') });
    return r.errCode === undefined ? true : undefined;
  }, DEADLINE.converge);
}

/**
 * Sends every request (tags 1..n) on a fresh connection, waits for all
 * answers, then for the answer to a final REV; returns the answers by tag
 * and fails if any tag was answered twice.
 */
async function answerAll(port: number, reqs: Omit<Request, 'tag'>[]): Promise<Map<number, Response>> {
  const k = await RawClient.connect(port);
  try {
    const answers = reqs.map((_, i) => k.response(i + 1, 20_000));
    reqs.forEach((q, i) => k.send({ ...q, tag: i + 1 }));
    await Promise.all(answers);
    await k.call({ tag: reqs.length + 1, verb: Verb.REV });
    const byTag = new Map<number, Response>();
    for (const r of k.received) {
      expect(byTag.has(r.tag!), `tag ${r.tag} answered twice`).toBe(false);
      byTag.set(r.tag!, r);
    }
    return byTag;
  } finally {
    k.close();
  }
}

const INVALID_GLOBS = ['', 'a', '/a b', '/a/', '//', '/a//b', '*', '**', '/**/', '/a_b', 'a/**'];
const INVALID_PATHS = ['', 'a', '/a b', '/a/', '//', '/a_b', '/*', '/a/**'];

describe('invalid globs and paths: the right code, exactly one answer', () => {
  let node: DoozerdProcess;
  beforeAll(async () => {
    node = await startDoozerd();
  });
  afterAll(() => stopAll());

  it('WALK and WAIT with an invalid glob answer OTHER "invalid glob pattern: <pattern>"', async () => {
    const reqs: Omit<Request, 'tag'>[] = [];
    for (const g of INVALID_GLOBS) {
      reqs.push({ verb: Verb.WALK, path: g, offset: 0 });
      reqs.push({ verb: Verb.WAIT, path: g, rev: 1 });
      reqs.push({ verb: Verb.WAIT, path: g, rev: 1_000_000 }); // a future rev: still refused at once
    }
    const got = await answerAll(node.port, reqs);
    reqs.forEach((q, i) => {
      expect(got.get(i + 1), JSON.stringify(q)).toEqual({ tag: i + 1, errCode: ErrCode.OTHER, errDetail: `invalid glob pattern: ${q.path}` });
    });
  });

  it('every verb that takes a path: MISSING_ARG when absent, BAD_PATH (GET SET DEL STAT GETDIR) or OTHER (WALK WAIT) when invalid', async () => {
    const reqs: [Omit<Request, 'tag'>, Response][] = [];
    const missing = { errCode: ErrCode.MISSING_ARG };
    reqs.push([{ verb: Verb.GET }, missing], [{ verb: Verb.STAT }, missing], [{ verb: Verb.GETDIR, offset: 0 }, missing]);
    reqs.push([{ verb: Verb.SET, rev: -1 }, missing], [{ verb: Verb.DEL, rev: -1 }, missing]);
    reqs.push([{ verb: Verb.WALK, offset: 0 }, missing], [{ verb: Verb.WAIT, rev: 1 }, missing]);
    for (const p of INVALID_PATHS) {
      const bad = { errCode: ErrCode.BAD_PATH };
      reqs.push([{ verb: Verb.GET, path: p }, bad], [{ verb: Verb.STAT, path: p }, bad], [{ verb: Verb.GETDIR, path: p, offset: 0 }, bad]);
      reqs.push([{ verb: Verb.SET, path: p, rev: -1, value: bytes('x') }, bad], [{ verb: Verb.DEL, path: p, rev: -1 }, bad]);
      // The same texts with a rev in the future: refused at once, not left waiting for that rev.
      reqs.push([{ verb: Verb.GET, path: p, rev: 1_000_000 }, bad]);
    }
    const got = await answerAll(node.port, reqs.map(([q]) => q));
    reqs.forEach(([q, want], i) => expect(got.get(i + 1), JSON.stringify(q)).toEqual({ tag: i + 1, ...want }));
  });

  it('answers invalid globs as the original does, and valid ones alike (black box)', async () => {
    if (skipWithoutRef()) return;
    const orig = await startOriginalDoozerd();
    try {
      const globs = [...INVALID_GLOBS, '/', '/*', '/**', '/***', '/a**b', '/?', '/ctl/*/0', '/ctl/**', '/a.b', '/-', '/A'];
      const reqs: Omit<Request, 'tag'>[] = [
        ...globs.map((g) => ({ verb: Verb.WALK, path: g, offset: 0 })),
        // (A valid glob's WAIT may wait: only the invalid ones.)
        ...INVALID_GLOBS.map((g) => ({ verb: Verb.WAIT, path: g, rev: 1 })),
      ];
      const [theirs, ours] = await Promise.all([answerAll(orig.port, reqs), answerAll(node.port, reqs)]);
      // Codes, details and the path found (bodies and revs differ: node ids, boot order).
      const shape = (r: Response | undefined): unknown => ({ errCode: r?.errCode, errDetail: r?.errDetail, path: r?.path });
      reqs.forEach((q, i) => expect(shape(ours.get(i + 1)), JSON.stringify(q)).toEqual(shape(theirs.get(i + 1))));
    } finally {
      await orig.stop();
    }
  }, 60_000);
});

describe('frames', () => {
  let node: DoozerdProcess;
  beforeAll(async () => {
    node = await startDoozerd();
  });
  afterAll(() => stopAll());

  /** Warning lines about closing the connection from local port `port`. */
  const closeLines = (port: number | undefined): string[] =>
    node.stderr().split('\n').filter((l) => l.includes('closing connection') && l.includes(`:${port}:`));

  it('a SET carrying 64 KiB or 1 MiB is stored (large values); one over 1 MiB is refused naming the limit; the connection keeps serving', async () => {
    const k = await RawClient.connect(node.port);
    await writable(k);
    for (const [tag, size] of [[1, 64 * 1024], [2, 1024 * 1024]] as const) {
      const r = await k.call({ tag, verb: Verb.SET, path: '/big', rev: -1, value: Buffer.alloc(size, 'v') }, 30_000);
      expect(r.errCode, `${size} bytes`).toBeUndefined();
      const g = await k.call({ tag: 10 + tag, verb: Verb.GET, path: '/big' }, 30_000);
      expect(g.value!.length).toBe(size);
    }
    const r = await k.call({ tag: 3, verb: Verb.SET, path: '/big', rev: -1, value: Buffer.alloc(MAX_FRAME_BYTES - 64, 'v') }, 30_000);
    expect(r.errCode).toBe(ErrCode.OTHER);
    expect(r.errDetail).toBe(`value too large: the value is ${MAX_FRAME_BYTES - 64} bytes; the limit is ${MAX_BIG_VALUE_BYTES} bytes (1 MiB)`);
    const g = await k.call({ tag: 4, verb: Verb.GET, path: '/ctl/name' });
    expect(Buffer.from(g.value!).toString()).toBe('local');
    const s = await k.call({ tag: 5, verb: Verb.SET, path: '/after-big', rev: -1, value: bytes('ok') });
    expect(s.errCode).toBeUndefined();
    expect(k.closed).toBe(false);
    expect(closeLines(k.socket.localPort)).toEqual([]);
    k.close();
  }, 60_000);

  for (const prefix of [[0x7f, 0xff, 0xff, 0xff], [0xff, 0xff, 0xff, 0xff], [0x00, 0x20, 0x00, 0x01]]) {
    const hex = Buffer.from(prefix).toString('hex');
    it(`a length of 0x${hex} closes only that connection, with one log line`, async () => {
      const other = await RawClient.connect(node.port);
      await writable(other);
      const rev = (await other.call({ tag: 1, verb: Verb.REV })).rev!;
      const waiting = other.response(2, 20_000);
      other.send({ tag: 2, verb: Verb.WAIT, path: '/frames/**', rev: rev + 1 });

      const bad = await RawClient.connect(node.port);
      const badPort = bad.socket.localPort;
      bad.writeRaw(Buffer.from(prefix));
      await bad.whenClosed();
      await until('the close is logged', () => closeLines(badPort).length > 0);
      expect(closeLines(badPort)).toHaveLength(1);
      expect(closeLines(badPort)[0]).toMatch(/WARN .*above the maximum of 2097152 bytes/);

      // The other connection still works, and its WAIT is still pending.
      const s = await other.call({ tag: 3, verb: Verb.SET, path: '/frames/x', rev: -1, value: bytes('1') });
      expect(s.errCode).toBeUndefined();
      expect((await waiting).path).toBe('/frames/x');
      const fresh = await RawClient.connect(node.port);
      expect((await fresh.call({ tag: 1, verb: Verb.GET, path: '/ctl/name' })).errCode).toBeUndefined();
      fresh.close();
      other.close();
    });
  }
});

describe('a tag reused while its request is pending (issue 14.1)', () => {
  let node: DoozerdProcess;
  beforeAll(async () => {
    node = await startDoozerd();
  });
  afterAll(() => stopAll());

  it('a pending WAIT is dropped: the new request and later ones are served, the WAIT never answers', async () => {
    const k = await RawClient.connect(node.port);
    await writable(k);
    const self = Buffer.from((await k.call({ tag: 9, verb: Verb.SELF })).value!);
    const rev = (await k.call({ tag: 0, verb: Verb.REV })).rev!;
    // As the Python client does: WAIT, give up on it after its own timeout, reuse tag 0.
    k.send({ tag: 0, verb: Verb.WAIT, path: '/x/**', rev: rev + 100_000 });
    const g = await k.call({ tag: 0, verb: Verb.GET, path: '/ctl/cal/0' });
    expect(Buffer.from(g.value!).equals(self)).toBe(true);
    expect((await k.call({ tag: 0, verb: Verb.REV })).rev).toBe(rev);
    // Again with a WAIT that the write below would answer.
    k.send({ tag: 3, verb: Verb.WAIT, path: '/x/**', rev: rev + 1 });
    expect((await k.call({ tag: 3, verb: Verb.GET, path: '/ctl/name' })).errCode).toBeUndefined();

    // A write to /x/y from another connection; once a WAIT there has seen it,
    // and this connection has answered a later request, no second answer came.
    const w = await RawClient.connect(node.port);
    const s = await w.call({ tag: 1, verb: Verb.SET, path: '/x/y', rev: -1, value: bytes('v') });
    expect((await w.call({ tag: 2, verb: Verb.WAIT, path: '/x/**', rev: s.rev! })).path).toBe('/x/y');
    expect((await k.call({ tag: 4, verb: Verb.REV })).rev).toBeGreaterThanOrEqual(s.rev!);
    expect(k.received.filter((r) => r.tag === 0)).toHaveLength(3); // REV, GET, REV
    expect(k.received.filter((r) => r.tag === 3)).toHaveLength(1); // GET
    expect(k.received.some((r) => r.path === '/x/y')).toBe(false);
    w.close();
    k.close();
  });

  it('a pending future-rev GET is dropped the same way', async () => {
    const k = await RawClient.connect(node.port);
    const rev = (await k.call({ tag: 1, verb: Verb.REV })).rev!;
    k.send({ tag: 7, verb: Verb.GET, path: '/ctl/name', rev: rev + 2 });
    expect(Buffer.from((await k.call({ tag: 7, verb: Verb.GET, path: '/ctl/name' })).value!).toString()).toBe('local');
    for (let i = 0; i < 3; i++) await k.call({ tag: 8, verb: Verb.NOP });
    expect((await k.call({ tag: 9, verb: Verb.REV })).rev).toBeGreaterThanOrEqual(rev + 2);
    expect(k.received.filter((r) => r.tag === 7)).toHaveLength(1);
    k.close();
  });

  it('superseded requests do not count toward backpressure: 1500 reuses of one tag, then a request is still read', async () => {
    const k = await RawClient.connect(node.port);
    const rev = (await k.call({ tag: 1, verb: Verb.REV })).rev!;
    for (let i = 0; i < 1500; i++) k.send({ tag: 5, verb: Verb.GET, path: '/ctl/name', rev: rev + 1_000_000 });
    const r = await k.call({ tag: 6, verb: Verb.GET, path: '/ctl/name' }, 20_000);
    expect(Buffer.from(r.value!).toString()).toBe('local');
    expect(k.received.filter((x) => x.tag === 5)).toHaveLength(0);
    k.close();
  });
});

describe('a tag reused while its write cannot reach quorum (issue 14.1)', () => {
  afterAll(() => stopAll());

  it('the write keeps waiting, the new request and later ones are served', async () => {
    const { nodes } = await startCluster({ nodes: 2, cals: 2 });
    await nodes[1]!.proc.stop(); // 1 of 2 CALs left: no quorum
    const k = await RawClient.connect(nodes[0]!.proc.port);
    k.send({ tag: 0, verb: Verb.SET, path: '/no/quorum', rev: -1, value: bytes('x') });
    // The client's timeout passes (nothing comes back for the SET), then it reuses tag 0.
    const before = k.received.length;
    const g = await k.call({ tag: 0, verb: Verb.GET, path: '/ctl/name' });
    expect(Buffer.from(g.value!).toString()).toBe('local');
    expect(k.received.length).toBe(before + 1);
    expect((await k.call({ tag: 0, verb: Verb.REV })).rev).toBeGreaterThan(0);
    expect((await k.call({ tag: 1, verb: Verb.GET, path: '/no/quorum' })).rev).toBe(0);
    expect(k.received.filter((r) => r.tag === 0)).toHaveLength(2);
    k.close();
  }, 60_000);
});

describe('ACCESS without a value', () => {
  afterAll(() => stopAll());

  it('is ACCESS "" (as a C client sends it): OK on an open server', async () => {
    const node = await startDoozerd();
    const k = await RawClient.connect(node.port);
    expect(await k.call({ tag: 1, verb: Verb.ACCESS })).toEqual({ tag: 1 });
    expect(await k.call({ tag: 2, verb: Verb.ACCESS, value: new Uint8Array() })).toEqual({ tag: 2 });
    expect((await k.call({ tag: 3, verb: Verb.GET, path: '/ctl/name' })).errCode).toBeUndefined();
    k.close();
  });
});

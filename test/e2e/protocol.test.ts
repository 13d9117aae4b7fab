// The client protocol end to end: a real doozerd process driven with hand-built
// frames. Every verb and every error code of spec/protocol.md.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrCode, Verb, FLAG_DEL, FLAG_SET } from '../../src/wire/client-codec.js';
import { MAX_BIG_VALUE_BYTES, MAX_MUTATION_BYTES } from '../../src/wire/limits.js';
import { RawClient } from '../helpers/raw-client.js';
import { startDoozerd, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { until } from '../helpers/until.js';
import { DEADLINE } from '../helpers/deadlines.js';

const bytes = (s: string): Buffer => Buffer.from(s);
let tagSeq = 1000;
const tag = (): number => tagSeq++;

/** A SET that retries while the fresh node is not yet writable. */
export async function waitWritable(c: RawClient): Promise<void> {
  await until('node writable', async () => {
    const r = await c.call({ tag: tag(), verb: Verb.SET, path: '/probe/writable', rev: -1, value: bytes('x') });
    return r.errCode === undefined ? true : undefined;
  });
}

describe('client protocol against a real node', () => {
  let node: DoozerdProcess;
  let c: RawClient;

  beforeAll(async () => {
    node = await startDoozerd({ args: ['-hist', '200'] });
    c = await RawClient.connect(node.port);
    await waitWritable(c);
  });
  afterAll(async () => {
    c?.close();
    await stopAll();
  });

  it('replays the captured wire examples with the same fields and errors', async () => {
    const examples = JSON.parse(readFileSync(new URL('../fixtures/wire-examples.json', import.meta.url), 'utf8')) as {
      name: string;
      request: Record<string, unknown>;
      response: Record<string, unknown>;
    }[];
    const revOf: Record<string, number> = {};
    for (const ex of examples) {
      const q = ex.request;
      const req = {
        tag: q.tag as number,
        ...(q.verb !== undefined ? { verb: q.verb as number } : {}),
        ...(q.path !== undefined ? { path: q.path as string } : {}),
        ...(q.value !== undefined ? { value: bytes(q.value as string) } : {}),
        ...(q.offset !== undefined ? { offset: q.offset as number } : {}),
        ...(q.rev !== undefined ? { rev: q.rev as number } : {}),
      };
      const r = await c.call(req);
      const want = ex.response;
      // Same fields present (presence matters on the wire).
      expect(Object.keys(r).sort(), ex.name).toEqual(
        Object.keys(want).map((k) => ({ err_code: 'errCode', err_detail: 'errDetail' })[k] ?? k).sort(),
      );
      if (want.err_code !== undefined) expect(r.errCode, ex.name).toBe(want.err_code);
      if (want.err_detail !== undefined) expect(r.errDetail, ex.name).toBe(want.err_detail);
      if (want.flags !== undefined) expect(r.flags, ex.name).toBe(want.flags);
      if (want.len !== undefined) expect(r.len, ex.name).toBe(want.len);
      if (want.path !== undefined) expect(r.path, ex.name).toBe(want.path);
      if (want.value !== undefined && ex.name !== 'self') expect(Buffer.from(r.value!).toString(), ex.name).toBe(want.value);
      if (want.rev !== undefined && (want.rev as number) <= 0) expect(r.rev, ex.name).toBe(want.rev);
      revOf[ex.name] = r.rev ?? 0;
    }
    // Relations between revs that the capture shows.
    expect(revOf['get file']).toBe(revOf['set create (rev 0)']);
    expect(revOf['wait from history']).toBe(revOf['set create (rev 0)']);
    expect(revOf['stat file']).toBe(revOf['set clobber (rev -1)']);
    expect(revOf['set clobber (rev -1)']).toBeGreaterThan(revOf['set create (rev 0)']!);
  });

  it('SET creates, compares and sets, and answers the new rev', async () => {
    const a = await c.call({ tag: tag(), verb: Verb.SET, path: '/t/set/a', rev: 0, value: bytes('1') });
    expect(a.errCode).toBeUndefined();
    const again = await c.call({ tag: tag(), verb: Verb.SET, path: '/t/set/a', rev: 0, value: bytes('2') });
    expect(again.errCode).toBe(ErrCode.REV_MISMATCH);
    const ok = await c.call({ tag: tag(), verb: Verb.SET, path: '/t/set/a', rev: a.rev!, value: bytes('3') });
    expect(ok.rev).toBeGreaterThan(a.rev!);
    const g = await c.call({ tag: tag(), verb: Verb.GET, path: '/t/set/a' });
    expect(Buffer.from(g.value!).toString()).toBe('3');
    expect(g.rev).toBe(ok.rev);
    // A failed write is visible in /ctl/err.
    const err = await c.call({ tag: tag(), verb: Verb.GET, path: '/ctl/err' });
    expect(Buffer.from(err.value!).toString()).toBe('rev mismatch');
  });

  it('answers MISSING_ARG, BAD_PATH, NOTDIR, ISDIR, NOENT, RANGE', async () => {
    await c.call({ tag: tag(), verb: Verb.SET, path: '/t/e/f', rev: -1, value: bytes('x') });
    const cases: [Parameters<RawClient['call']>[0], number][] = [
      [{ verb: Verb.GET }, ErrCode.MISSING_ARG],
      [{ verb: Verb.SET, path: '/t/e/g' }, ErrCode.MISSING_ARG],
      [{ verb: Verb.SET, rev: 0 }, ErrCode.MISSING_ARG],
      [{ verb: Verb.DEL, path: '/t/e/f' }, ErrCode.MISSING_ARG],
      [{ verb: Verb.WAIT, path: '/**' }, ErrCode.MISSING_ARG],
      [{ verb: Verb.WAIT, rev: 1 }, ErrCode.MISSING_ARG],
      [{ verb: Verb.WALK, path: '/**' }, ErrCode.MISSING_ARG],
      [{ verb: Verb.GETDIR, path: '/t' }, ErrCode.MISSING_ARG],
      [{ verb: Verb.STAT }, ErrCode.MISSING_ARG],
      [{ verb: Verb.GET, path: '' }, ErrCode.BAD_PATH],
      [{ verb: Verb.GET, path: 'no/slash' }, ErrCode.BAD_PATH],
      [{ verb: Verb.STAT, path: '/a_b' }, ErrCode.BAD_PATH],
      [{ verb: Verb.GETDIR, path: '', offset: 0 }, ErrCode.BAD_PATH],
      [{ verb: Verb.SET, path: '/t/', rev: -1 }, ErrCode.BAD_PATH],
      [{ verb: Verb.DEL, path: '/x y', rev: -1 }, ErrCode.BAD_PATH],
      [{ verb: Verb.SET, path: '/t/e/f/g', rev: -1 }, ErrCode.NOTDIR],
      [{ verb: Verb.DEL, path: '/t/e/f/g', rev: -1 }, ErrCode.NOTDIR],
      [{ verb: Verb.GETDIR, path: '/t/e/f', offset: 0 }, ErrCode.NOTDIR],
      [{ verb: Verb.SET, path: '/t/e', rev: -1 }, ErrCode.ISDIR],
      [{ verb: Verb.DEL, path: '/t/e', rev: -1 }, ErrCode.ISDIR],
      [{ verb: Verb.GET, path: '/t/e' }, ErrCode.ISDIR],
      [{ verb: Verb.GETDIR, path: '/t/none', offset: 0 }, ErrCode.NOENT],
      [{ verb: Verb.GETDIR, path: '/t/e', offset: 1 }, ErrCode.RANGE],
      [{ verb: Verb.GETDIR, path: '/t/e', offset: -1 }, ErrCode.RANGE],
      [{ verb: Verb.WALK, path: '/t/e/*', offset: 1 }, ErrCode.RANGE],
      [{ verb: Verb.WALK, path: '/t/e/*', offset: -1 }, ErrCode.RANGE],
      [{ verb: 42 }, ErrCode.UNKNOWN_VERB],
      [{}, ErrCode.UNKNOWN_VERB],
    ];
    for (const [req, code] of cases) {
      const r = await c.call({ tag: tag(), ...req });
      expect(r.errCode, JSON.stringify(req)).toBe(code);
      expect(r.rev, 'no other fields with an error').toBeUndefined();
    }
    // The refused DEL left the file alone.
    const f = await c.call({ tag: tag(), verb: Verb.GET, path: '/t/e/f' });
    expect(Buffer.from(f.value!).toString()).toBe('x');
  });

  it('DEL removes a file and its emptied directories; deleting a missing file succeeds', async () => {
    await c.call({ tag: tag(), verb: Verb.SET, path: '/t/del/x/y', rev: -1, value: bytes('1') });
    const d = await c.call({ tag: tag(), verb: Verb.DEL, path: '/t/del/x/y', rev: -1 });
    expect(d).toEqual({ tag: d.tag });
    const st = await c.call({ tag: tag(), verb: Verb.STAT, path: '/t/del' });
    expect(st).toMatchObject({ rev: 0, len: 0 });
    const missing = await c.call({ tag: tag(), verb: Verb.DEL, path: '/t/del/none', rev: -1 });
    expect(missing.errCode).toBeUndefined();
  });

  it('STAT, GETDIR and WALK list in byte order; reads at an old rev see the old tree', async () => {
    const r1 = await c.call({ tag: tag(), verb: Verb.SET, path: '/t/w/a/b', rev: -1, value: bytes('ab') });
    await c.call({ tag: tag(), verb: Verb.SET, path: '/t/w/a-c', rev: -1, value: bytes('ac') });
    const r3 = await c.call({ tag: tag(), verb: Verb.SET, path: '/t/w/a/b', rev: -1, value: bytes('ab2') });
    const names: string[] = [];
    for (let i = 0; ; i++) {
      const r = await c.call({ tag: tag(), verb: Verb.GETDIR, path: '/t/w', offset: i });
      if (r.errCode === ErrCode.RANGE) break;
      names.push(r.path!);
    }
    expect(names).toEqual(['a', 'a-c']);
    const walk: string[] = [];
    for (let i = 0; ; i++) {
      const r = await c.call({ tag: tag(), verb: Verb.WALK, path: '/t/w/**', offset: i });
      if (r.errCode === ErrCode.RANGE) break;
      expect(r.flags).toBe(FLAG_SET);
      walk.push(r.path!);
    }
    expect(walk).toEqual(['/t/w/a/b', '/t/w/a-c']);
    const dir = await c.call({ tag: tag(), verb: Verb.STAT, path: '/t/w' });
    expect(dir).toMatchObject({ rev: -2, len: 2 });
    const old = await c.call({ tag: tag(), verb: Verb.GET, path: '/t/w/a/b', rev: r1.rev! });
    expect(Buffer.from(old.value!).toString()).toBe('ab');
    const now = await c.call({ tag: tag(), verb: Verb.GET, path: '/t/w/a/b', rev: r3.rev! });
    expect(Buffer.from(now.value!).toString()).toBe('ab2');
    const before = await c.call({ tag: tag(), verb: Verb.STAT, path: '/t/w/a-c', rev: r1.rev! });
    expect(before).toMatchObject({ rev: 0, len: 0 });
  });

  it('TOO_LATE for revs older than the kept history (-hist 200)', async () => {
    for (let i = 0; i < 220; i++) c.send({ tag: 50_000 + i, verb: Verb.NOP });
    await c.response(50_219);
    const r = await until('history trimmed', async () => {
      const x = await c.call({ tag: tag(), verb: Verb.GET, path: '/ctl/name', rev: 1 });
      return x.errCode === ErrCode.TOO_LATE ? x : undefined;
    });
    expect(r.errCode).toBe(ErrCode.TOO_LATE);
    const w = await c.call({ tag: tag(), verb: Verb.WAIT, path: '/**', rev: 1 });
    expect(w.errCode).toBe(ErrCode.TOO_LATE);
  });

  it('REV, NOP and SELF', async () => {
    const r1 = await c.call({ tag: tag(), verb: Verb.REV });
    const n = await c.call({ tag: tag(), verb: Verb.NOP });
    expect(n).toEqual({ tag: n.tag });
    const r2 = await c.call({ tag: tag(), verb: Verb.REV });
    expect(r2.rev).toBeGreaterThan(r1.rev!);
    const self = await c.call({ tag: tag(), verb: Verb.SELF });
    expect(Buffer.from(self.value!).toString()).toMatch(/^[A-Z2-7]{16}$/);
  });

  it('a nop matches /** as path / with flags 0', async () => {
    const r = await c.call({ tag: tag(), verb: Verb.REV });
    await c.call({ tag: tag(), verb: Verb.NOP });
    // Pulses may land first; find the nop among the changes after r.
    let rev = r.rev! + 1;
    for (;;) {
      const w = await c.call({ tag: tag(), verb: Verb.WAIT, path: '/**', rev });
      if (w.path === '/') {
        expect(w.flags).toBe(0);
        expect(w.value?.length ?? 0).toBe(0);
        break;
      }
      rev = w.rev! + 1;
    }
  });

  it('a WAIT is answered when another connection later SETs; later GETs are answered meanwhile', async () => {
    const other = await RawClient.connect(node.port);
    const r = await c.call({ tag: tag(), verb: Verb.REV });
    const waitTag = tag();
    const waiting = c.response(waitTag);
    c.send({ tag: waitTag, verb: Verb.WAIT, path: '/t/wait/*', rev: r.rev! + 1 });
    const g = await c.call({ tag: tag(), verb: Verb.GET, path: '/ctl/name' });
    expect(Buffer.from(g.value!).toString()).toBe('local');
    const s = await other.call({ tag: 1, verb: Verb.SET, path: '/t/wait/x', rev: -1, value: bytes('v') });
    const w = await waiting;
    expect(w).toMatchObject({ path: '/t/wait/x', rev: s.rev, flags: FLAG_SET });
    expect(Buffer.from(w.value!).toString()).toBe('v');
    const delTag = tag();
    const delWait = c.response(delTag);
    c.send({ tag: delTag, verb: Verb.WAIT, path: '/t/wait/*', rev: s.rev! + 1 });
    await other.call({ tag: 2, verb: Verb.DEL, path: '/t/wait/x', rev: -1 });
    expect((await delWait).flags).toBe(FLAG_DEL);
    other.close();
  });

  it('a GET at a future rev waits for it', async () => {
    // A rev far enough ahead that the node's pulses cannot reach it meanwhile.
    const r = await c.call({ tag: tag(), verb: Verb.REV });
    const future = r.rev! + 50;
    const t = tag();
    let answered = false;
    const later = c.response(t).then((g) => {
      answered = true;
      return g;
    });
    c.send({ tag: t, verb: Verb.GET, path: '/t/future', rev: future });
    // Later requests on the same connection are answered while it waits, and it is still unanswered.
    const now = await c.call({ tag: tag(), verb: Verb.REV });
    expect(now.rev!).toBeLessThan(future);
    expect(answered, 'a GET at a future rev was answered before that rev').toBe(false);
    // Writes up to `future`: no answer before it, then the file as of `future`.
    let last = { rev: 0, value: '' };
    for (let i = 0; last.rev < future; i++) {
      const s = await c.call({ tag: tag(), verb: Verb.SET, path: '/t/future', rev: -1, value: bytes(`v${i}`) });
      if (s.rev! <= future) last = { rev: s.rev!, value: `v${i}` };
      if (s.rev! < future) expect(answered, `answered by rev ${s.rev}, before ${future}`).toBe(false);
      if (s.rev! >= future) break;
    }
    const g = await later;
    expect(g.errCode).toBeUndefined();
    expect(g.rev).toBe(last.rev);
    expect(Buffer.from(g.value!).toString()).toBe(last.value);
  });

  it('answers 1000 pipelined requests on one connection', async () => {
    const p = await RawClient.connect(node.port);
    const tags = Array.from({ length: 1000 }, (_, i) => i + 1);
    const answers = tags.map((t) => p.response(t, DEADLINE.answer * 2));
    for (const t of tags) {
      if (t % 2) p.send({ tag: t, verb: Verb.SET, path: `/t/pipe/${t % 10}`, rev: -1, value: bytes(String(t)) });
      else p.send({ tag: t, verb: Verb.GET, path: `/t/pipe/${(t - 1) % 10}` });
    }
    const rs = await Promise.all(answers);
    expect(rs.filter((r) => r.errCode !== undefined)).toEqual([]);
    expect(new Set(rs.map((r) => r.tag)).size).toBe(1000);
    p.close();
  });

  it('serves 100 concurrent connections', async () => {
    const clients = await Promise.all(Array.from({ length: 100 }, () => RawClient.connect(node.port)));
    const rs = await Promise.all(
      clients.map((k, i) => k.call({ tag: 7, verb: Verb.SET, path: `/t/conc/${i}`, rev: 0, value: bytes(String(i)) }, DEADLINE.answer * 2)),
    );
    expect(rs.every((r) => r.errCode === undefined && r.rev! > 0)).toBe(true);
    expect(new Set(rs.map((r) => r.rev)).size).toBe(100);
    const gets = await Promise.all(clients.map((k, i) => k.call({ tag: 8, verb: Verb.GET, path: `/t/conc/${i}` })));
    gets.forEach((g, i) => expect(Buffer.from(g.value!).toString()).toBe(String(i)));
    for (const k of clients) k.close();
  });

  it('accepts a body just under and just over one datagram (large values) and up to 1 MiB; refuses one over 1 MiB with a clear error', async () => {
    const path = '/t/big';
    const overhead = Buffer.byteLength(`-1:${path}=`);
    for (const size of [MAX_MUTATION_BYTES - overhead, MAX_MUTATION_BYTES - overhead + 1, MAX_BIG_VALUE_BYTES]) {
      const value = Buffer.alloc(size, size % 26 + 97);
      const ok = await c.call({ tag: tag(), verb: Verb.SET, path, rev: -1, value });
      expect(ok.errCode, `${size} bytes`).toBeUndefined();
      const g = await c.call({ tag: tag(), verb: Verb.GET, path });
      expect(Buffer.from(g.value!).equals(value), `${size} bytes read back`).toBe(true);
    }
    const tooBig = await c.call({ tag: tag(), verb: Verb.SET, path, rev: -1, value: Buffer.alloc(MAX_BIG_VALUE_BYTES + 1, 'b') });
    expect(tooBig.errCode).toBe(ErrCode.OTHER);
    expect(tooBig.errDetail).toMatch(/^value too large: the value is 1048577 bytes; the limit is 1048576 bytes \(1 MiB\)$/);
    // The node is not wedged: writes still work.
    const after = await c.call({ tag: tag(), verb: Verb.SET, path: '/t/after-big', rev: -1, value: bytes('ok') });
    expect(after.errCode).toBeUndefined();
  });

  describe('bad input closes only that connection', () => {
    const garbage: [string, Buffer][] = [
      ['undecodable protobuf', Buffer.from([0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff])],
      ['absurd length', Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3])],
      ['top bit set in the length', Buffer.from([0x80, 0, 0, 0])],
      ['text instead of frames', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ];
    for (const [name, data] of garbage) {
      it(name, async () => {
        const bad = await RawClient.connect(node.port);
        bad.writeRaw(data);
        await bad.whenClosed();
        const good = await RawClient.connect(node.port);
        const r = await good.call({ tag: 1, verb: Verb.GET, path: '/ctl/name' });
        expect(Buffer.from(r.value!).toString()).toBe('local');
        good.close();
      });
    }
    it('a peer that dies mid-frame', async () => {
      const bad = await RawClient.connect(node.port);
      bad.writeRaw(Buffer.from([0, 0, 0, 50, 8, 1]));
      bad.close();
      const good = await RawClient.connect(node.port);
      expect((await good.call({ tag: 1, verb: Verb.REV })).rev).toBeGreaterThan(0);
      good.close();
    });
  });
});

describe('secrets', () => {
  let node: DoozerdProcess;
  beforeAll(async () => {
    node = await startDoozerd({ env: { DOOZER_RWSECRET: 'rw-s3cret', DOOZER_ROSECRET: 'ro-s3cret' } });
  });
  afterAll(() => stopAll());

  it('refuses reads and writes until ACCESS; REV and SELF need no secret', async () => {
    const k = await RawClient.connect(node.port);
    expect((await k.call({ tag: 1, verb: Verb.GET, path: '/ctl/name' })).errDetail).toBe('permission denied');
    expect((await k.call({ tag: 2, verb: Verb.SET, path: '/a', rev: -1 })).errCode).toBe(ErrCode.OTHER);
    expect((await k.call({ tag: 3, verb: Verb.WAIT, path: '/**', rev: 1 })).errDetail).toBe('permission denied');
    expect((await k.call({ tag: 4, verb: Verb.REV })).rev).toBeGreaterThan(0);
    expect((await k.call({ tag: 5, verb: Verb.SELF })).value!.length).toBe(16);
    const wrong = await k.call({ tag: 6, verb: Verb.ACCESS, value: bytes('nope') });
    expect(wrong).toMatchObject({ errCode: ErrCode.OTHER, errDetail: 'permission denied' });
    k.close();
  });

  it('the read-only secret grants reads only', async () => {
    const k = await RawClient.connect(node.port);
    expect((await k.call({ tag: 1, verb: Verb.ACCESS, value: bytes('ro-s3cret') })).errCode).toBeUndefined();
    expect(Buffer.from((await k.call({ tag: 2, verb: Verb.GET, path: '/ctl/name' })).value!).toString()).toBe('local');
    expect((await k.call({ tag: 3, verb: Verb.SET, path: '/a', rev: -1 })).errDetail).toBe('permission denied');
    expect((await k.call({ tag: 4, verb: Verb.NOP })).errDetail).toBe('permission denied');
    k.close();
  });

  it('the read-write secret grants both', async () => {
    const k = await RawClient.connect(node.port);
    expect((await k.call({ tag: 1, verb: Verb.ACCESS, value: bytes('rw-s3cret') })).errCode).toBeUndefined();
    await waitWritable(k);
    const s = await k.call({ tag: 2, verb: Verb.SET, path: '/a', rev: -1, value: bytes('1') });
    expect(s.rev).toBeGreaterThan(0);
    k.close();
  });
});

// The "Secrets" table of spec/protocol.md, every cell, with raw frames
// against real nodes started with each combination of DOOZER_RWSECRET and
// DOOZER_ROSECRET; and original nodes (black boxes) attaching to ours.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrCode, Verb, type Request } from '../../src/wire/client-codec.js';
import { RawClient } from '../helpers/raw-client.js';
import { startDoozerd, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { skipWithoutRef, startOriginalDoozerd } from '../helpers/ref-bin.js';
import { until } from '../helpers/until.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';

const RW = 'rw-s3cret';
const RO = 'ro-s3cret';
const DENIED = { errCode: ErrCode.OTHER, errDetail: 'permission denied' };
const WARNING = /WARN .*DOOZER_ROSECRET is set but DOOZER_RWSECRET is not: no client can write/;

type Access = 'none' | 'read' | 'write';
let tagSeq = 1;

/** Each read verb and each write verb once; all of a group must agree. */
async function accessOf(k: RawClient): Promise<Access> {
  const reads: Omit<Request, 'tag'>[] = [
    { verb: Verb.GET, path: '/ctl/name' },
    { verb: Verb.STAT, path: '/ctl' },
    { verb: Verb.GETDIR, path: '/ctl', offset: 0 },
    { verb: Verb.WALK, path: '/ctl/**', offset: 0 },
    { verb: Verb.WAIT, path: '/**', rev: 1 },
  ];
  const writes: Omit<Request, 'tag'>[] = [
    { verb: Verb.SET, path: '/secrets/probe', rev: -1, value: Buffer.from('x') },
    { verb: Verb.DEL, path: '/secrets/probe', rev: -1 },
    { verb: Verb.NOP },
  ];
  const allowed = async (qs: Omit<Request, 'tag'>[]): Promise<boolean> => {
    const rs = await Promise.all(qs.map((q) => k.call({ ...q, tag: tagSeq++ })));
    const denied = rs.map((r) => r.errCode === ErrCode.OTHER && r.errDetail === 'permission denied');
    expect(new Set(denied).size, `mixed answers: ${JSON.stringify(rs)}`).toBe(1);
    if (!denied[0]) for (const r of rs) expect(r.errCode, JSON.stringify(r)).toBeUndefined();
    return !denied[0];
  };
  // REV and SELF need no secret.
  expect((await k.call({ tag: tagSeq++, verb: Verb.REV })).rev).toBeGreaterThan(0);
  expect((await k.call({ tag: tagSeq++, verb: Verb.SELF })).value!.length).toBe(16);
  const read = await allowed(reads);
  const write = await allowed(writes);
  expect(!write || read, 'write without read').toBe(true);
  return write ? 'write' : read ? 'read' : 'none';
}

async function access(k: RawClient, token: string | undefined): Promise<{ errCode?: number; errDetail?: string }> {
  const { tag: _t, ...rest } = await k.call({ tag: tagSeq++, verb: Verb.ACCESS, ...(token === undefined ? {} : { value: Buffer.from(token) }) });
  return rest;
}

/** Starts a node with these secrets and waits until it accepts writes (when anything can write). */
async function nodeWith(env: Record<string, string>): Promise<DoozerdProcess> {
  const node = await startDoozerd({ env: { DOOZER_RWSECRET: undefined, DOOZER_ROSECRET: undefined, ...env } });
  if (env.DOOZER_ROSECRET && !env.DOOZER_RWSECRET) return node;
  const k = await RawClient.connect(node.port);
  if (env.DOOZER_RWSECRET) await access(k, env.DOOZER_RWSECRET);
  await until('node writable', async () => {
    const r = await k.call({ tag: tagSeq++, verb: Verb.SET, path: '/probe', rev: -1 });
    return r.errCode === undefined ? true : undefined;
  }, DEADLINE.converge);
  k.close();
  return node;
}

const OK = {};

/**
 * A fresh connection to `node` goes through `steps`: an Access is what the
 * connection must be able to do at that point (accessOf), a pair is an
 * ACCESS with that token (undefined: no value) and its answer (OK or DENIED).
 */
async function expectSteps(node: DoozerdProcess, ...steps: (Access | [token: string | undefined, answer: typeof OK])[]): Promise<void> {
  const k = await RawClient.connect(node.port);
  try {
    for (const [i, step] of steps.entries()) {
      if (typeof step === 'string') expect(await accessOf(k), `step ${i}`).toBe(step);
      else expect(await access(k, step[0]), `step ${i}: ACCESS ${JSON.stringify(step[0])}`).toEqual(step[1]);
    }
  } finally {
    k.close();
  }
}

describe('secrets table', () => {
  afterAll(() => stopAll());

  describe('neither secret', () => {
    let node: DoozerdProcess;
    beforeAll(async () => {
      node = await nodeWith({});
    });

    it('a fresh connection reads and writes; ACCESS "" and ACCESS without a value are OK and change nothing', async () => {
      await expectSteps(node, 'write', ['', OK], 'write', [undefined, OK], 'write');
    });

    it('a token that matches nothing is refused and the connection keeps its access', async () => {
      await expectSteps(node, ['nope', DENIED], 'write');
      expect(node.stderr()).not.toMatch(WARNING);
    });
  });

  describe('rw only', () => {
    let node: DoozerdProcess;
    beforeAll(async () => {
      node = await nodeWith({ DOOZER_RWSECRET: RW });
    });

    it('a fresh connection reads (the empty ro secret matches), does not write', async () => {
      await expectSteps(node, 'read');
    });

    it('ACCESS "" (or no value) is OK and reads; ACCESS <rw> reads and writes', async () => {
      await expectSteps(node, ['', OK], 'read', [undefined, OK], 'read', [RW, OK], 'write');
    });

    it('a token that matches nothing is refused and the connection keeps its access', async () => {
      await expectSteps(node, [RW, OK], [RW + 'x', DENIED], 'write', [RO, DENIED], 'write');
      expect(node.stderr()).not.toMatch(WARNING);
    });
  });

  describe('ro only', () => {
    let node: DoozerdProcess;
    beforeAll(async () => {
      node = await nodeWith({ DOOZER_ROSECRET: RO });
    });

    it('logs at start that no client can write', async () => {
      await until('the warning', () => WARNING.test(node.stderr()));
      expect(node.stderr().split('\n').filter((l) => WARNING.test(l))).toHaveLength(1);
    });

    it('a fresh connection can do nothing; ACCESS "" (or no value) is OTHER', async () => {
      await expectSteps(node, 'none', ['', DENIED], [undefined, DENIED], 'none');
    });

    it('ACCESS <ro> reads, never writes; a token that matches nothing keeps that', async () => {
      await expectSteps(node, [RO, OK], 'read', ['nope', DENIED], ['', DENIED], 'read');
    });
  });

  describe('both', () => {
    let node: DoozerdProcess;
    beforeAll(async () => {
      node = await nodeWith({ DOOZER_RWSECRET: RW, DOOZER_ROSECRET: RO });
    });

    it('a fresh connection can do nothing; ACCESS "" (or no value) is OTHER', async () => {
      await expectSteps(node, 'none', ['', DENIED], [undefined, DENIED], 'none');
    });

    it('ACCESS <rw> reads and writes, ACCESS <ro> reads; a token that matches nothing keeps the access', async () => {
      await expectSteps(node, [RO, OK], 'read', ['nope', DENIED], 'read', [RW, OK], 'write', ['', DENIED], 'write', [RO, OK], 'read');
      expect(node.stderr()).not.toMatch(WARNING);
    });
  });
});

describe('original nodes attach to ours (they present ACCESS with their possibly empty secret)', () => {
  afterAll(() => stopAll());

  for (const [name, env] of [
    ['an open node', {}],
    ['a node with both secrets', { DOOZER_RWSECRET: RW, DOOZER_ROSECRET: RO }],
  ] as const) {
    it(name, async () => {
      if (skipWithoutRef()) return;
      const ours = await nodeWith(env);
      const orig = await startOriginalDoozerd({ args: ['-a', ours.addr], env: { DOOZER_RWSECRET: undefined, DOOZER_ROSECRET: undefined, ...env } });
      const k = await RawClient.connect(ours.port);
      if ('DOOZER_RWSECRET' in env) await access(k, RW);
      // The original registers its address in our store, and keeps running.
      await until('the original registered its address', async () => {
        const rs = await Promise.all([0, 1].map((offset) => k.call({ tag: tagSeq++, verb: Verb.WALK, path: '/ctl/node/*/addr', offset })));
        return rs.some((r) => r.value && Buffer.from(r.value).toString() === orig.addr) ? true : undefined;
      }, DEADLINE.converge);
      expect(orig.exitStatus(), orig.describe()).toBeUndefined();
      k.close();
      await orig.stop();
    }, TEST_TIMEOUT.node);
  }
});

// Checks the codec and the Client against the bytes captured from an
// original doozerd (spec/wire-examples.json).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { DoozerError } from '../../../src/wire/errors.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../../src/wire/client-codec.js';
import type { Request, Response } from '../../../src/wire/client-codec.js';
import { frame } from '../../../src/wire/framing.js';
import { startFakeServer } from './fake-server.js';
import type { FakeServer } from './fake-server.js';

interface Example {
  name: string;
  request: Record<string, unknown>;
  request_hex: string;
  response: Record<string, unknown>;
  response_hex: string;
}

// A copy of spec/wire-examples.json (bytes captured from an original node).
const specPath = fileURLToPath(new URL('../../fixtures/wire-examples.json', import.meta.url));
const examples = JSON.parse(readFileSync(specPath, 'utf8')) as Example[];

function toRequest(j: Record<string, unknown>): Request {
  const r: Request = {};
  for (const [k, v] of Object.entries(j)) {
    if (k === 'value') r.value = Buffer.from(v as string, 'utf8');
    else if (k === 'other_tag') r.otherTag = v as number;
    else (r as Record<string, unknown>)[k] = v;
  }
  return r;
}

function toResponse(j: Record<string, unknown>): Response {
  const r: Response = {};
  for (const [k, v] of Object.entries(j)) {
    if (k === 'value') r.value = Buffer.from(v as string, 'utf8');
    else if (k === 'err_code') r.errCode = v as number;
    else if (k === 'err_detail') r.errDetail = v as string;
    else (r as Record<string, unknown>)[k] = v;
  }
  return r;
}

/** Plain comparable form: Uint8Array values as utf8 strings. */
function plain(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v;
  return out;
}

const hexBody = (hex: string): Buffer => Buffer.from(hex, 'hex').subarray(4);

describe('wire examples: codec', () => {
  it('has the 28 captured pairs', () => {
    expect(examples.length).toBe(28);
  });
  for (const ex of examples) {
    it(`${ex.name}: request and response bytes`, () => {
      const full = Buffer.from(ex.request_hex, 'hex');
      expect(full.readUInt32BE(0)).toBe(full.length - 4);
      const enc = encodeRequest(toRequest(ex.request));
      expect(Buffer.from(enc).toString('hex')).toBe(hexBody(ex.request_hex).toString('hex'));
      expect(frame(enc).toString('hex')).toBe(ex.request_hex);

      const dec = decodeResponse(hexBody(ex.response_hex));
      expect(plain(dec)).toEqual(plain(toResponse(ex.response)));
      // And back: our encoding of the response is the captured one.
      expect(Buffer.from(encodeResponse(dec)).toString('hex')).toBe(hexBody(ex.response_hex).toString('hex'));
    });
  }
});

// Replays the capture against the Client: each call must send exactly the
// fields the original client sent (presence matters), and must turn the
// captured answer into the right result or DoozerError.
describe('wire examples: Client sends the same fields and reads the answers', () => {
  let server: FakeServer;
  let client: Client;
  const byKey = new Map<string, Example>();
  const keyOf = (r: Request): string => {
    const p = plain(r);
    delete p.tag;
    return JSON.stringify(Object.fromEntries(Object.entries(p).sort(([a], [b]) => a.localeCompare(b))));
  };

  beforeAll(async () => {
    for (const ex of examples) byKey.set(keyOf(toRequest(ex.request)), ex);
    server = await startFakeServer((req, conn) => {
      const ex = byKey.get(keyOf(req));
      if (!ex) {
        conn.reply({ tag: req.tag, errCode: 127, errDetail: `unexpected request ${keyOf(req)}` });
        return;
      }
      const resp = decodeResponse(hexBody(ex.response_hex));
      conn.reply({ ...resp, tag: req.tag });
    });
    client = await Client.dial(server.address);
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  const rejects = async (p: Promise<unknown>, code: string, detail?: string): Promise<void> => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(DoozerError);
    expect((e as DoozerError).code).toBe(code);
    if (detail !== undefined) expect((e as DoozerError).detail).toBe(detail);
  };

  it('replays every example', async () => {
    const c = client;
    expect(await c.rev()).toBe(59);
    expect(await c.set('/vec/a', 0, 'hello')).toBe(60);
    const g = await c.get('/vec/a');
    expect([g.value.toString(), g.rev]).toEqual(['hello', 60]);
    const m = await c.get('/vec/missing');
    expect([m.value.length, m.rev]).toEqual([0, 0]);
    await rejects(c.get('/vec'), 'ISDIR');
    await rejects(c.set('/vec/a', 1, 'x'), 'REV_MISMATCH');
    expect(await c.set('/vec/a', -1, Buffer.from('bye'))).toBe(62);
    await rejects(c.set('/vec/a/b', -1, 'x'), 'NOTDIR');
    await rejects(c.set('/vec', -1, 'x'), 'ISDIR');
    await rejects(c.set('/a b', -1, 'x'), 'BAD_PATH');
    await rejects(c.request({ verb: 2, path: '/vec/c', value: Buffer.from('x') }), 'MISSING_ARG');
    expect(await c.stat('/vec/a')).toEqual({ len: 3, rev: 62 });
    expect(await c.stat('/vec')).toEqual({ len: 1, rev: -2 });
    expect(await c.stat('/vec/none')).toEqual({ len: 0, rev: 0 });
    expect(await c.getdir('/vec', 0)).toBe('a');
    await rejects(c.getdir('/vec', 5), 'RANGE');
    await rejects(c.getdir('/vec/a', 0), 'NOTDIR');
    await rejects(c.getdir('/nope', 0), 'NOENT');
    const w = await c.walk('/vec/*', 0);
    expect({ ...w, value: w.value.toString() }).toEqual({
      path: '/vec/a', rev: 62, value: 'bye', flags: 4, isSet: true, isDel: false,
    });
    await rejects(c.walk('/vec/*', 9), 'RANGE');
    await rejects(c.walk('/vec/[', 0), 'OTHER', 'invalid glob pattern: /vec/[');
    const ev = await c.wait('/vec/**', 1);
    expect({ ...ev, value: ev.value.toString() }).toEqual({
      path: '/vec/a', rev: 60, value: 'hello', flags: 4, isSet: true, isDel: false,
    });
    await c.del('/vec/none', -1);
    await c.del('/vec/a', -1);
    await c.nop();
    expect(await c.self()).toBe('N3GH2TC4HKSGMYQO');
    await rejects(c.request({ verb: 42 }), 'UNKNOWN_VERB');
    await rejects(c.access('x'), 'OTHER', 'permission denied');

    // Every request the client sent decodes to the captured request (tag aside).
    expect(server.requests.length).toBe(28);
    server.requests.forEach((r, i) => {
      expect(keyOf(r)).toBe(keyOf(toRequest(examples[i]!.request)));
      expect(keyOf(decodeRequest(encodeRequest(r)))).toBe(keyOf(r));
    });
  });
});

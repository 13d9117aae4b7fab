import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, Connection, ConnectionError, RequestTimeoutError, sourceAddressFor } from '../../../src/client/connection.js';
import { Client } from '../../../src/client/client.js';
import { DoozerError } from '../../../src/wire/errors.js';
import { ErrCode, Verb } from '../../../src/wire/client-codec.js';
import type { Request } from '../../../src/wire/client-codec.js';
import { startFakeServer } from './fake-server.js';
import type { FakeConn, FakeServer } from './fake-server.js';
import { DEADLINE } from '../../helpers/deadlines.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function serve(handler: (req: Request, conn: FakeConn) => void): Promise<FakeServer> {
  const s = await startFakeServer(handler);
  cleanup.push(() => s.close());
  return s;
}
async function dial(s: FakeServer, opts = {}): Promise<Client> {
  const c = await Client.dial(s.address, opts);
  cleanup.push(() => c.close());
  return c;
}

function until(cond: () => boolean, ms: number = DEADLINE.local): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not met in time'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

describe('Connection', () => {
  it('pipelines requests and matches responses by tag in any order', async () => {
    const held: Array<[Request, FakeConn]> = [];
    const s = await serve((req, conn) => held.push([req, conn]));
    const c = await dial(s);
    const paths = ['/a', '/b', '/c', '/d', '/e'];
    const results = paths.map((p) => c.get(p));
    // All five are on the wire before any answer: pipelining.
    await until(() => held.length === 5);
    expect(new Set(held.map(([r]) => r.tag)).size).toBe(5);
    // Answer in reverse order; each answer names its own path in the body.
    for (const [req, conn] of [...held].reverse()) {
      conn.reply({ tag: req.tag, rev: 7, value: Buffer.from(`body of ${req.path}`) });
    }
    const got = await Promise.all(results);
    expect(got.map((g) => g.value.toString())).toEqual(paths.map((p) => `body of ${p}`));
  });

  it('answers a later GET while an earlier WAIT is still pending', async () => {
    let waitConn: [Request, FakeConn] | undefined;
    const s = await serve((req, conn) => {
      if (req.verb === Verb.WAIT) waitConn = [req, conn];
      else conn.reply({ tag: req.tag, rev: 3, value: Buffer.from('now') });
    });
    const c = await dial(s);
    const w = c.wait('/x/**', 10);
    const g = await c.get('/y');
    expect(g.value.toString()).toBe('now');
    await until(() => waitConn !== undefined);
    const [req, conn] = waitConn!;
    conn.reply({ tag: req.tag, path: '/x/1', rev: 11, value: Buffer.from('v'), flags: 8 });
    const ev = await w;
    expect(ev).toMatchObject({ path: '/x/1', rev: 11, isDel: true, isSet: false, flags: 8 });
  });

  it('maps error responses to DoozerError with the protocol code name and detail', async () => {
    const s = await serve((req, conn) => {
      const code = Number(req.path!.slice(1));
      conn.reply({ tag: req.tag, errCode: code, errDetail: code === 127 ? 'permission denied' : undefined });
    });
    const c = await dial(s);
    for (const [name, code] of Object.entries(ErrCode)) {
      const e = await c.get(`/${code}`).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DoozerError);
      expect((e as DoozerError).code).toBe(name);
    }
    const other = (await c.get('/127').catch((x: unknown) => x)) as DoozerError;
    expect(other.detail).toBe('permission denied');
    expect(other.message).toMatch(/^OTHER: GET \/127: permission denied by 127\.0\.0\.1:\d+: it needs a secret .*Client\.dial\(uri, \{ secret \}\)/);
    const unknown = (await c.get('/55').catch((x: unknown) => x)) as DoozerError;
    expect(unknown.code).toBe('OTHER');
    expect(unknown.detail).toMatch(/unknown error code 55/);
  });

  it('says in the message the code, the path and what to do; keeps code, detail and path', async () => {
    const s = await serve((req, conn) => {
      const code = req.verb === Verb.SET ? ErrCode.REV_MISMATCH : req.path === '/a b' ? ErrCode.BAD_PATH : ErrCode.READONLY;
      conn.reply({ tag: req.tag, errCode: code });
    });
    const c = await dial(s);
    const bad = (await c.get('/a b').catch((x: unknown) => x)) as DoozerError;
    expect(bad.code).toBe('BAD_PATH');
    expect(bad.path).toBe('/a b');
    expect(bad.message).toBe(`BAD_PATH: "/a b" is not a valid path: a path is / or /name/name..., names made of letters, digits, '.' and '-'`);
    const mismatch = (await c.set('/cfg', 3, 'x').catch((x: unknown) => x)) as DoozerError;
    expect(mismatch.code).toBe('REV_MISMATCH');
    expect(mismatch.message).toMatch(/^REV_MISMATCH: SET \/cfg with rev 3: the file has changed since that rev; .*rev -1/);
    const ro = (await c.del('/x', -1).catch((x: unknown) => x)) as DoozerError;
    expect(ro.message).toMatch(/^READONLY: DEL \/x: 127\.0\.0\.1:\d+ is read-only .*send writes to a CAL/);
  });

  it('rejects every pending request with a clear ConnectionError when the connection is lost', async () => {
    let n = 0;
    let conn0: FakeConn | undefined;
    const s = await serve((_req, conn) => {
      n++;
      conn0 = conn;
    });
    const c = await dial(s);
    const a = c.get('/a').catch((e: unknown) => e);
    const b = c.wait('/**', 5).catch((e: unknown) => e);
    await until(() => n === 2);
    conn0!.destroy();
    for (const e of [await a, await b]) {
      expect(e).toBeInstanceOf(ConnectionError);
      expect((e as Error).message).toMatch(/connection to 127\.0\.0\.1:\d+ closed by the server/);
    }
    expect(((await a) as Error).message).toMatch(/while waiting for GET \/a/);
    expect(((await b) as Error).message).toMatch(/while waiting for WAIT \/\*\*/);
    // Later requests fail at once, too.
    await expect(c.rev()).rejects.toBeInstanceOf(ConnectionError);
  });

  it('closes on a response frame larger than the limit', async () => {
    const s = await serve((req, conn) => {
      const big = Buffer.alloc(4);
      big.writeUInt32BE(2000, 0);
      conn.raw(big);
    });
    const c = await Client.dial(s.address, { maxResponseBytes: 1000 });
    cleanup.push(() => c.close());
    const e = await c.get('/a').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConnectionError);
    expect((e as ConnectionError).message).toMatch(/protocol error.*2000.*1000/);
  });

  it('closes on an undecodable response', async () => {
    const s = await serve((_req, conn) => conn.raw(Buffer.from([0, 0, 0, 2, 0xff, 0xff])));
    const c = await dial(s);
    await expect(c.rev()).rejects.toThrow(/protocol error.*undecodable/);
  });

  it('abandons a request on abort, and never reuses a tag the server may still answer', async () => {
    const seen: Request[] = [];
    let waitReq: [Request, FakeConn] | undefined;
    const s = await serve((req, conn) => {
      seen.push(req);
      if (req.verb === Verb.WAIT) waitReq = [req, conn];
      else conn.reply({ tag: req.tag, rev: 1 });
    });
    const c = await dial(s);
    const ac = new AbortController();
    const w = c.wait('/**', 1, { signal: ac.signal });
    await until(() => waitReq !== undefined);
    ac.abort();
    await expect(w).rejects.toBeInstanceOf(AbortedError);
    for (let i = 0; i < 5; i++) await c.rev();
    const waitTag = waitReq![0].tag;
    expect(seen.filter((r) => r.tag === waitTag).length).toBe(1);
    // The late answer is dropped quietly.
    waitReq![1].reply({ tag: waitTag, rev: 2, path: '/x', flags: 4 });
    expect(await c.rev()).toBe(1);
    expect(c.connection.inFlight).toBe(0);
  });

  it('reports connection refused with the address', async () => {
    const port = await closedPort();
    const e = await Connection.connect({ host: '127.0.0.1', port }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConnectionError);
    expect((e as ConnectionError).message).toBe(`cannot connect to 127.0.0.1:${port}: connection refused`);
    expect((e as ConnectionError).errno).toBe('ECONNREFUSED');
  });

  it('close() rejects pending requests', async () => {
    const s = await serve(() => undefined);
    const c = await Client.dial(s.address);
    const p = c.rev().catch((e: unknown) => e);
    await c.close();
    expect(await p).toBeInstanceOf(ConnectionError);
    expect(((await p) as Error).message).toMatch(/closed by the client/);
  });
});

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('Client.dial', () => {
  it('tries each ca address in order', async () => {
    const s = await serve((req, conn) => conn.reply({ tag: req.tag, rev: 42 }));
    const dead = await closedPort();
    const c = await Client.dial(`doozer:?ca=127.0.0.1:${dead}&ca=127.0.0.1:${s.port}`);
    cleanup.push(() => c.close());
    expect(c.address).toBe(s.address);
    expect(await c.rev()).toBe(42);
  });

  it('lists every address when none answers', async () => {
    const [p1, p2] = [await closedPort(), await closedPort()];
    const e = await Client.dial(`doozer:?ca=127.0.0.1:${p1}&ca=127.0.0.1:${p2}`).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConnectionError);
    expect((e as Error).message).toMatch(new RegExp(`any of 2 addresses: 127.0.0.1:${p1}: connection refused; 127.0.0.1:${p2}`));
  });

  it('sends ACCESS first when the URI has sk=', async () => {
    const s = await serve((req, conn) => {
      if (req.verb === Verb.ACCESS && Buffer.from(req.value!).toString() !== 'good') {
        conn.reply({ tag: req.tag, errCode: 127, errDetail: 'permission denied' });
      } else conn.reply({ tag: req.tag, rev: 1 });
    });
    const c = await Client.dial(`doozer:?ca=${s.address}&sk=good`);
    cleanup.push(() => c.close());
    await c.rev();
    expect(s.requests[0]).toMatchObject({ verb: Verb.ACCESS });
    expect(Buffer.from(s.requests[0]!.value!).toString()).toBe('good');
    const e = await Client.dial(`doozer:?ca=${s.address}&sk=bad`).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DoozerError);
    expect((e as DoozerError).code).toBe('OTHER');
    expect((e as DoozerError).detail).toMatch(/secret \(sk=\) was refused.*permission denied/);
  });

  it('gives clear errors for bad targets', async () => {
    await expect(Client.dial('http://x')).rejects.toThrow(/not a doozer URI/);
    await expect(Client.dial('doozer:?sk=x')).rejects.toThrow(/no address.*add ca=/);
    await expect(Client.dial('doozer:?cn=ls')).rejects.toThrow(/cannot resolve cn=ls: .*as the boot option, e\.g\. Client\.dial\("doozer:\?cn=ls", \{ boot: /);
  });
});

describe('request timeouts', () => {
  it('requestTimeoutMs rejects an unanswered request with RequestTimeoutError; WAIT is exempt; a late answer is dropped', async () => {
    const held: Array<[Request, FakeConn]> = [];
    const s = await serve((req, conn) => held.push([req, conn]));
    const c = await dial(s, { requestTimeoutMs: 100 });
    const t0 = Date.now();
    await expect(c.rev()).rejects.toThrow(RequestTimeoutError);
    await expect(c.get('/x')).rejects.toThrow(/no answer from 127\.0\.0\.1:\d+ to GET \/x within 100ms/);
    expect(Date.now() - t0).toBeLessThan(DEADLINE.local);
    let waitDone = false;
    const w = c.wait('/**', 1).then(() => (waitDone = true));
    await until(() => held.some(([r]) => r.verb === Verb.WAIT));
    await new Promise((r) => setTimeout(r, 250)); // longer than the request timeout: the WAIT must still be pending
    expect(waitDone).toBe(false);
    // Late answers to the timed-out requests are dropped; the WAIT still gets its own.
    for (const [r, conn] of held) conn.reply({ tag: r.tag, rev: 7, path: '/a', flags: 4 });
    await w;
    expect(c.connection.closed).toBe(false);
    // A per-request timeout of 0 means none.
    const p = c.connection.send({ verb: Verb.REV }, { timeoutMs: 0 });
    await until(() => held.length >= 4);
    const [r, conn] = held[held.length - 1]!;
    conn.reply({ tag: r.tag, rev: 9 });
    expect((await p).rev).toBe(9);
  });
});

describe('sourceAddressFor (a node dials its peers from its -l address)', () => {
  it('binds a specific address of the same family, a loopback one only towards loopback', () => {
    expect(sourceAddressFor('127.5.6.11', '127.5.6.12')).toBe('127.5.6.11');
    expect(sourceAddressFor('10.0.0.5', '10.0.0.6')).toBe('10.0.0.5');
    expect(sourceAddressFor('10.0.0.5', '127.0.0.1')).toBe('10.0.0.5');
    expect(sourceAddressFor('::1', '::1')).toBe('::1');
  });

  it('lets the kernel choose where binding could not work', () => {
    expect(sourceAddressFor(undefined, '127.0.0.1')).toBeUndefined();
    expect(sourceAddressFor('0.0.0.0', '127.0.0.1')).toBeUndefined();
    expect(sourceAddressFor('::', '::1')).toBeUndefined();
    expect(sourceAddressFor('127.0.0.1', '10.0.0.6')).toBeUndefined(); // a 127/8 source cannot leave the machine
    expect(sourceAddressFor('127.0.0.1', '::1')).toBeUndefined(); // other family
    expect(sourceAddressFor('localhost', '127.0.0.1')).toBeUndefined(); // not an IP literal
    expect(sourceAddressFor('127.0.0.1', 'node2.example')).toBeUndefined();
  });

  it('connects from the given address', async () => {
    let from = '';
    const srv = net.createServer((s) => {
      from = s.remoteAddress ?? '';
      s.destroy();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => srv.close(() => r())));
    const port = (srv.address() as net.AddressInfo).port;
    const c = await Connection.connect({ host: '127.0.0.1', port }, { localAddress: '127.9.8.7' });
    await c.close().catch(() => undefined);
    await until(() => from !== '');
    expect(from).toBe('127.9.8.7');
  });
});

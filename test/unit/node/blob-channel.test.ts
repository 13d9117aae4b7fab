// The blob service (src/node/blob-channel.ts) against fake peers over real
// TCP and a fake actor system: a large write is pushed to the other CALs and
// proposed as a reference once a majority hold the body; a node lacking a
// body fetches it by digest, skipping peers that are down, lack it or send
// another body; peers' pushes and fetches are served (from the cache, else
// from the store at that seqn). Also the cache's bounds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobDisk } from '../../../src/storage/blob-disk.js';
import { closeSharedDb, openDb, sharedDb } from '../../../src/storage/database.js';
import { BlobService } from '../../../src/node/blob-channel.js';
import { BlobCache } from '../../../src/node/blob-cache.js';
import { BLOBS, BlobVerb } from '../../../src/actors/blob-messages.js';
import { blobDigest, decodeBlobRef } from '../../../src/actors/store/blob-ref.js';
import { encodeSet } from '../../../src/actors/store/mutation.js';
import { STORE } from '../../../src/actors/store/messages.js';
import { PROPOSER } from '../../../src/actors/proposer-messages.js';
import { ErrCode, type Request, type Response } from '../../../src/wire/client-codec.js';
import type { CtlCal } from '../../../src/actors/store/ctl.js';
import type { Message } from '../../../src/runtime/message.js';
import type { ActorSystem } from '../../../src/runtime/system.js';
import { startFakeServer, type FakeServer } from '../client/fake-server.js';
import { freePort } from '../../helpers/ports.js';
import { until } from '../../helpers/until.js';
import { DEADLINE } from '../../helpers/deadlines.js';

const body = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);
const cal = (id: string, addr: string, blobs = true): CtlCal => ({ slot: id, rev: 1, id, addr, ours: blobs, blobs, version: blobs ? 'doozerd-ts-0.1.0' : 'doozerd-0.8' });

/** An actor system with only the blob service's endpoint; the store and proposer are scripted here. */
class FakeSystem {
  endpoint: ((m: Message) => void) | undefined;
  sent: { to: string; msg: Message }[] = [];
  cals: CtlCal[] = [];
  storeRev = 0;
  /** Store reads by path: the value answered. */
  storeValues = new Map<string, Uint8Array>();
  system: ActorSystem = {
    spawn: () => undefined,
    spawnSupervisor: () => undefined,
    stop: () => undefined,
    onExit: () => undefined,
    stats: () => [],
    stopAll: () => undefined,
    registerEndpoint: (_name, deliver) => {
      this.endpoint = deliver;
      return () => (this.endpoint = undefined);
    },
    send: (to, msg) => {
      this.sent.push({ to, msg });
      const m = msg as unknown as Record<string, unknown>;
      const back = (x: Record<string, unknown>): void => void queueMicrotask(() => this.endpoint?.(x as unknown as Message));
      if (to === STORE && m.type === 'cals') back({ type: 'store-cals', tag: m.tag, rev: 10, cals: this.cals });
      if (to === STORE && m.type === 'read') {
        const v = this.storeValues.get(m.path as string);
        back({ type: 'reply', tag: m.tag, response: v ? { tag: m.tag, value: v, rev: m.rev } : { tag: m.tag, errCode: ErrCode.TOO_LATE } });
      }
      if (to === PROPOSER && m.type === 'propose') back({ type: 'proposed', tag: m.tag, seqn: 42 });
      if (to === STORE && m.type === 'rev') back({ type: 'reply', tag: m.tag, response: { tag: m.tag, rev: this.storeRev } });
      return true;
    },
  };
  to(name: string): Record<string, unknown>[] {
    return this.sent.filter((s) => s.to === name).map((s) => s.msg as unknown as Record<string, unknown>);
  }
}

/** A peer that answers BLOB_PUT/BLOB_GET as `fn` says. */
function peer(fn: (req: Request) => Omit<Response, 'tag'> | undefined): Promise<FakeServer> {
  return startFakeServer((req, conn) => {
    const r = fn(req);
    if (r) conn.reply({ ...r, tag: req.tag! });
  });
}

let services: BlobService[] = [];
let servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(services.map((s) => s.close()));
  await Promise.all(servers.map((s) => s.close()));
  services = [];
  servers = [];
});

function start(fake: FakeSystem, cache?: ConstructorParameters<typeof BlobCache>[0]): BlobService {
  const s = new BlobService({ system: fake.system, nodeId: 'SELF', ...(cache ? { cache } : {}) });
  services.push(s);
  return s;
}

describe('blob service: writes', () => {
  it('pushes the body to the other CALs, then proposes the reference and answers with its seqn', async () => {
    const got: Request[] = [];
    const holder = (): Promise<FakeServer> => peer((req) => (got.push(req), {}));
    servers = [await holder(), await holder()];
    const fake = new FakeSystem();
    fake.cals = [cal('SELF', '127.0.0.1:1'), cal('P1', servers[0]!.address), cal('P2', servers[1]!.address)];
    start(fake);
    const value = body(200_000, 9);
    fake.endpoint!({ type: 'blob-write', mutation: encodeSet(-1, '/big', value), replyTo: 'session', tag: 5 } as never);
    await until('answered', () => fake.to('session').length > 0 || undefined, DEADLINE.local);
    expect(fake.to('session')).toEqual([{ type: 'proposed', tag: 5, seqn: 42 }]);
    const proposed = fake.to(PROPOSER)[0]!;
    const ref = decodeBlobRef(proposed.mutation as Uint8Array)!;
    expect(ref).toMatchObject({ digest: blobDigest(value), len: 200_000 });
    expect(Buffer.from(ref.header).toString()).toBe('-1:/big=');
    // Both peers get it (one ack is a majority of three; the other is pushed anyway).
    await until('both pushed', () => got.length === 2 || undefined, DEADLINE.local);
    for (const r of got) {
      expect(r.verb).toBe(BlobVerb.BLOB_PUT);
      expect(r.path).toBe(blobDigest(value));
      expect(r.value!.length).toBe(200_000);
    }
  });

  it('fails the write, naming who failed, when no majority can hold the body; goes on when a majority can', async () => {
    const refuse = (): Promise<FakeServer> => peer(() => ({ errCode: ErrCode.OTHER, errDetail: 'node overloaded: retry later (blob cache full)' }));
    servers = [await refuse(), await peer(() => ({}))];
    const down = `127.0.0.1:${await freePort()}`;
    const fake = new FakeSystem();
    fake.cals = [cal('SELF', '127.0.0.1:1'), cal('P1', servers[0]!.address), cal('P2', down)];
    start(fake);
    fake.endpoint!({ type: 'blob-write', mutation: encodeSet(-1, '/big', body(5000, 1)), replyTo: 'session', tag: 1 } as never);
    await until('answered', () => fake.to('session').length > 0 || undefined, DEADLINE.local);
    const err = fake.to('session')[0]!.err as { code: string; text: string };
    expect(err.code).toBe('OTHER');
    expect(err.text).toMatch(/^could not copy the value to a majority of CALs \(1 of 2 hold it; .*blob cache full.*\): the write was not made; retry$/);
    expect(err.text).toContain(down);
    expect(fake.to(PROPOSER)).toEqual([]);
    // With a CAL that takes it, one of the two others is enough.
    fake.cals = [cal('SELF', '127.0.0.1:1'), cal('P1', servers[0]!.address), cal('P2', servers[1]!.address)];
    fake.endpoint!({ type: 'blob-write', mutation: encodeSet(-1, '/big', body(5000, 2)), replyTo: 'session', tag: 2 } as never);
    await until('answered', () => fake.to('session').length > 1 || undefined, DEADLINE.local);
    expect(fake.to('session')[1]).toEqual({ type: 'proposed', tag: 2, seqn: 42 });
  });

  it('refuses with the one-datagram limit when a CAL takes no large values, and over 1 MiB everywhere', async () => {
    const fake = new FakeSystem();
    fake.cals = [cal('SELF', '127.0.0.1:1'), cal('ORIG', '127.0.0.1:2', false)];
    start(fake);
    fake.endpoint!({ type: 'blob-write', mutation: encodeSet(-1, '/big', body(3000, 1)), replyTo: 'session', tag: 1 } as never);
    fake.cals = [cal('SELF', '127.0.0.1:1')];
    await until('answered', () => fake.to('session').length > 0 || undefined, DEADLINE.local);
    fake.endpoint!({ type: 'blob-write', mutation: encodeSet(-1, '/big', body(1024 * 1024 + 1, 1)), replyTo: 'session', tag: 2 } as never);
    await until('answered', () => fake.to('session').length > 1 || undefined, DEADLINE.local);
    const [a, b] = fake.to('session').map((m) => (m.err as { text: string }).text);
    expect(a).toBe('value too large: the write (rev, path and value) is 3008 bytes, over the 2960-byte limit of a cluster with original doozerd nodes ' +
      '(CAL ORIG at 127.0.0.1:2 runs "doozerd-0.8"); values up to 1048576 bytes (1 MiB) need every CAL to run doozerd-ts');
    expect(b).toBe('value too large: the value is 1048577 bytes; the limit is 1048576 bytes (1 MiB)');
    expect(fake.to(PROPOSER)).toEqual([]);
  });
});

describe('blob service: fetching a body the store waits for', () => {
  it('asks the CALs in turn, skipping one that is down, one that lacks it and one that sends another body', async () => {
    const value = body(300_000, 4);
    const digest = blobDigest(value);
    const asked: string[] = [];
    servers = [
      await peer(() => (asked.push('lacks'), { errCode: ErrCode.NOENT })),
      await peer(() => (asked.push('wrong'), { value: body(300_000, 5) })),
      await peer((req) => (asked.push('has'), Buffer.from(req.value!).toString() === digest && req.path === '/big' && req.rev === 77 ? { value } : { errCode: ErrCode.NOENT })),
    ];
    const fake = new FakeSystem();
    fake.cals = [cal('SELF', '127.0.0.1:1'), cal('DOWN', `127.0.0.1:${await freePort()}`), ...servers.map((s, i) => cal(`P${i}`, s.address))];
    const svc = start(fake);
    fake.endpoint!({ type: 'blob-need', digest, len: value.length, seqn: 77, path: '/big' } as never);
    fake.endpoint!({ type: 'blob-need', digest, len: value.length, seqn: 77, path: '/big' } as never); // asked twice: fetched once
    await until('delivered', () => fake.to(STORE).some((m) => m.type === 'blob-body') || undefined, DEADLINE.local * 2);
    const delivered = fake.to(STORE).filter((m) => m.type === 'blob-body');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.digest).toBe(digest);
    expect(Buffer.from(delivered[0]!.body as Uint8Array).equals(Buffer.from(value))).toBe(true);
    expect(asked.filter((a) => a === 'has')).toHaveLength(1);
    expect(svc.stats.fetched).toBe(1);
    // Now held: asked again (the store restarted, say), it answers from its cache.
    fake.endpoint!({ type: 'blob-need', digest, len: value.length, seqn: 77, path: '/big' } as never);
    await until('delivered again', () => fake.to(STORE).filter((m) => m.type === 'blob-body').length === 2 || undefined, DEADLINE.local);
    expect(asked.filter((a) => a === 'has')).toHaveLength(1);
  });

  it('keeps trying until a peer has the body (never skips the seqn)', async () => {
    const value = body(4000, 6);
    let has = false;
    servers = [await peer(() => (has ? { value } : { errCode: ErrCode.NOENT }))];
    const fake = new FakeSystem();
    fake.cals = [cal('SELF', '127.0.0.1:1'), cal('P', servers[0]!.address)];
    start(fake);
    fake.endpoint!({ type: 'blob-need', digest: blobDigest(value), len: value.length, seqn: 3, path: '/x' } as never);
    await until('asked a few times', () => servers[0]!.requests.length >= 3 || undefined, DEADLINE.local);
    expect(fake.to(STORE).filter((m) => m.type === 'blob-body')).toEqual([]);
    has = true;
    await until('delivered', () => fake.to(STORE).some((m) => m.type === 'blob-body') || undefined, DEADLINE.local);
  });

  it('stops fetching once the store went past that seqn without it (it loaded a snapshot)', async () => {
    servers = [await peer(() => ({ errCode: ErrCode.NOENT }))];
    const fake = new FakeSystem();
    fake.cals = [cal('SELF', '127.0.0.1:1'), cal('P', servers[0]!.address)];
    start(fake);
    fake.endpoint!({ type: 'blob-need', digest: blobDigest(body(10, 1)), len: 10, seqn: 3, path: '/x' } as never);
    await until('asked twice', () => servers[0]!.requests.length >= 2 || undefined, DEADLINE.local);
    fake.storeRev = 3;
    await until('stopped asking', async () => {
      const n = servers[0]!.requests.length;
      await new Promise((r) => setTimeout(r, 600));
      return servers[0]!.requests.length === n || undefined;
    }, DEADLINE.local);
  });
});

describe('blob service: serving peers', () => {
  it('holds a pushed body only if its digest matches, and serves it, or the store\'s value at that seqn, by digest', async () => {
    const fake = new FakeSystem();
    const svc = start(fake);
    const value = body(10_000, 8);
    const digest = blobDigest(value);
    const ask = async (req: Request): Promise<Record<string, unknown>> => {
      const tag = fake.sent.length + 1000;
      fake.endpoint!({ type: 'blob-peer', req, replyTo: 'session', tag } as never);
      return until('answered', () => fake.to('session').find((m) => m.tag === tag), DEADLINE.local);
    };
    const bad = await ask({ verb: BlobVerb.BLOB_PUT, path: digest, value: body(10_000, 9) });
    expect((bad.response as Response).errCode).toBe(ErrCode.OTHER);
    expect((await ask({ verb: BlobVerb.BLOB_GET, path: '/p', value: Buffer.from(digest) })).response).toMatchObject({ errCode: ErrCode.NOENT });
    expect((await ask({ verb: BlobVerb.BLOB_PUT, path: digest, value })).response).toEqual({ tag: expect.any(Number) });
    expect(svc.cache.get(digest)?.length).toBe(10_000);
    const hit = (await ask({ verb: BlobVerb.BLOB_GET, path: '/p', rev: 5, value: Buffer.from(digest) })).response as Response;
    expect(hit.value!.length).toBe(10_000);
    // Not cached, but applied here: read from the store at that seqn, checked against the digest.
    const other = body(7000, 1);
    fake.storeValues.set('/q', other);
    const fromStore = (await ask({ verb: BlobVerb.BLOB_GET, path: '/q', rev: 9, value: Buffer.from(blobDigest(other)) })).response as Response;
    expect(fromStore.value!.length).toBe(7000);
    expect(fake.to(STORE).some((m) => m.type === 'read' && m.path === '/q' && m.rev === 9 && m.replyTo === BLOBS)).toBe(true);
    const wrong = (await ask({ verb: BlobVerb.BLOB_GET, path: '/q', rev: 9, value: Buffer.from(digest.replace(/^./, '0')) })).response as Response;
    expect(wrong.errCode).toBe(ErrCode.NOENT);
  });
});

describe('blob cache', () => {
  it('keeps pinned and undelivered bodies, drops delivered ones first when full and all of them once expired', () => {
    let now = 0;
    const c = new BlobCache({ maxBytes: 100, keepDeliveredMs: 10, keepUndeliveredMs: 1000, now: () => now });
    expect(c.put('a', body(40, 1), true)).toBe(true);
    expect(c.put('b', body(40, 2))).toBe(true);
    expect(c.put('c', body(40, 3))).toBe(false); // a pinned, b not delivered: nothing to drop
    c.delivered('b');
    expect(c.put('c', body(40, 3))).toBe(true); // b dropped to make room
    expect(c.get('b')).toBeUndefined();
    expect(c.bytes).toBe(80);
    now = 5000;
    c.sweep();
    expect(c.get('a')).toBeDefined(); // pinned
    expect(c.get('c')).toBeUndefined(); // expired, never asked for
    c.unpin('a');
    c.sweep();
    expect(c.size).toBe(0);
    expect(c.bytes).toBe(0);
  });
});

describe('blob service with -data', () => {
  it('stores a held body before answering, loads it back after a restart, and forgets it when the cache drops it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blob-disk-'));
    try {
      openDb(dir, true).close();
      const fake = new FakeSystem();
      let now = 0;
      const first = new BlobService({ system: fake.system, nodeId: 'SELF', dataDir: dir, cache: { now: () => now, keepUndeliveredMs: 1000 } });
      const value = body(50_000, 3);
      const digest = blobDigest(value);
      fake.endpoint!({ type: 'blob-peer', req: { verb: BlobVerb.BLOB_PUT, path: digest, value }, replyTo: 'session', tag: 1 } as never);
      await until('answered', () => fake.to('session').length > 0 || undefined, DEADLINE.local);
      expect(new BlobDisk(sharedDb(dir, 'ordered')).all().map((b) => b.digest)).toEqual([digest]);
      await first.close();
      // A damaged row (a body that is not its digest's) is dropped at the restart, never served.
      const other = body(1000, 4);
      new BlobDisk(sharedDb(dir, 'ordered')).put(blobDigest(other), body(1000, 5));
      // A restart (a crash before the store applied it): held again, served to the store.
      const again = new BlobService({ system: fake.system, nodeId: 'SELF', dataDir: dir, cache: { now: () => now, keepUndeliveredMs: 1000 } });
      services.push(again);
      expect(again.cache.get(digest)?.length).toBe(50_000);
      expect(again.cache.get(blobDigest(other))).toBeUndefined();
      expect(new BlobDisk(sharedDb(dir, 'ordered')).all().map((b) => b.digest)).toEqual([digest]);
      now = 5000;
      again.cache.sweep();
      expect(new BlobDisk(sharedDb(dir, 'ordered')).all()).toEqual([]);
    } finally {
      closeSharedDb(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

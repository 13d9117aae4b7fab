// The shared-memory ring (src/runtime/ring.ts) and the data plane on top of
// it (src/runtime/data-plane.ts): order, wrap-around, a full ring, messages
// larger than the ring, a writer that dies half way, and two real threads.
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createDataRings, DataPlane } from '../../../src/runtime/data-plane.js';
import { createRing, RingReader, RingWriter } from '../../../src/runtime/ring.js';
import { until } from '../../helpers/until.js';
import { DEADLINE } from '../../helpers/deadlines.js';

/** Message `i` of `size` bytes: its number in the first 4 bytes, then a pattern from it. */
function message(i: number, size: number): Uint8Array {
  const m = new Uint8Array(Math.max(4, size));
  new DataView(m.buffer).setUint32(0, i);
  for (let k = 4; k < m.length; k++) m[k] = (i + k) & 0xff;
  return m;
}

function check(got: Uint8Array[], sizes: number[]): void {
  expect(got.length).toBe(sizes.length);
  got.forEach((m, i) => {
    expect(m.length).toBe(Math.max(4, sizes[i]!));
    expect(Buffer.from(m).equals(Buffer.from(message(i, sizes[i]!)))).toBe(true);
  });
}

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

/**
 * A started data plane over fresh rings of `size` bytes each way, to a
 * worker (fixtures/echo-plane.mjs, ended after each test) that sends every
 * entry back as ['echo', ...entry]; `onBatch` gets what comes back.
 */
function echoPlane(size: number, onBatch: (batch: unknown[][]) => void): DataPlane<unknown[], unknown[]> {
  const rings = createDataRings(size);
  const plane = new DataPlane<unknown[], unknown[]>(rings.down, rings.up, onBatch);
  plane.start();
  workers.push(new Worker(new URL('./fixtures/echo-plane.mjs', import.meta.url), { workerData: rings }));
  return plane;
}

describe('ring', () => {
  it('wraps around the end many times, frames and payloads split at the edge, in order', () => {
    const sab = createRing(4096);
    const got: Uint8Array[] = [];
    const reader = new RingReader(sab, (buf, n) => got.push(Uint8Array.prototype.slice.call(buf, 0, n)));
    const writer = new RingWriter(sab);
    const sizes: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const size = 1 + ((i * 7919) % 900);
      sizes.push(size);
      writer.write(message(i, size));
      if (i % 3 === 2) reader.drain();
    }
    reader.drain();
    expect(writer.backlogBytes).toBe(0);
    check(got, sizes);
    expect(writer.bytes).toBeGreaterThan(100 * 4096); // it did wrap, many times
  });

  it('a full ring: the writer keeps the rest in order and sends it as the reader frees space', async () => {
    const sab = createRing(4096);
    const got: Uint8Array[] = [];
    const reader = new RingReader(sab, (buf, n) => got.push(Uint8Array.prototype.slice.call(buf, 0, n)));
    const writer = new RingWriter(sab);
    const sizes = Array.from({ length: 200 }, (_, i) => 100 + (i % 5) * 300);
    sizes.forEach((s, i) => writer.write(message(i, s)));
    expect(writer.backlogBytes).toBeGreaterThan(0); // never blocks, never drops
    expect(writer.waits).toBeGreaterThan(0);
    // Only what fit is there; reading frees space and wakes the writer (Atomics.waitAsync on R).
    await until('everything read', () => {
      reader.drain();
      return got.length === sizes.length;
    }, DEADLINE.answer, 1);
    check(got, sizes);
    expect(writer.backlogBytes).toBe(0);
  });

  it('a message larger than the ring goes in chunks and arrives whole', async () => {
    const sab = createRing(4096);
    const got: Uint8Array[] = [];
    const reader = new RingReader(sab, (buf, n) => got.push(Uint8Array.prototype.slice.call(buf, 0, n)));
    reader.start();
    const writer = new RingWriter(sab);
    const sizes = [10, 100_000, 5, 4096, 4097, 65_536 + 3, 1];
    sizes.forEach((s, i) => writer.write(message(i, s)));
    await until('all delivered', () => got.length === sizes.length, DEADLINE.answer, 1);
    check(got, sizes);
    reader.stop();
  });

  it('a writer that dies in the middle of a message: the whole messages before it arrive, its chunks never do', () => {
    const sab = createRing(4096);
    const got: Uint8Array[] = [];
    const reader = new RingReader(sab, (buf, n) => got.push(Uint8Array.prototype.slice.call(buf, 0, n)));
    const writer = new RingWriter(sab);
    writer.write(message(0, 100));
    writer.write(message(1, 20_000)); // only its first chunks fit; the writer then "dies"
    reader.drain();
    reader.drain();
    check(got, [100]);
  });

  it('refuses a buffer that is not a ring', () => {
    expect(() => new RingReader(new SharedArrayBuffer(64 + 1000), () => {})).toThrow(/power of two/);
  });
});

describe('ring wake-ups', () => {
  it("only the writer takes down its 'waiting for space' flag: a reader's wake-up for the same R twice cannot strand it", async () => {
    // Before: the reader cleared the flag (an exchange) when it woke the
    // writer, and it wakes after each message and again at the end of its
    // loop, for the same R. A writer that had raised the flag but not yet
    // started to wait then waited with the flag down, and nobody woke it
    // (a stress run: both rings empty, megabytes in the writer's backlog).
    const sab = createRing(4096);
    const header = new Int32Array(sab, 0, 16);
    const WRITER_SLEEPS = 3;
    const writer = new RingWriter(sab);
    const got: number[] = [];
    const reader = new RingReader(sab, (buf, len) => got.push(len));
    writer.write(message(0, 3000));
    writer.write(message(1, 3000)); // does not fit: backlog, and the writer sleeps on R
    expect(writer.backlogBytes).toBeGreaterThan(0);
    expect(Atomics.load(header, WRITER_SLEEPS)).toBe(1);
    expect(reader.drain()).toBe(1); // frees space and wakes the writer...
    expect(Atomics.load(header, WRITER_SLEEPS)).toBe(1); // ...but leaves the flag to it
    await until('the writer woke and sent its backlog', () => (writer.backlogBytes === 0 ? true : undefined), DEADLINE.answer, 1);
    expect(Atomics.load(header, WRITER_SLEEPS)).toBe(0);
    expect(reader.drain()).toBe(1);
    expect(got).toEqual([3000, 3000]);
  });

  it('bursts far larger than the ring, both ways, many times: nothing stays behind (no lost wake-up)', async () => {
    for (let round = 0; round < 2; round++) {
      let got = 0;
      const plane = echoPlane(4096, (batch) => (got += batch.length));
      let sent = 0;
      for (let b = 0; b < 1000; b++) {
        const batch: unknown[][] = [];
        for (let k = 0; k < 1 + (b % 17); k++) batch.push(['a', { type: 'x', body: new Uint8Array(b % 53 === 0 ? 9000 : (b * 7 + k) % 300) }]);
        sent += batch.length;
        plane.send(batch);
        if (b % 3 === 0) await new Promise((r) => setImmediate(r));
      }
      await until(`round ${round}: every entry echoed`, () => (got >= sent ? true : undefined), DEADLINE.converge, 5);
      expect(got).toBe(sent);
      plane.close();
    }
  });
});

describe('data plane between two threads', () => {
  it('every entry arrives once, in order, both ways, through wrap-around, full rings and big batches', async () => {
    const got: unknown[][] = [];
    const plane = echoPlane(8192, (batch) => got.push(...batch));
    const sent: unknown[][] = [];
    let n = 0;
    for (let b = 0; b < 300; b++) {
      const batch: unknown[][] = [];
      const size = b % 50 === 7 ? 400 : 1 + (b % 9);
      for (let k = 0; k < size; k++, n++) {
        const body = n % 97 === 0 ? new Uint8Array(20_000).fill(n & 0xff) : new Uint8Array([n & 0xff]);
        batch.push([`actor-${n % 13}`, { type: n % 2 ? 'read' : 'reply', tag: n, path: `/p/${n}`, body }, n]);
      }
      sent.push(...batch);
      plane.send(batch);
      if (b % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await until('every entry echoed', () => got.length >= sent.length, DEADLINE.converge, 5);
    expect(got.length).toBe(sent.length);
    got.forEach((e, i) => expect(e).toEqual(['echo', ...sent[i]!]));
    expect(plane.stats.bytesOut).toBeGreaterThan(8 * 8192);
    plane.close();
  });

  it('an entry that cannot be encoded is left out (logged); the rest of its batch and later batches go', async () => {
    const got: unknown[][] = [];
    const plane = echoPlane(8192, (batch) => got.push(...batch));
    plane.send([['a', { type: 'x', newKey: 1 }], ['b', { type: 'bad', fn: () => 1, otherKey: 2 }], ['c', { type: 'x', otherKey: 3 }]]);
    plane.send([['d', { type: 'x', otherKey: 4 }]]);
    await until('echoes', () => got.length >= 3, DEADLINE.answer, 5);
    expect(got).toEqual([
      ['echo', 'a', { type: 'x', newKey: 1 }],
      ['echo', 'c', { type: 'x', otherKey: 3 }],
      ['echo', 'd', { type: 'x', otherKey: 4 }],
    ]);
    plane.close();
  });
});

describe('data plane, a corrupt stream', () => {
  it('stops reading and says so (the runtime then replaces the thread)', async () => {
    const rings = createDataRings(8192);
    const got: unknown[][] = [];
    const corrupt: Error[] = [];
    const plane = new DataPlane<unknown[], unknown[]>(rings.down, rings.up, (batch) => got.push(...batch), 'test plane', (e) => corrupt.push(e));
    plane.start();
    // The "worker" side writes one good batch, then bytes that are no batch, then another good one.
    const other = new DataPlane<unknown[], unknown[]>(rings.up, rings.down, () => {});
    other.send([['a', { type: 'x' }]]);
    new RingWriter(rings.up).write(Buffer.from([0, 1, 0, 0, 0, 99, 99, 99]));
    await until('the corrupt batch noticed', () => corrupt.length > 0, DEADLINE.answer, 1);
    expect(got).toEqual([['a', { type: 'x' }]]);
    expect(corrupt[0]!.message).toMatch(/unknown tag 99/);
    plane.close();
  });
});

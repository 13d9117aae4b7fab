// The data plane's value codec (src/runtime/wire-codec.ts): what decodes is
// what a structured clone would give, atoms stay in step across batches.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundTripBatch } from '../../helpers/wire-round-trip.js';
import { Decoder, Encoder, KEEP_BYTES, MAX_ATOMS, SAME_WINDOW, registerMessageCodec } from '../../../src/runtime/wire-codec.js';

/** Encode `values` as one batch with `enc` and decode them again with `dec`. */
const roundTrip = (enc: Encoder, dec: Decoder, values: unknown[]): unknown[] => roundTripBatch(values, enc, dec).out;

describe('wire codec', () => {
  it('round-trips what messages hold, like a structured clone', () => {
    const values: unknown[] = [
      undefined, null, true, false, 0, -0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53 - 1, 0.5, NaN, Infinity, -Infinity,
      '', 'a', 'path/with/ünïcødé ✓ 🎉', 'x'.repeat(70_000), 'é'.repeat(40),
      new Uint8Array([1, 2, 3]), new Uint8Array(0), Buffer.from('buffer'),
      [], [1, [2, [3]]], { type: 'read', op: 'get', path: '/a', rev: undefined, tag: 7, nested: { a: [1, { b: 2 }] } },
      Object.assign(Object.create(null), { x: 1 }) as object,
      new Map<unknown, unknown>([['k', new Set([1, 2])]]), new Date(5), 12345678901234567890n, new Float64Array([1.5]),
    ];
    const out = roundTrip(new Encoder(16), new Decoder(), values);
    expect(out).toEqual(values.map((v) => (Buffer.isBuffer(v) ? new Uint8Array(v) : v)));
    expect(Object.is(out[5], -0)).toBe(true);
    expect(out[22]).toBeInstanceOf(Uint8Array);
    // Byte arrays arrive as copies of their own (not views into the batch).
    expect((out[21] as Uint8Array).buffer.byteLength).toBe(3);
    // A property whose value is undefined is kept, as structured clone keeps it.
    const read = out.find((v) => (v as { type?: string } | null)?.type === 'read') as object;
    expect(Object.keys(read)).toContain('rev');
  });

  it('keeps a sparse array sparse, an own __proto__ key a key, and deep nesting', () => {
    const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
    const proto = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as object;
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100; i++) deep = { d: deep };
    const [s, p, d] = roundTrip(new Encoder(), new Decoder(), [sparse, proto, deep]) as [unknown[], Record<string, unknown>, unknown];
    expect(1 in s).toBe(false);
    expect(s).toEqual(sparse);
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(Object.getOwnPropertyNames(p)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(d).toEqual(deep);
  });

  it('refuses functions and symbols (as structured clone does)', () => {
    const enc = new Encoder();
    enc.begin();
    expect(() => enc.value({ type: 'x', f: () => 1 })).toThrow();
    expect(() => enc.value(Symbol('s'))).toThrow();
  });

  it('sends atoms once per stream, in step across batches, and starts over when the table is full', () => {
    const enc = new Encoder();
    const dec = new Decoder();
    const msg = { type: 'reply', tag: 1, response: { tag: 1, rev: 5 } };
    expect(roundTrip(enc, dec, [msg])).toEqual([msg]);
    const first = enc.pos;
    expect(roundTrip(enc, dec, [msg])).toEqual([msg]);
    const second = enc.pos;
    expect(second).toBeLessThan(first); // keys and type went by number the second time
    // Many distinct atoms over many batches: the table starts over, the decoder follows.
    for (let b = 0; b < 5; b++) {
      const names = Array.from({ length: MAX_ATOMS / 2 + 7 }, (_, i) => `actor-${b}-${i}`);
      enc.begin();
      for (const n of names) enc.atom(n);
      enc.value(msg);
      const bytes = Buffer.from(enc.bytes());
      dec.begin(bytes, bytes.length);
      for (const n of names) expect(dec.string()).toBe(n);
      expect(dec.value()).toEqual(msg);
    }
  });

  it('rollback forgets the bytes and the new atoms of a value that failed half way', () => {
    const enc = new Encoder();
    const dec = new Decoder();
    enc.begin();
    enc.value({ type: 'ok', a: 1 });
    const m = enc.mark();
    expect(() => enc.value({ type: 'bad', newKey: 1, f: () => 0 })).toThrow();
    enc.rollback(m);
    enc.value({ type: 'bad', newKey: 2 });
    const bytes = Buffer.from(enc.bytes());
    dec.begin(bytes, bytes.length);
    expect(dec.value()).toEqual({ type: 'ok', a: 1 });
    expect(dec.value()).toEqual({ type: 'bad', newKey: 2 });
  });

  it('uses a registered message codec for its type', () => {
    interface Point { type: 'test-point'; x: number; y: number }
    registerMessageCodec<Point>({
      type: 'test-point',
      encode: (m, w) => {
        w.i32(m.x);
        w.i32(m.y);
      },
      decode: (r) => ({ type: 'test-point', x: r.i32(), y: r.i32() }),
    });
    const enc = new Encoder();
    enc.begin();
    enc.value({ type: 'test-point', x: 3, y: -4, ignored: 'not in the codec' });
    const bytes = Buffer.from(enc.bytes());
    const dec = new Decoder();
    dec.begin(bytes, bytes.length);
    expect(dec.value()).toEqual({ type: 'test-point', x: 3, y: -4 });
    // Bytes: batch flag, tag, new atom "test-point" (4 + 10), two int32.
    expect(bytes.length).toBe(1 + 1 + 1 + 4 + 10 + 8);
  });

  it('a huge batch does not keep a huge buffer', () => {
    const enc = new Encoder();
    const dec = new Decoder();
    const big = new Uint8Array(KEEP_BYTES + 1000).fill(7);
    expect((roundTrip(enc, dec, [big])[0] as Uint8Array).length).toBe(big.length);
    expect(enc.buf.length).toBeGreaterThan(KEEP_BYTES);
    expect(roundTrip(enc, dec, ['small'])).toEqual(['small']);
    expect(enc.buf.length).toBeLessThanOrEqual(64 * 1024);
  });

  it('says so when a batch is cut short or holds an unknown tag', () => {
    const dec = new Decoder();
    dec.begin(Buffer.from([0, 6, 10, 0, 0, 0, 97]), 7);
    expect(() => dec.value()).toThrow(/cut short/);
    dec.begin(Buffer.from([0, 99]), 2);
    expect(() => dec.value()).toThrow(/unknown tag 99/);
  });

  it('sends an object written again in one batch once, and decodes it once, shared', () => {
    const enc = new Encoder();
    const dec = new Decoder();
    const event = { seqn: 7, path: '/a', body: new Uint8Array([1, 2]), flags: 4, mutation: new Uint8Array(90).fill(3) };
    const batch = ['sub-1', 'sub-2', 'sub-3'].map((to) => [to, { type: 'store-event', event }]);
    const sizeOf = (entries: unknown[]): number => {
      const e = new Encoder();
      e.begin();
      for (const x of entries) e.value(x);
      return e.pos;
    };
    const out = roundTrip(enc, dec, batch) as [string, { event: object }][];
    expect(out).toEqual(batch);
    expect(out[1]![1].event).toBe(out[0]![1].event);
    expect(out[2]![1].event).toBe(out[0]![1].event);
    // Copies, not the same object: each is written in full.
    const copies = ['sub-1', 'sub-2', 'sub-3'].map((to) => [to, { type: 'store-event', event: { ...event } }]);
    expect(sizeOf(copies)).toBeGreaterThan(sizeOf(batch) + 2 * 90);
    // The next batch starts afresh: the object goes in full again, and still decodes equal.
    expect(roundTrip(enc, dec, [batch[0]])).toEqual([batch[0]]);
  });

  it('forgets objects of a rolled-back value, so a reference never points at what the decoder did not get', () => {
    const enc = new Encoder();
    const dec = new Decoder();
    const inner = { x: 1 };
    enc.begin();
    const m = enc.mark();
    expect(() => enc.value({ type: 'bad', inner, f: () => 0 })).toThrow();
    enc.rollback(m);
    enc.value({ type: 'ok', inner });
    enc.value({ type: 'ok2', inner });
    const bytes = Buffer.from(enc.bytes());
    dec.begin(bytes, bytes.length);
    const a = dec.value() as { inner: object };
    const b = dec.value() as { inner: object };
    expect(a).toEqual({ type: 'ok', inner });
    expect(b.inner).toBe(a.inner);
  });

  it('property: any batch of messages with repeated objects (some rolled back, some pushed out of the window) decodes equal to what was sent', () => {
    const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 80 }), fc.constant(undefined), fc.boolean());
    const objects = fc.array(fc.dictionary(fc.constantFrom('a', 'b', 'tag', 'path', 'body'), leaf, { maxKeys: 4 }), { minLength: 1, maxLength: 6 });
    // Each entry: a message holding one of the pool's objects (by index), maybe a second, and maybe an entry that fails and is rolled back.
    const entry = fc.record({ one: fc.nat(), two: fc.option(fc.nat()), fail: fc.boolean(), filler: fc.nat({ max: SAME_WINDOW + 2 }) });
    fc.assert(
      fc.property(objects, fc.array(entry, { maxLength: 40 }), fc.integer({ min: 1, max: 3 }), (pool, entries, batches) => {
        const enc = new Encoder(32);
        const dec = new Decoder();
        for (let b = 0; b < batches; b++) {
          const sent: unknown[] = [];
          enc.begin();
          for (const e of entries) {
            const msg: Record<string, unknown> = { type: 'm', one: pool[e.one % pool.length] };
            if (e.two !== null) msg.two = pool[e.two % pool.length];
            // Fillers push older objects out of the window.
            msg.fill = Array.from({ length: e.filler }, (_, i) => ({ i }));
            if (e.fail) {
              const m = enc.mark();
              expect(() => enc.value({ ...msg, bad: () => 0 })).toThrow();
              enc.rollback(m);
            }
            enc.value(msg);
            sent.push(msg);
          }
          const bytes = Buffer.from(enc.bytes());
          dec.begin(bytes, bytes.length);
          const got: unknown[] = [];
          while (!dec.done) got.push(dec.value());
          expect(got).toEqual(sent);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('writes a data-plane entry with its names as atoms: equal when decoded, the same string every time, smaller from the second batch on', () => {
    const enc = new Encoder();
    const dec = new Decoder();
    const name = 'client-session:12@127.0.0.1:5555';
    const entry = ['m', name, { type: 'x', n: 1 }, 'store', 7, 'é'.repeat(200)];
    const sizes: number[] = [];
    for (let b = 0; b < 2; b++) {
      enc.begin();
      enc.entry(entry);
      enc.entry([name, { type: 'y' }, -1.5]);
      sizes.push(enc.pos);
      const bytes = Buffer.from(enc.bytes());
      dec.begin(bytes, bytes.length);
      expect(dec.value()).toEqual(entry);
      expect(dec.value()).toEqual([name, { type: 'y' }, -1.5]);
    }
    expect(sizes[1]).toBeLessThan(sizes[0]! - name.length);
  });
});

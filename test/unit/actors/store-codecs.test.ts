// The hand-written data-plane encodings of `read` and `reply`
// (src/actors/store/codecs.ts): whatever a message of either type holds, it
// decodes equal to what was sent (the usual shape by the fast path, anything
// else by the generic one), in step with the rest of the batch, and the fast
// path is the one the node's messages take.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../../../src/actors/store/codecs.js';
import { roundTripBatch } from '../../helpers/wire-round-trip.js';

/** Encode `values` as one batch with a fresh encoder and decoder, decode them. */
const roundTrip = (values: unknown[]): { out: unknown[]; bytes: number } => roundTripBatch(values);

const int32 = fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.integer({ min: -3, max: 300 }));
const odd = fc.oneof(fc.double(), fc.constant(-0), fc.constant(2 ** 31), fc.string({ maxLength: 4 }), fc.constant(undefined), fc.constant(null), fc.constant([1]));
const str = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('/', '/bench/c1/k7', ''));
const bytes = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 70 }).map((b) => Buffer.from(b)));
const rev = fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -2, max: 1 << 20 }), fc.double());

const response = fc.record(
  { tag: int32, flags: int32, rev, path: str, value: bytes, len: int32, errCode: int32, errDetail: str },
  { requiredKeys: [] },
);
/** Responses that leave the fast path: a wrong type, an unknown key, a key present as undefined. */
const oddResponse = fc.oneof(
  fc.tuple(response, fc.constantFrom('tag', 'flags', 'len', 'errCode', 'value', 'path'), odd).map(([r, k, v]) => ({ ...r, [k]: v })),
  fc.tuple(response, fc.string({ minLength: 1, maxLength: 5 }), int32).map(([r, k, v]) => ({ ...r, [`x${k}`]: v })),
);
const reply = fc.record({ type: fc.constant('reply'), tag: int32, response: fc.oneof(response, oddResponse) });
const oddReply = fc.oneof(
  fc.record({ type: fc.constant('reply'), tag: odd, response }),
  fc.record({ type: fc.constant('reply'), tag: int32, response, extra: str }),
  fc.record({ type: fc.constant('reply'), tag: int32 }),
);

const read = fc.record(
  { type: fc.constant('read'), op: fc.constantFrom('get', 'stat', 'getdir', 'walk'), path: str, replyTo: str, tag: int32, rev, offset: int32 },
  { requiredKeys: ['type', 'op', 'path', 'replyTo', 'tag'] },
);
const oddRead = fc.oneof(
  fc.tuple(read, fc.constantFrom('op', 'path', 'replyTo', 'tag', 'rev', 'offset'), odd).map(([r, k, v]) => ({ ...r, [k]: v })),
  fc.tuple(read, str).map(([r, x]) => ({ ...r, extra: x })),
);

/** What a structured clone of `v` gives (Buffers arrive as Uint8Arrays): the reference. */
const cloned = (v: unknown): unknown => structuredClone(v, {});

describe('data-plane codecs of read and reply', () => {
  it('property: any reply or read decodes equal to what was sent, among other values of the batch', () => {
    const anyMessage = fc.oneof(reply, oddReply, read, oddRead, fc.record({ type: fc.constant('other'), n: int32 }));
    fc.assert(
      fc.property(fc.array(anyMessage, { minLength: 1, maxLength: 12 }), (msgs) => {
        const { out } = roundTrip(msgs);
        expect(out).toEqual(msgs.map(cloned));
        // Byte arrays come out as copies of their own, as Uint8Arrays.
        for (const m of out) {
          const v = (m as { response?: { value?: unknown } }).response?.value;
          if (v instanceof Uint8Array) expect(Object.getPrototypeOf(v)).toBe(Uint8Array.prototype);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a key present as undefined, as structured clone does', () => {
    const m = { type: 'reply', tag: 1, response: { tag: 1, value: undefined, rev: 3 } };
    const { out } = roundTrip([m]);
    expect(Object.keys((out[0] as typeof m).response)).toEqual(['tag', 'value', 'rev']);
  });

  it('takes the fast path for what the store and the sessions send (smaller than the generic encoding)', () => {
    const value = new Uint8Array(64).fill(120);
    const replies = Array.from({ length: 8 }, (_, i) => ({ type: 'reply', tag: i, response: { tag: i, value, rev: 123456 + i } }));
    const reads = Array.from({ length: 8 }, (_, i) => ({ type: 'read', op: 'get', path: `/bench/c1/k${i}`, replyTo: 'client-session:1@127.0.0.1:4000', tag: i }));
    // The same shapes under another type take the generic encoding.
    const generic = (ms: object[]) => roundTrip(ms.map((m) => ({ ...m, type: 'generic' }))).bytes;
    expect(roundTrip(replies).bytes).toBeLessThan(generic(replies) - 8 * 20);
    expect(roundTrip(reads).bytes).toBeLessThan(generic(reads) - 8 * 15);
    expect(roundTrip([...replies, ...reads]).out).toEqual([...replies, ...reads]);
  });
});

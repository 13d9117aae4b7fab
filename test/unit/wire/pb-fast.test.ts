// The hand-written client-protocol codec (src/wire/pb-fast.ts) against
// protobufjs: byte-identical frames, identical decoded messages, and the
// same outcome (a value or a throw) on arbitrary and truncated bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRequest, decodeRequestPb, decodeResponse, decodeResponsePb,
  encodeRequest, encodeRequestFrame, encodeRequestPb, encodeResponse, encodeResponseFrame, encodeResponsePb,
  type Request, type Response,
} from '../../../src/wire/client-codec.js';
import { decodeRequestFast, decodeResponseFast, requestFrame, responseFrame } from '../../../src/wire/pb-fast.js';
import { frame } from '../../../src/wire/framing.js';

const int32 = fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.integer({ min: -3, max: 300 }));
const int64 = fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -3, max: 1 << 20 }), fc.constantFrom(-2, -1, 0, 2 ** 31, 2 ** 32, 2 ** 53 - 1, -(2 ** 53) + 1));
const str = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('/', '/a/b', '/**', ''));
const bytes = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));

const request = fc.record(
  { tag: int32, verb: int32, path: str, value: bytes, otherTag: int32, offset: int32, rev: int64 },
  { requiredKeys: [] },
) as fc.Arbitrary<Request>;
const response = fc.record(
  { tag: int32, flags: int32, rev: int64, path: str, value: bytes, len: int32, errCode: fc.oneof(int32, fc.constantFrom(4, 127)), errDetail: str },
  { requiredKeys: [] },
) as fc.Arbitrary<Response>;

/** The same outcome: equal values, or both throw. */
function same<T>(a: () => T, b: () => T): void {
  let ra: T | Error;
  let rb: T | Error;
  try {
    ra = a();
  } catch (e) {
    ra = e as Error;
  }
  try {
    rb = b();
  } catch (e) {
    rb = e as Error;
  }
  if (ra instanceof Error || rb instanceof Error) {
    expect(ra instanceof Error, `fast: ${String(ra)}, protobufjs: ${String(rb)}`).toBe(rb instanceof Error);
  } else expect(ra).toEqual(rb);
}

describe('hand-written client codec', () => {
  it('encodes requests byte for byte as protobufjs', () => {
    fc.assert(
      fc.property(request, (r) => {
        expect(Buffer.from(encodeRequest(r)).toString('hex')).toBe(Buffer.from(encodeRequestPb(r)).toString('hex'));
        expect(encodeRequestFrame(r).toString('hex')).toBe(frame(encodeRequestPb(r)).toString('hex'));
      }),
      { numRuns: 3000 },
    );
  });

  it('encodes responses byte for byte as protobufjs (errors: tag, code and detail only)', () => {
    fc.assert(
      fc.property(response, (r) => {
        expect(Buffer.from(encodeResponse(r)).toString('hex')).toBe(Buffer.from(encodeResponsePb(r)).toString('hex'));
        expect(encodeResponseFrame(r).toString('hex')).toBe(frame(encodeResponsePb(r)).toString('hex'));
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the fast path for what the protocol sends (a WAIT answer, a SET with rev -1, an error)', () => {
    expect(responseFrame({ tag: 7, path: '/w/1', rev: 123456, value: Buffer.from('x'), flags: 4 })).toBeDefined();
    expect(responseFrame({ tag: 7, errCode: 4, errDetail: 'too late' })).toBeDefined();
    expect(requestFrame({ tag: 3, verb: 2, path: '/w/1', rev: -1, value: Buffer.from('v') })).toBeDefined();
    expect(decodeRequestFast(encodeRequestPb({ tag: 3, verb: 2, path: '/w/1', rev: -1, value: Buffer.from('v') }))).toEqual({
      tag: 3, verb: 2, path: '/w/1', rev: -1, value: Buffer.from('v'),
    });
    // Left to protobufjs: a lone surrogate (protobufjs's own encoding of it depends on the string's length), a fraction.
    expect(responseFrame({ tag: 1, path: '/\ud800' })).toBeUndefined();
    expect(requestFrame({ tag: 1.5 })).toBeUndefined();
  });

  it('decodes what protobufjs encodes as protobufjs does', () => {
    fc.assert(
      fc.property(request, response, (q, r) => {
        const qb = encodeRequestPb(q);
        const rb = encodeResponsePb(r);
        // The fast path answers, or leaves it to protobufjs (a negative int32: a 10-byte varint).
        expect(decodeRequestFast(qb) ?? decodeRequestPb(qb)).toEqual(decodeRequestPb(qb));
        expect(decodeResponseFast(rb) ?? decodeResponsePb(rb)).toEqual(decodeResponsePb(rb));
        expect(decodeRequest(qb)).toEqual(decodeRequestPb(qb));
        expect(decodeResponse(rb)).toEqual(decodeResponsePb(rb));
        if ([q.tag, q.verb, q.otherTag, q.offset].every((v) => v === undefined || v >= 0)) expect(decodeRequestFast(qb)).toBeDefined();
      }),
      { numRuns: 3000 },
    );
  });

  it('same outcome as protobufjs on arbitrary bytes, truncated messages and unknown fields', () => {
    const mangled = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.tuple(request, fc.nat()).map(([q, n]) => {
        const b = encodeRequestPb(q);
        return b.subarray(0, n % (b.length + 1));
      }),
      fc.tuple(response, fc.nat()).map(([r, n]) => {
        const b = encodeResponsePb(r);
        return b.subarray(0, n % (b.length + 1));
      }),
      // An unknown field (id 50..60, any wire type) in front of a valid message.
      fc.tuple(fc.integer({ min: 50, max: 60 }), fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 12 }), request).map(
        ([id, wt, body, q]) => Buffer.concat([Buffer.from([((id << 3) | wt) & 0x7f | 0x80, id >> 4]), body, encodeRequestPb(q)]),
      ),
    );
    fc.assert(
      // As Buffers, as frames come from a socket: protobufjs reads a plain
      // Uint8Array's strings with its own UTF-8 decoder, which treats bytes
      // that are not UTF-8 otherwise (a rare failure of this property).
      fc.property(mangled.map((u) => Buffer.from(u)), (b) => {
        same(() => decodeRequest(b), () => decodeRequestPb(b));
        same(() => decodeResponse(b), () => decodeResponsePb(b));
      }),
      { numRuns: 5000 },
    );
  });
});

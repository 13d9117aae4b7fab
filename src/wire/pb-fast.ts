// Hand-written protobuf encoding and decoding of the client protocol's
// Request and Response (proto/msg.proto), for the per-request path: a WAIT
// answer costs one size pass and one write into one buffer, where protobufjs
// built a writer with one operation object per field, then copied the result
// into a frame. The bytes are those protobufjs writes (fields in id order,
// negative int32/int64 as 10-byte varints), checked by
// test/unit/wire/pb-fast.test.ts against protobufjs on random messages.
//
// Only the common case is handled here: integer numbers within 2^53,
// Uint8Array values, strings without UTF-16 surrogates (protobufjs encodes a
// lone surrogate differently from Buffer, by string length), and, when
// decoding, well-formed messages whose known fields have their usual wire
// type. Everything else returns undefined and the caller falls back to
// protobufjs, so behaviour on odd input is exactly protobufjs's.
//
// Requests and answers each have their own unrolled encoder and decoder on
// purpose: one table-driven version of each was tried and was 30-45% slower
// per message (decoding) and up to 2x (encoding), on the path this file
// exists to make cheap.
import type { Request, Response } from './client-codec.js';

const SURROGATE = /[\ud800-\udfff]/;
const TWO32 = 4294967296;

/** Bytes of the varint protobufjs writes for the int32/int64 `v` (integer, |v| < 2^53): 10 for negatives. */
function varintSize(v: number): number {
  if (v < 0) return 10;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 4;
  v = Math.floor(v / 0x10000000);
  while (v > 0) {
    n++;
    v = Math.floor(v / 0x80);
  }
  return n;
}

/** Writes the varint of `v` (as varintSize) at `pos`; returns the position after it. */
function writeVarint(buf: Buffer, pos: number, v: number): number {
  if (v >= 0 && v < 0x80000000) {
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    return pos;
  }
  // 64-bit two's complement, as two 32-bit halves.
  let lo = v >>> 0;
  let hi = Math.floor(v / TWO32) >>> 0;
  while (hi > 0 || lo > 0x7f) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

/** A number this encoder writes as protobufjs does. */
const okInt = (v: number): boolean => Number.isSafeInteger(v);
/** For an int32 field: protobufjs writes v >>> 0 for v >= 0, so only the int32 range is the same number. */
const okInt32 = (v: number): boolean => Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff;

/** Strings up to this many chars are checked for ASCII and copied byte by byte (cheaper than a native call for a path). */
const SHORT = 64;

/** UTF-8 length of `s` if it is short and ASCII (written by copyAscii), else -1. */
function asciiLength(s: string): number {
  const n = s.length;
  if (n > SHORT) return -1;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return -1;
  return n;
}

/** UTF-8 length of a string field, or -1 when it is left to protobufjs. */
function strLength(s: unknown): number {
  if (typeof s !== 'string') return -1;
  const n = asciiLength(s);
  if (n >= 0) return n;
  return SURROGATE.test(s) ? -1 : Buffer.byteLength(s, 'utf8');
}

/** Writes string `s` (UTF-8 length `n`) at `p`; returns the position after it. */
function writeStr(buf: Buffer, p: number, s: string, n: number): number {
  if (n === s.length && n <= SHORT) {
    for (let i = 0; i < n; i++) buf[p + i] = s.charCodeAt(i);
    return p + n;
  }
  return p + buf.write(s, p, 'utf8');
}
const okBytes = (b: unknown): b is Uint8Array => b instanceof Uint8Array;

/**
 * The frame (4-byte big-endian length, then the encoded Response) for `r`,
 * or undefined when `r` holds something this encoder leaves to protobufjs.
 * With errCode set only tag, err_code and err_detail are written, as
 * encodeResponse does (spec/protocol.md).
 */
export function responseFrame(r: Response): Buffer | undefined {
  const { tag, errCode } = r;
  let size = 0;
  if (tag !== undefined) {
    if (!okInt32(tag)) return undefined;
    size += 1 + varintSize(tag);
  }
  if (errCode !== undefined) {
    const detail = r.errDetail;
    if (!okInt32(errCode)) return undefined;
    size += 2 + varintSize(errCode);
    let dlen = 0;
    if (detail !== undefined) {
      dlen = strLength(detail);
      if (dlen < 0) return undefined;
      size += 2 + varintSize(dlen) + dlen;
    }
    const buf = Buffer.allocUnsafe(4 + size);
    buf.writeUInt32BE(size, 0);
    let p = 4;
    if (tag !== undefined) {
      buf[p++] = 0x08;
      p = writeVarint(buf, p, tag);
    }
    buf[p++] = 0xa0; // field 100, varint
    buf[p++] = 0x06;
    p = writeVarint(buf, p, errCode);
    if (detail !== undefined) {
      buf[p++] = 0xaa; // field 101, length-delimited
      buf[p++] = 0x06;
      p = writeVarint(buf, p, dlen);
      writeStr(buf, p, detail, dlen);
    }
    return buf;
  }
  const { flags, rev, path, value, len } = r;
  let plen = 0;
  if (flags !== undefined) {
    if (!okInt32(flags)) return undefined;
    size += 1 + varintSize(flags);
  }
  if (rev !== undefined) {
    if (!okInt(rev)) return undefined;
    size += 1 + varintSize(rev);
  }
  if (path !== undefined) {
    plen = strLength(path);
    if (plen < 0) return undefined;
    size += 1 + varintSize(plen) + plen;
  }
  if (value !== undefined) {
    if (!okBytes(value)) return undefined;
    size += 1 + varintSize(value.length) + value.length;
  }
  if (len !== undefined) {
    if (!okInt32(len)) return undefined;
    size += 1 + varintSize(len);
  }
  const buf = Buffer.allocUnsafe(4 + size);
  buf.writeUInt32BE(size, 0);
  let p = 4;
  if (tag !== undefined) {
    buf[p++] = 0x08;
    p = writeVarint(buf, p, tag);
  }
  if (flags !== undefined) {
    buf[p++] = 0x10;
    p = writeVarint(buf, p, flags);
  }
  if (rev !== undefined) {
    buf[p++] = 0x18;
    p = writeVarint(buf, p, rev);
  }
  if (path !== undefined) {
    buf[p++] = 0x2a;
    p = writeVarint(buf, p, plen);
    p = writeStr(buf, p, path, plen);
  }
  if (value !== undefined) {
    buf[p++] = 0x32;
    p = writeVarint(buf, p, value.length);
    buf.set(value, p);
    p += value.length;
  }
  if (len !== undefined) {
    buf[p++] = 0x40;
    p = writeVarint(buf, p, len);
  }
  return buf;
}

/**
 * The frame for Request `r` (fields in id order), or undefined to leave it to
 * protobufjs. `tag`, when given, replaces r.tag (a client sets it per send
 * without copying the request).
 */
export function requestFrame(r: Request, tag: number | undefined = r.tag): Buffer | undefined {
  const { verb, path, value, otherTag, offset, rev } = r;
  let size = 0;
  let plen = 0;
  if (tag !== undefined) {
    if (!okInt32(tag)) return undefined;
    size += 1 + varintSize(tag);
  }
  if (verb !== undefined) {
    if (!okInt32(verb)) return undefined;
    size += 1 + varintSize(verb);
  }
  if (path !== undefined) {
    plen = strLength(path);
    if (plen < 0) return undefined;
    size += 1 + varintSize(plen) + plen;
  }
  if (value !== undefined) {
    if (!okBytes(value)) return undefined;
    size += 1 + varintSize(value.length) + value.length;
  }
  if (otherTag !== undefined) {
    if (!okInt32(otherTag)) return undefined;
    size += 1 + varintSize(otherTag);
  }
  if (offset !== undefined) {
    if (!okInt32(offset)) return undefined;
    size += 1 + varintSize(offset);
  }
  if (rev !== undefined) {
    if (!okInt(rev)) return undefined;
    size += 1 + varintSize(rev);
  }
  const buf = Buffer.allocUnsafe(4 + size);
  buf.writeUInt32BE(size, 0);
  let p = 4;
  if (tag !== undefined) {
    buf[p++] = 0x08;
    p = writeVarint(buf, p, tag);
  }
  if (verb !== undefined) {
    buf[p++] = 0x10;
    p = writeVarint(buf, p, verb);
  }
  if (path !== undefined) {
    buf[p++] = 0x22;
    p = writeVarint(buf, p, plen);
    p = writeStr(buf, p, path, plen);
  }
  if (value !== undefined) {
    buf[p++] = 0x2a;
    p = writeVarint(buf, p, value.length);
    buf.set(value, p);
    p += value.length;
  }
  if (otherTag !== undefined) {
    buf[p++] = 0x30;
    p = writeVarint(buf, p, otherTag);
  }
  if (offset !== undefined) {
    buf[p++] = 0x38;
    p = writeVarint(buf, p, offset);
  }
  if (rev !== undefined) {
    buf[p++] = 0x48;
    p = writeVarint(buf, p, rev);
  }
  return buf;
}

/**
 * A varint reader over one message. `lo`/`hi` hold the last 64-bit varint
 * read; `ok` turns false on anything this decoder leaves to protobufjs
 * (truncated input, a varint longer than 10 bytes).
 */
class Reader {
  pos = 0;
  ok = true;
  lo = 0;
  hi = 0;
  constructor(readonly buf: Uint8Array) {}

  /** Reads a varint into lo/hi. */
  varint(): void {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    let i = 0;
    for (; i < 4; i++) {
      if (this.pos >= buf.length) return void (this.ok = false);
      const b = buf[this.pos++]!;
      lo = (lo | ((b & 0x7f) << (i * 7))) >>> 0;
      if (b < 0x80) {
        this.lo = lo;
        this.hi = 0;
        return;
      }
    }
    // Byte 5: 4 bits to lo, 3 to hi.
    if (this.pos >= buf.length) return void (this.ok = false);
    let b = buf[this.pos++]!;
    lo = (lo | ((b & 0x7f) << 28)) >>> 0;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      for (i = 0; i < 5; i++) {
        if (this.pos >= buf.length) return void (this.ok = false);
        b = buf[this.pos++]!;
        hi = (hi | ((b & 0x7f) << (i * 7 + 3))) >>> 0;
        if (b < 0x80) break;
      }
      if (b >= 0x80) return void (this.ok = false);
    }
    this.lo = lo;
    this.hi = hi;
  }

  /**
   * A varint of at most 5 bytes, as an unsigned 32-bit number (protobufjs's
   * uint32, used for keys, lengths and int32 fields). A longer one (a
   * negative int32) sets ok false: protobufjs then skips 5 bytes unread,
   * which is left to it.
   */
  uint32(): number {
    const buf = this.buf;
    let v = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= buf.length) {
        this.ok = false;
        return 0;
      }
      const b = buf[this.pos++]!;
      v = (v | ((b & 0x7f) << (i * 7))) >>> 0;
      if (b < 0x80) return v;
    }
    this.ok = false;
    return 0;
  }

  /** An int32 field (protobufjs: uint32, then signed). */
  int32(): number {
    return this.uint32() | 0;
  }

  /** The last varint as a signed 64-bit number (protobufjs's LongBits.toNumber). */
  int64(): number {
    this.varint();
    const { lo, hi } = this;
    if (hi >>> 31) {
      const nlo = (~lo + 1) >>> 0;
      let nhi = ~hi >>> 0;
      if (!nlo) nhi = (nhi + 1) >>> 0;
      return this.safe(-(nlo + nhi * TWO32));
    }
    return this.safe(lo + hi * TWO32);
  }

  /** `v`, or ok false beyond 2^53 (where rounding could differ from protobufjs's Long). */
  private safe(v: number): number {
    if (!Number.isSafeInteger(v)) this.ok = false;
    return v;
  }

  /** A length-delimited field's bounds [start, end), or undefined (and ok false) when truncated. */
  span(): number | undefined {
    const n = this.uint32();
    if (!this.ok || this.pos + n > this.buf.length) {
      this.ok = false;
      return undefined;
    }
    const start = this.pos;
    this.pos += n;
    return start;
  }

  /** Skips an unknown field of wire type `wt` (0, 1, 2, 5; anything else: ok false). */
  skip(wt: number): void {
    if (wt === 0) this.varint();
    else if (wt === 2) this.span();
    else if (wt === 1 || wt === 5) {
      this.pos += wt === 1 ? 8 : 4;
      if (this.pos > this.buf.length) this.ok = false;
    } else this.ok = false;
  }
}

/** Node's Buffer#utf8Slice (what protobufjs reads strings with): toString('utf8') without its argument checks. */
type WithUtf8Slice = Buffer & { utf8Slice?(start: number, end: number): string };
const utf8 = (buf: WithUtf8Slice, start: number, end: number): string =>
  buf.utf8Slice ? buf.utf8Slice(start, end) : buf.toString('utf8', start, end);

/** The bytes as a Buffer (no copy): strings decode with Node's UTF-8 decoder, as protobufjs's BufferReader does. */
const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Decodes a Request, or undefined to leave it to protobufjs (odd or malformed input). */
export function decodeRequestFast(bytes: Uint8Array): Request | undefined {
  const buf = asBuffer(bytes);
  const r = new Reader(buf);
  const out: Request = {};
  while (r.pos < buf.length) {
    const key = r.uint32();
    if (!r.ok) return undefined;
    const field = key >>> 3;
    const wt = key & 7;
    switch (field) {
      case 1:
      case 2:
      case 6:
      case 7: {
        if (wt !== 0) return undefined;
        const v = r.int32();
        if (field === 1) out.tag = v;
        else if (field === 2) out.verb = v;
        else if (field === 6) out.otherTag = v;
        else out.offset = v;
        break;
      }
      case 9:
        if (wt !== 0) return undefined;
        out.rev = r.int64();
        break;
      case 4:
      case 5: {
        if (wt !== 2) return undefined;
        const start = r.span();
        if (start === undefined) return undefined;
        if (field === 4) out.path = utf8(buf, start, r.pos);
        else out.value = buf.subarray(start, r.pos);
        break;
      }
      default:
        if (field === 0) return undefined;
        r.skip(wt);
    }
    if (!r.ok) return undefined;
  }
  return out;
}

/** Decodes a Response, or undefined to leave it to protobufjs (odd or malformed input). */
export function decodeResponseFast(bytes: Uint8Array): Response | undefined {
  const buf = asBuffer(bytes);
  const r = new Reader(buf);
  const out: Response = {};
  while (r.pos < buf.length) {
    const key = r.uint32();
    if (!r.ok) return undefined;
    const field = key >>> 3;
    const wt = key & 7;
    switch (field) {
      case 1:
      case 2:
      case 8:
      case 100: {
        if (wt !== 0) return undefined;
        const v = r.int32();
        if (field === 1) out.tag = v;
        else if (field === 2) out.flags = v;
        else if (field === 8) out.len = v;
        else out.errCode = v;
        break;
      }
      case 3:
        if (wt !== 0) return undefined;
        out.rev = r.int64();
        break;
      case 5:
      case 6:
      case 101: {
        if (wt !== 2) return undefined;
        const start = r.span();
        if (start === undefined) return undefined;
        if (field === 5) out.path = utf8(buf, start, r.pos);
        else if (field === 6) out.value = buf.subarray(start, r.pos);
        else out.errDetail = utf8(buf, start, r.pos);
        break;
      }
      default:
        if (field === 0) return undefined;
        r.skip(wt);
    }
    if (!r.ok) return undefined;
  }
  return out;
}

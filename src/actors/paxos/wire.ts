// Wire codec of consensus.Msg (proto/consensus.proto), hand-written for the
// hot path: one datagram = one Msg. Byte-compatible with protobuf proto2
// (checked against protobufjs in test/unit/paxos/wire.test.ts).
//
//   cmd=1 (varint)  seqn=2 (int64)  crnd=3 (int64)  vrnd=4 (int64)  value=5 (bytes)
//
// Encoding writes fields in number order and leaves out crnd, vrnd and value
// when they are 0/empty (proto2 optional: absent reads as 0). Decoding skips
// unknown fields and returns null for a malformed datagram or one without
// cmd or seqn (spec: such a message is discarded).

import { EMPTY, type PaxosMsg } from './types.js';

/** Largest datagram the protocol allows (spec/consensus.md). */
export const MAX_DATAGRAM = 3000;

function varintLen(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function putVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

function checkInt(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`consensus Msg: ${name} must be a non-negative safe integer, got ${n}`);
}

/** Encoded size of `m`. */
export function encodedSize(m: PaxosMsg): number {
  let n = 1 + varintLen(m.cmd) + 1 + varintLen(m.seqn);
  if (m.crnd !== 0) n += 1 + varintLen(m.crnd);
  if (m.vrnd !== 0) n += 1 + varintLen(m.vrnd);
  if (m.value.length > 0) n += 1 + varintLen(m.value.length) + m.value.length;
  return n;
}

// Small slab allocator: a fresh Uint8Array per message is an off-heap
// allocation (~0.5 us for 100+ bytes); views of a shared slab are ~10x cheaper.
// Slices are never reused, so handing them out is safe; a slab is freed when
// its last slice is. Plain Uint8Array (not Buffer), so a consumer's `.slice()`
// copies instead of pinning the slab.
const SLAB = 16 * 1024;
let slab = new Uint8Array(SLAB);
let slabUsed = 0;

function alloc(n: number): Uint8Array {
  if (n <= 48 || n > SLAB / 4) return new Uint8Array(n);
  if (slabUsed + n > SLAB) {
    slab = new Uint8Array(SLAB);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += n;
  return out;
}

/** Encode one message. Throws RangeError for negative or unsafe numbers. */
export function encodeMsg(m: PaxosMsg): Uint8Array {
  checkInt('cmd', m.cmd);
  checkInt('seqn', m.seqn);
  checkInt('crnd', m.crnd);
  checkInt('vrnd', m.vrnd);
  const buf = alloc(encodedSize(m));
  let p = 0;
  buf[p++] = 0x08;
  p = putVarint(buf, p, m.cmd);
  buf[p++] = 0x10;
  p = putVarint(buf, p, m.seqn);
  if (m.crnd !== 0) {
    buf[p++] = 0x18;
    p = putVarint(buf, p, m.crnd);
  }
  if (m.vrnd !== 0) {
    buf[p++] = 0x20;
    p = putVarint(buf, p, m.vrnd);
  }
  if (m.value.length > 0) {
    buf[p++] = 0x2a;
    p = putVarint(buf, p, m.value.length);
    buf.set(m.value, p);
  }
  return buf;
}

/**
 * Decode one datagram. `value` is a copy (the receive buffer may be reused).
 * Null if malformed, if cmd or seqn is missing, or if a number is out of range
 * (negative int64s arrive as 10-byte varints >= 2^63).
 */
export function decodeMsg(buf: Uint8Array): PaxosMsg | null {
  const end = buf.length;
  let p = 0;
  let cmd = -1;
  let seqn = -1;
  let crnd = 0;
  let vrnd = 0;
  let value: Uint8Array = EMPTY;
  while (p < end) {
    // Tag (field numbers here are small: one byte, else the generic path).
    let tag = buf[p++]!;
    if (tag >= 128) {
      let mul = 128;
      tag &= 127;
      for (let i = 1; ; i++) {
        if (p >= end || i >= 5) return null;
        const b = buf[p++]!;
        tag += (b & 127) * mul;
        if (b < 128) break;
        mul *= 128;
      }
    }
    const field = tag >>> 3;
    const wt = tag & 7;
    if (wt === 0) {
      // Varint: up to 10 bytes; values beyond 2^53 are out of range.
      let v = 0;
      let mul = 1;
      for (let i = 0; ; i++) {
        if (p >= end || i >= 10) return null;
        const b = buf[p++]!;
        v += (b & 127) * mul;
        if (b < 128) break;
        mul *= 128;
      }
      if (v > Number.MAX_SAFE_INTEGER) v = -2;
      if (field === 1) cmd = v;
      else if (field === 2) seqn = v;
      else if (field === 3) crnd = v;
      else if (field === 4) vrnd = v;
      else if (field === 0 || field === 5) return null;
    } else if (wt === 2) {
      let len = 0;
      let mul = 1;
      for (let i = 0; ; i++) {
        if (p >= end || i >= 5) return null;
        const b = buf[p++]!;
        len += (b & 127) * mul;
        if (b < 128) break;
        mul *= 128;
      }
      if (p + len > end) return null;
      if (field === 5) {
        // A plain Uint8Array copy (Buffer#slice would be a view of the receive buffer).
        value = alloc(len);
        value.set(buf.subarray(p, p + len));
      } else if (field >= 0 && field <= 4) {
        return null;
      }
      p += len;
    } else if (wt === 1 || wt === 5) {
      if (field <= 5) return null;
      p += wt === 1 ? 8 : 4;
      if (p > end) return null;
    } else {
      return null;
    }
  }
  // Absent cmd or seqn: discard. Out-of-range numbers (-2) likewise.
  if (cmd < 0 || seqn < 0 || crnd < 0 || vrnd < 0) return null;
  return { cmd, seqn, crnd, vrnd, value };
}

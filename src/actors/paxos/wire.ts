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

/** Encode one message. Throws RangeError for negative or unsafe numbers. */
export function encodeMsg(m: PaxosMsg): Uint8Array {
  checkInt('cmd', m.cmd);
  checkInt('seqn', m.seqn);
  checkInt('crnd', m.crnd);
  checkInt('vrnd', m.vrnd);
  const buf = new Uint8Array(encodedSize(m));
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

// Decoder state, reused (the decoder is synchronous and not re-entrant).
let pos = 0;

/** A varint as a number; -1 if malformed or truncated; values >= 2^53 (and negative int64s) give -2. */
function getVarint(buf: Uint8Array): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) return -1;
    const b = buf[pos++]!;
    result += (b & 127) * mul;
    if (b < 128) return result > Number.MAX_SAFE_INTEGER ? -2 : result;
    mul *= 128;
  }
  return -1;
}

/**
 * Decode one datagram. `value` is a copy (the receive buffer may be reused).
 * Null if malformed, if cmd or seqn is missing, or if a number is out of range.
 */
export function decodeMsg(buf: Uint8Array): PaxosMsg | null {
  pos = 0;
  let cmd = -1;
  let seqn = -1;
  let crnd = 0;
  let vrnd = 0;
  let value: Uint8Array = EMPTY;
  while (pos < buf.length) {
    const tag = getVarint(buf);
    if (tag < 0) return null;
    const field = Math.floor(tag / 8);
    const wt = tag % 8;
    if (field >= 1 && field <= 4) {
      if (wt !== 0) return null;
      const v = getVarint(buf);
      if (v === -1) return null;
      if (field === 1) cmd = v;
      else if (field === 2) seqn = v;
      else if (field === 3) crnd = v;
      else vrnd = v;
    } else if (field === 5) {
      if (wt !== 2) return null;
      const len = getVarint(buf);
      if (len < 0 || pos + len > buf.length) return null;
      // A plain Uint8Array copy (Buffer#slice would be a view of the receive buffer).
      value = new Uint8Array(len);
      value.set(buf.subarray(pos, pos + len));
      pos += len;
    } else if (field === 0) {
      return null;
    } else {
      // Unknown field: skip it.
      if (wt === 0) {
        if (getVarint(buf) === -1) return null;
      } else if (wt === 1) {
        pos += 8;
      } else if (wt === 5) {
        pos += 4;
      } else if (wt === 2) {
        const len = getVarint(buf);
        if (len < 0) return null;
        pos += len;
      } else {
        return null;
      }
      if (pos > buf.length) return null;
    }
  }
  // Absent cmd or seqn: discard. Out-of-range numbers (-2) likewise.
  if (cmd < 0 || seqn < 0 || crnd < 0 || vrnd < 0) return null;
  return { cmd, seqn, crnd, vrnd, value };
}

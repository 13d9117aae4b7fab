// A raw protobuf field writer for the fuzzers: fields of any number with any
// wire type (so a string field can arrive as a varint, a length can lie),
// which the real encoder would never produce.

/** Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 (3, 4 groups, 6, 7 invalid). */
export type WireType = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export function varint(n: bigint): number[] {
  let v = BigInt.asUintN(64, n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

/** One field: tag (number << 3 | wire type), then a payload fitting the wire type (or `raw` bytes as they are). */
export function field(num: number, wt: WireType, payload: bigint | Uint8Array): number[] {
  const out = varint(BigInt(num) * 8n + BigInt(wt));
  if (wt === 0) out.push(...varint(typeof payload === 'bigint' ? payload : BigInt(payload.length)));
  else if (wt === 2) {
    const bytes = typeof payload === 'bigint' ? new TextEncoder().encode(payload.toString()) : payload;
    out.push(...varint(BigInt(bytes.length)), ...bytes);
  } else if (wt === 1 || wt === 5) {
    const n = wt === 1 ? 8 : 4;
    const v = typeof payload === 'bigint' ? BigInt.asUintN(64, payload) : 0n;
    for (let i = 0; i < n; i++) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
  } else if (typeof payload !== 'bigint') out.push(...payload);
  return out;
}

/** 4-byte big-endian length prefix + payload (length may lie when `claimed` is given). */
export function framed(payload: Uint8Array, claimed?: number): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeUInt32BE((claimed ?? payload.length) >>> 0, 0);
  b.set(payload, 4);
  return b;
}

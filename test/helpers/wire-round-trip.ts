// Encoding values as one data-plane batch and decoding them again
// (src/runtime/wire-codec.ts), for the codec tests.
import { Decoder, Encoder } from '../../src/runtime/wire-codec.js';

/**
 * Encodes `values` as one batch with `enc` and decodes them with `dec`
 * (fresh ones by default; pass the same pair across calls to keep atoms in
 * step). Returns what decoded and the batch's size in bytes.
 */
export function roundTripBatch(values: unknown[], enc = new Encoder(16), dec = new Decoder()): { out: unknown[]; bytes: number } {
  enc.begin();
  for (const v of values) enc.value(v);
  const bytes = Buffer.from(enc.bytes());
  dec.begin(bytes, bytes.length);
  const out: unknown[] = [];
  while (!dec.done) out.push(dec.value());
  return { out, bytes: bytes.length };
}

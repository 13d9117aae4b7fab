// Mutation encoding (spec/store.md): the byte strings that travel through
// consensus and must match the original exactly.
//   set:    <rev>:<path>=<body>
//   delete: <rev>:<path>
//   no-op:  nop:
// Split at the first `:`, then at the first `=`; the body is any bytes.
import { isValidPathBytes } from '../../wire/path.js';
import { FLAG_DEL, FLAG_SET, REV_CLOBBER } from '../../wire/client-codec.js';

const COLON = 0x3a;
const EQUALS = 0x3d;

export const NOP_MUTATION: Uint8Array = Uint8Array.of(0x6e, 0x6f, 0x70, 0x3a); // "nop:"

export type DecodedMutation =
  | { readonly kind: 'nop' }
  | { readonly kind: 'set'; readonly rev: number; readonly path: string; readonly body: Uint8Array }
  | { readonly kind: 'del'; readonly rev: number; readonly path: string }
  | { readonly kind: 'bad'; readonly code: 'OTHER'; readonly text: 'bad mutation' }
  | { readonly kind: 'bad'; readonly code: 'BAD_PATH'; readonly text: 'bad path' };

const BAD_MUTATION = { kind: 'bad', code: 'OTHER', text: 'bad mutation' } as const;
const BAD_PATH = { kind: 'bad', code: 'BAD_PATH', text: 'bad path' } as const;
const NOP = { kind: 'nop' } as const;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Writes ASCII `s` into out at offset; returns the next offset. */
function putAscii(out: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i);
  return at;
}

function revText(rev: number): string {
  if (!Number.isSafeInteger(rev)) throw new RangeError(`mutation rev must be an integer: ${rev}`);
  return String(rev);
}

export function encodeSet(rev: number, path: string, body: Uint8Array): Uint8Array {
  const r = revText(rev);
  const out = new Uint8Array(r.length + 1 + path.length + 1 + body.length);
  let at = putAscii(out, 0, r);
  out[at++] = COLON;
  at = putAscii(out, at, path);
  out[at++] = EQUALS;
  out.set(body, at);
  return out;
}

export function encodeDel(rev: number, path: string): Uint8Array {
  const r = revText(rev);
  const out = new Uint8Array(r.length + 1 + path.length);
  const at = putAscii(out, 0, r);
  out[at] = COLON;
  putAscii(out, at + 1, path);
  return out;
}

export function isNop(m: Uint8Array): boolean {
  return m.length === 4 && m[0] === 0x6e && m[1] === 0x6f && m[2] === 0x70 && m[3] === COLON;
}

/** Decimal int64 in m[start, end): optional sign, then digits. NaN if not. */
function parseRev(m: Uint8Array, start: number, end: number): number {
  let i = start;
  let neg = false;
  if (i < end && (m[i] === 0x2d || m[i] === 0x2b)) {
    neg = m[i] === 0x2d;
    i++;
  }
  if (i === end) return NaN;
  const digits = end - i;
  let v = 0;
  for (let j = i; j < end; j++) {
    const d = m[j]! - 0x30;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  if (digits > 15) {
    // Beyond exact doubles: check the int64 range exactly. The value keeps
    // its order against file revs (which are far smaller), which is all a
    // rev is compared for.
    let b = 0n;
    for (let j = i; j < end; j++) b = b * 10n + BigInt(m[j]! - 0x30);
    if (neg) b = -b;
    if (b < INT64_MIN || b > INT64_MAX) return NaN;
    return Number(b) + 0;
  }
  return neg ? 0 - v : v; // never -0
}

function asciiString(m: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, m.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return s;
}

/**
 * Decodes a mutation. The body of a set is a view into `m` (no copy). A
 * malformed mutation decodes to 'bad mutation'; an invalid path to 'bad path'
 * (rev is checked before path).
 */
export function decodeMutation(m: Uint8Array): DecodedMutation {
  if (isNop(m)) return NOP;
  const colon = m.indexOf(COLON);
  if (colon < 0) return BAD_MUTATION;
  const rev = parseRev(m, 0, colon);
  if (Number.isNaN(rev)) return BAD_MUTATION;
  const eq = m.indexOf(EQUALS, colon + 1);
  const pathEnd = eq < 0 ? m.length : eq;
  if (!isValidPathBytes(m, colon + 1, pathEnd)) return BAD_PATH;
  const path = asciiString(m, colon + 1, pathEnd);
  if (eq < 0) return { kind: 'del', rev, path };
  return { kind: 'set', rev, path, body: m.subarray(eq + 1) };
}

/**
 * The mutation that a WAIT answer (path, flags, value) reports: applying it at
 * the same seqn gives the same tree (a follower copies a CAL's log this way).
 * A delete or set overwrites whatever is there (REV_CLOBBER); flags with
 * neither FLAG_SET nor FLAG_DEL are a nop.
 */
export function mutationFromChange(path: string, flags: number, value: Uint8Array): Uint8Array {
  if (flags & FLAG_DEL) return encodeDel(REV_CLOBBER, path);
  if (flags & FLAG_SET) return encodeSet(REV_CLOBBER, path, value);
  return NOP_MUTATION;
}

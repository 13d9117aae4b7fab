// Encode/decode of the client protocol messages (spec/protocol.md).
// Decoded messages are plain data: an absent optional field is an absent key,
// because clients tell "rev absent" from "rev = 0".
import { RequestType, ResponseType, int64ToNumber } from './proto-schema.js';
import { decodeRequestFast, decodeResponseFast, requestFrame, responseFrame } from './pb-fast.js';
import { frame } from './framing.js';

export const Verb = {
  GET: 1, SET: 2, DEL: 3, REV: 5, WAIT: 6, NOP: 7, WALK: 9, GETDIR: 14, STAT: 16, SELF: 20, ACCESS: 99,
} as const;
export type VerbName = keyof typeof Verb;

export const ErrCode = {
  TAG_IN_USE: 1, UNKNOWN_VERB: 2, READONLY: 3, TOO_LATE: 4, REV_MISMATCH: 5, BAD_PATH: 6,
  MISSING_ARG: 7, RANGE: 8, NOTDIR: 20, ISDIR: 21, NOENT: 22, OTHER: 127,
} as const;
export type ErrName = keyof typeof ErrCode;

const errNames = new Map<number, ErrName>(
  Object.entries(ErrCode).map(([k, v]) => [v, k as ErrName]),
);
const verbNames = new Map<number, VerbName>(
  Object.entries(Verb).map(([k, v]) => [v, k as VerbName]),
);
export function errName(code: number): ErrName | undefined {
  return errNames.get(code);
}
export function verbName(code: number): VerbName | undefined {
  return verbNames.get(code);
}

/** Flags in WAIT/WALK responses (and a store event's flags): the file was set, or deleted; neither is a nop. */
export const FLAG_SET = 4;
export const FLAG_DEL = 8;

/**
 * Revisions with a special meaning (spec/protocol.md, spec/store.md): STAT's
 * rev of a missing file (0, also "create only" for SET), the rev of a write
 * that overwrites whatever is there (-1), and STAT's rev of a directory (-2,
 * also a directory's "current rev" when the store applies a mutation).
 */
export const REV_MISSING = 0;
export const REV_CLOBBER = -1;
export const REV_DIR = -2;

export interface Request {
  tag?: number;
  verb?: number;
  path?: string;
  value?: Uint8Array;
  otherTag?: number;
  offset?: number;
  rev?: number;
}

export interface Response {
  tag?: number;
  flags?: number;
  rev?: number;
  path?: string;
  value?: Uint8Array;
  len?: number;
  errCode?: number;
  errDetail?: string;
}

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The frame (length prefix and bytes) of Request `r`: byte for byte
 * encodeRequest's, framed, in one buffer. `tag`, when given, replaces r.tag.
 */
export function encodeRequestFrame(r: Request, tag: number | undefined = r.tag): Buffer {
  return requestFrame(r, tag) ?? frame(encodeRequestPb(tag === r.tag ? r : { ...r, tag }));
}

/** The frame (length prefix and bytes) of Response `r`: byte for byte encodeResponse's, framed, in one buffer. */
export function encodeResponseFrame(r: Response): Buffer {
  return responseFrame(r) ?? frame(encodeResponsePb(r));
}

export function encodeRequest(r: Request): Uint8Array {
  const f = requestFrame(r);
  return f ? f.subarray(4) : encodeRequestPb(r);
}

/** encodeRequest through protobufjs (the reference the hand-written encoder matches). */
export function encodeRequestPb(r: Request): Uint8Array {
  const m: Record<string, unknown> = {};
  if (r.tag !== undefined) m.tag = r.tag;
  if (r.verb !== undefined) m.verb = r.verb;
  if (r.path !== undefined) m.path = r.path;
  if (r.value !== undefined) m.value = r.value;
  if (r.otherTag !== undefined) m.other_tag = r.otherTag;
  if (r.offset !== undefined) m.offset = r.offset;
  if (r.rev !== undefined) m.rev = r.rev;
  return RequestType.encode(m).finish();
}

/** Throws on bytes that are not a valid Request. */
export function decodeRequest(buf: Uint8Array): Request {
  return decodeRequestFast(buf) ?? decodeRequestPb(buf);
}

/** decodeRequest through protobufjs (the reference; also what odd input falls back to). */
export function decodeRequestPb(buf: Uint8Array): Request {
  const m = RequestType.decode(buf) as unknown as Record<string, unknown>;
  const r: Request = {};
  if (has(m, 'tag')) r.tag = m.tag as number;
  if (has(m, 'verb')) r.verb = m.verb as number;
  if (has(m, 'path')) r.path = m.path as string;
  if (has(m, 'value')) r.value = m.value as Uint8Array;
  if (has(m, 'other_tag')) r.otherTag = m.other_tag as number;
  if (has(m, 'offset')) r.offset = m.offset as number;
  if (has(m, 'rev')) r.rev = int64ToNumber(m.rev);
  return r;
}

export function encodeResponse(r: Response): Uint8Array {
  const f = responseFrame(r);
  return f ? f.subarray(4) : encodeResponsePb(r);
}

/** encodeResponse through protobufjs (the reference the hand-written encoder matches). */
export function encodeResponsePb(r: Response): Uint8Array {
  const m: Record<string, unknown> = {};
  if (r.tag !== undefined) m.tag = r.tag;
  if (r.errCode !== undefined) {
    // With an error, only tag and detail travel (spec/protocol.md).
    m.err_code = r.errCode;
    if (r.errDetail !== undefined) m.err_detail = r.errDetail;
    return ResponseType.encode(m).finish();
  }
  if (r.flags !== undefined) m.flags = r.flags;
  if (r.rev !== undefined) m.rev = r.rev;
  if (r.path !== undefined) m.path = r.path;
  if (r.value !== undefined) m.value = r.value;
  if (r.len !== undefined) m.len = r.len;
  return ResponseType.encode(m).finish();
}

/** Throws on bytes that are not a valid Response. */
export function decodeResponse(buf: Uint8Array): Response {
  return decodeResponseFast(buf) ?? decodeResponsePb(buf);
}

/** decodeResponse through protobufjs (the reference; also what odd input falls back to). */
export function decodeResponsePb(buf: Uint8Array): Response {
  const m = ResponseType.decode(buf) as unknown as Record<string, unknown>;
  const r: Response = {};
  if (has(m, 'tag')) r.tag = m.tag as number;
  if (has(m, 'flags')) r.flags = m.flags as number;
  if (has(m, 'rev')) r.rev = int64ToNumber(m.rev);
  if (has(m, 'path')) r.path = m.path as string;
  if (has(m, 'value')) r.value = m.value as Uint8Array;
  if (has(m, 'len')) r.len = m.len as number;
  if (has(m, 'err_code')) r.errCode = m.err_code as number;
  if (has(m, 'err_detail')) r.errDetail = m.err_detail as string;
  return r;
}

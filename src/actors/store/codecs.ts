// Hand-written data-plane encodings (src/runtime/wire-codec.ts,
// registerMessageCodec) of the two messages that cross threads once per
// client request when the store runs on a worker thread: a session's `read`
// (down) and the store's `reply` (up). The generic encoding sends every key
// as an atom and decodes it through a switch per value; these write the
// fields in a fixed order behind one byte of presence bits
// (docs/runtime.md, "The data plane").
//
// A message of either type that does not have the usual shape (a key this
// file does not know, a key present with the value undefined, a number that
// is not an int32 where one is expected, a value that is not a byte array)
// goes in the generic encoding behind a mode byte, so what decodes always
// equals what was sent (test/unit/actors/store-codecs.test.ts).
//
// Imported by kinds.ts, which every thread loads.
import { registerMessageCodec, type Decoder, type Encoder } from '../../runtime/wire-codec.js';
import type { Message } from '../../runtime/message.js';
import type { Response } from '../../wire/client-codec.js';
import type { ReplyMessage, StoreMessage } from './messages.js';

type ReadMessage = Extract<StoreMessage, { type: 'read' }>;

const FAST = 0;
const GENERIC = 1;

const isInt32 = (v: unknown): v is number => typeof v === 'number' && (v | 0) === v && !Object.is(v, -0);
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array && (v.constructor === Uint8Array || v.constructor === Buffer);

// Presence bits of a reply's response, in the order the fields are written.
const R_TAG = 1;
const R_FLAGS = 2;
const R_REV = 4;
const R_PATH = 8;
const R_VALUE = 16;
const R_LEN = 32;
const R_ERR = 64;
const R_DETAIL = 128;

/** The presence bits of response `r` if every key is known and well typed, else -1. */
function responseBits(r: unknown): number {
  if (typeof r !== 'object' || r === null || Object.getPrototypeOf(r) !== Object.prototype) return -1;
  const o = r as Record<string, unknown>;
  let bits = 0;
  for (const k in o) {
    const v = o[k];
    switch (k) {
      case 'tag':
        if (!isInt32(v)) return -1;
        bits |= R_TAG;
        break;
      case 'flags':
        if (!isInt32(v)) return -1;
        bits |= R_FLAGS;
        break;
      case 'rev':
        if (typeof v !== 'number') return -1;
        bits |= R_REV;
        break;
      case 'path':
        if (typeof v !== 'string') return -1;
        bits |= R_PATH;
        break;
      case 'value':
        if (!isBytes(v)) return -1;
        bits |= R_VALUE;
        break;
      case 'len':
        if (!isInt32(v)) return -1;
        bits |= R_LEN;
        break;
      case 'errCode':
        if (!isInt32(v)) return -1;
        bits |= R_ERR;
        break;
      case 'errDetail':
        if (typeof v !== 'string') return -1;
        bits |= R_DETAIL;
        break;
      default:
        return -1;
    }
  }
  return bits;
}

/** Does `m` hold exactly `type` and the keys in `known` (each once, any order)? */
function onlyKeys(m: object, count: number, known: (k: string) => boolean): boolean {
  let n = 0;
  for (const k in m) {
    if (k !== 'type' && !known(k)) return false;
    n++;
  }
  return n === count;
}

/** The message without its type, for the generic encoding (the decoder puts the type back). */
function rest(m: Message): Record<string, unknown> {
  const { type: _type, ...others } = m as Message & Record<string, unknown>;
  return others;
}

registerMessageCodec<ReplyMessage>({
  type: 'reply',
  encode(m: ReplyMessage, w: Encoder): void {
    const bits = isInt32(m.tag) && onlyKeys(m, 3, (k) => k === 'tag' || k === 'response') ? responseBits(m.response) : -1;
    if (bits < 0) {
      w.u8(GENERIC);
      w.value(rest(m));
      return;
    }
    const r = m.response;
    w.u8(FAST);
    w.i32(m.tag);
    w.u8(bits);
    if (bits & R_TAG) w.i32(r.tag!);
    if (bits & R_FLAGS) w.i32(r.flags!);
    if (bits & R_REV) w.f64(r.rev!);
    if (bits & R_PATH) w.string(r.path!);
    if (bits & R_VALUE) w.bytesValue(r.value!);
    if (bits & R_LEN) w.i32(r.len!);
    if (bits & R_ERR) w.i32(r.errCode!);
    if (bits & R_DETAIL) w.string(r.errDetail!);
  },
  decode(d: Decoder): ReplyMessage {
    if (d.u8() === GENERIC) return { type: 'reply', ...(d.value() as Omit<ReplyMessage, 'type'>) };
    const tag = d.i32();
    const bits = d.u8();
    const response: Response = {};
    if (bits & R_TAG) response.tag = d.i32();
    if (bits & R_FLAGS) response.flags = d.i32();
    if (bits & R_REV) response.rev = d.f64();
    if (bits & R_PATH) response.path = d.string();
    if (bits & R_VALUE) response.value = d.value() as Uint8Array;
    if (bits & R_LEN) response.len = d.i32();
    if (bits & R_ERR) response.errCode = d.i32();
    if (bits & R_DETAIL) response.errDetail = d.string();
    return { type: 'reply', tag, response };
  },
});

// Presence bits of a read's optional fields.
const Q_REV = 1;
const Q_OFFSET = 2;
const READ_KEYS = new Set(['op', 'path', 'rev', 'offset', 'replyTo', 'tag']);

registerMessageCodec<ReadMessage>({
  type: 'read',
  encode(m: ReadMessage, w: Encoder): void {
    const hasRev = Object.prototype.hasOwnProperty.call(m, 'rev');
    const hasOffset = Object.prototype.hasOwnProperty.call(m, 'offset');
    const fast =
      typeof m.op === 'string' && typeof m.path === 'string' && typeof m.replyTo === 'string' && isInt32(m.tag) &&
      (!hasRev || typeof m.rev === 'number') && (!hasOffset || isInt32(m.offset)) &&
      onlyKeys(m, 5 + (hasRev ? 1 : 0) + (hasOffset ? 1 : 0), (k) => READ_KEYS.has(k));
    if (!fast) {
      w.u8(GENERIC);
      w.value(rest(m));
      return;
    }
    w.u8(FAST);
    w.atom(m.op);
    w.string(m.path);
    w.atom(m.replyTo);
    w.i32(m.tag);
    w.u8((hasRev ? Q_REV : 0) | (hasOffset ? Q_OFFSET : 0));
    if (hasRev) w.f64(m.rev!);
    if (hasOffset) w.i32(m.offset!);
  },
  decode(d: Decoder): ReadMessage {
    if (d.u8() === GENERIC) return { type: 'read', ...(d.value() as Omit<ReadMessage, 'type'>) };
    const op = d.string() as ReadMessage['op'];
    const path = d.string();
    const replyTo = d.string();
    const tag = d.i32();
    const bits = d.u8();
    const m: ReadMessage = { type: 'read', op, path, replyTo, tag };
    if (bits & Q_REV) m.rev = d.f64();
    if (bits & Q_OFFSET) m.offset = d.i32();
    return m;
  },
});

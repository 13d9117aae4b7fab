// The data plane's value codec (docs/runtime.md, "Data plane"): messages
// between threads as compact bytes instead of structured clones.
//
// A value is a tag byte and its payload; numbers are little-endian, lengths
// and counts are u32:
//
//   0 undefined  1 null  2 false  3 true
//   4 int32      5 float64         6 string (u32 bytes, UTF-8)
//   7 atom, new  (u32 bytes, UTF-8; gets the next atom number)
//   8 atom, seen (u32 number)
//   9 bytes      (u32 length, bytes; decodes as a fresh Uint8Array)
//  10 array      (u32 count, values)
//  11 object     (u32 count, then per own property: key as an atom, value)
//  12 v8         (u32 length, v8.serialize bytes: Maps, Sets, Dates, other
//                 typed arrays, bigints, anything else structured clone takes)
//  13 custom     (the message type as an atom, then what the type's
//                 registered MessageCodec wrote)
//  14 same       (u32: where in this batch an object written as 11 starts):
//                 that object again, decoded once and shared
//
// Atoms are strings sent once per stream and then by number: object keys,
// message types and whatever the caller marks (actor names). A stream is
// one Encoder on one side and one Decoder on the other, used in order; the
// encoder restarts its table (and says so at the start of a batch) when it
// holds MAX_ATOMS.
//
// What decodes is a copy, like a structured clone: plain objects (own
// enumerable properties, in order), arrays, strings, numbers, byte arrays.
// A plain object written again in the same batch while it is among the last
// SAME_WINDOW objects written (a store event the store sends to three
// subscribers on the other thread) goes as tag 14 and arrives as one object
// shared by the messages that held it, as on one thread (and as a
// structured clone of the whole batch would give); otherwise a shared
// sub-object arrives as copies (no message depends on identity). Nesting
// deeper than MAX_DEPTH goes through v8 (which also handles cycles). A value v8 cannot serialize either
// (a function, a symbol) makes `encode` throw.
import { deserialize, serialize } from 'node:v8';
import type { Message } from './message.js';

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_INT = 4;
const T_FLOAT = 5;
const T_STRING = 6;
const T_ATOM_NEW = 7;
const T_ATOM = 8;
const T_BYTES = 9;
const T_ARRAY = 10;
const T_OBJECT = 11;
const T_V8 = 12;
const T_CUSTOM = 13;
const T_SAME = 14;

/** How many of the last plain objects written in a batch an encoder remembers, to send one again as a reference (a power of 2). */
export const SAME_WINDOW = 8;

/** Atoms kept per stream before the table starts over. */
export const MAX_ATOMS = 8192;
/** Longest string made an atom (longer ones always go inline). */
const MAX_ATOM_LENGTH = 128;
/** A buffer grown past this by one big batch is let go before the next. */
export const KEEP_BYTES = 4 << 20;
/** Nesting below this depth goes through v8.serialize. */
const MAX_DEPTH = 24;

/**
 * A hand-written encoding of one message type, registered on every thread
 * (the actor side registers its hot types; the runtime knows none). `encode`
 * writes the fields, `decode` reads them back in the same order and returns
 * a message equal to the one encoded (with its `type`).
 */
export interface MessageCodec<M extends Message = Message> {
  type: M['type'];
  encode(msg: M, w: Encoder): void;
  decode(r: Decoder): M;
}

const codecs = new Map<string, MessageCodec>();

/**
 * Register a codec for messages of `codec.type`. Every thread must register
 * the same codecs (register them at module load of the module that defines
 * the actor kinds, which every thread imports). Replaces an earlier one.
 */
export function registerMessageCodec<M extends Message>(codec: MessageCodec<M>): void {
  codecs.set(codec.type, codec as unknown as MessageCodec);
}

/** Little-endian 32 bits at `at` (the low 32 bits of `v`). */
function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

/** Little-endian signed 32 bits at `at`. */
function get32(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}

/** Writes values into a growing private buffer; `take()` ends a batch. */
export class Encoder {
  buf: Buffer;
  pos = 0;
  private atoms = new Map<string, number>();
  /** The atoms in the order they got their numbers (to roll back). */
  private atomList: string[] = [];
  /** Set when the table started over: the next batch tells the decoder. */
  private resetPending = false;
  /** The last SAME_WINDOW plain objects written in this batch (slot = count % SAME_WINDOW), and where each starts. */
  private readonly sameObj: (object | undefined)[] = new Array<object | undefined>(SAME_WINDOW).fill(undefined);
  private readonly sameAt = new Int32Array(SAME_WINDOW);
  private sameN = 0;

  constructor(private readonly initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Start a batch (its header: whether the atom table starts over). */
  begin(): void {
    this.pos = 0;
    // One huge batch does not keep a huge buffer for good.
    if (this.buf.length > KEEP_BYTES) this.buf = Buffer.allocUnsafe(this.initial);
    if (this.atoms.size >= MAX_ATOMS) {
      this.atoms.clear();
      this.atomList = [];
      this.resetPending = true;
    }
    this.u8(this.resetPending ? 1 : 0);
    this.resetPending = false;
    this.sameObj.fill(undefined);
    this.sameN = 0;
  }

  /** Where the stream is now: rollback(mark()) forgets what was written since (bytes and new atoms). */
  mark(): { pos: number; atoms: number; same: number } {
    return { pos: this.pos, atoms: this.atomList.length, same: this.sameN };
  }

  rollback(m: { pos: number; atoms: number; same: number }): void {
    this.pos = m.pos;
    while (this.atomList.length > m.atoms) this.atoms.delete(this.atomList.pop()!);
    // Objects written since the mark never reach the decoder: forget them,
    // and count on from the mark as the decoder will (what they pushed out
    // of the window stays out: the encoder then knows less than the decoder,
    // never more).
    for (let i = 0; i < SAME_WINDOW; i++) if (this.sameAt[i]! >= m.pos) this.sameObj[i] = undefined;
    this.sameN = m.same;
  }

  /** The bytes written since begin(): a view, valid until the next begin(). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    put32(this.buf, this.pos, v);
    this.pos += 4;
  }

  i32(v: number): void {
    this.ensure(4);
    put32(this.buf, this.pos, v);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** A string's UTF-8 bytes after a u32 length. */
  private utf8(s: string): void {
    const n = s.length;
    this.ensure(4 + n * 3);
    const buf = this.buf;
    let p = this.pos + 4;
    if (n <= 64) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p + i] = c;
      }
      if (i === n) {
        put32(buf, this.pos, n);
        this.pos = p + n;
        return;
      }
    }
    const written = buf.write(s, p, 'utf8');
    put32(buf, this.pos, written);
    this.pos = p + written;
  }

  /** A string value, inline. */
  string(s: string): void {
    this.u8(T_STRING);
    this.utf8(s);
  }

  /** A string sent once per stream, then by number (names, keys, types). */
  atom(s: string): void {
    const id = this.atoms.get(s);
    if (id !== undefined) {
      this.ensure(5);
      this.buf[this.pos++] = T_ATOM;
      put32(this.buf, this.pos, id);
      this.pos += 4;
      return;
    }
    if (s.length > MAX_ATOM_LENGTH || this.atoms.size >= MAX_ATOMS) {
      this.string(s);
      return;
    }
    this.atoms.set(s, this.atoms.size);
    this.atomList.push(s);
    this.u8(T_ATOM_NEW);
    this.utf8(s);
  }

  bytesValue(b: Uint8Array): void {
    this.ensure(5 + b.length);
    this.buf[this.pos++] = T_BYTES;
    this.buf.writeUInt32LE(b.length, this.pos);
    this.pos += 4;
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Any structured-clone-able value (see the file comment). Throws on functions and symbols. */
  value(v: unknown, depth = 0): void {
    switch (typeof v) {
      case 'string':
        this.string(v);
        return;
      case 'number':
        if ((v | 0) === v && !(v === 0 && 1 / v < 0)) {
          this.ensure(5);
          this.buf[this.pos++] = T_INT;
          put32(this.buf, this.pos, v);
          this.pos += 4;
        } else {
          this.u8(T_FLOAT);
          this.f64(v);
        }
        return;
      case 'boolean':
        this.u8(v ? T_TRUE : T_FALSE);
        return;
      case 'undefined':
        this.u8(T_UNDEFINED);
        return;
      case 'object':
        if (v === null) {
          this.u8(T_NULL);
          return;
        }
        if (depth >= MAX_DEPTH) break;
        if (Array.isArray(v)) {
          if (Object.getPrototypeOf(v) !== Array.prototype) break;
          const n = v.length;
          // A sparse array: v8 keeps its holes.
          for (let i = 0; i < n; i++) if (!(i in v)) return this.v8(v);
          this.u8(T_ARRAY);
          this.u32(n);
          for (let i = 0; i < n; i++) this.value(v[i], depth + 1);
          return;
        }
        if (v instanceof Uint8Array && (v.constructor === Uint8Array || v.constructor === Buffer)) {
          this.bytesValue(v);
          return;
        }
        {
          const proto = Object.getPrototypeOf(v);
          if (proto !== Object.prototype && proto !== null) break;
          const o = v as Record<string, unknown>;
          const type = o.type;
          if (typeof type === 'string' && codecs.size > 0) {
            const c = codecs.get(type);
            if (c) {
              this.u8(T_CUSTOM);
              this.atom(type);
              c.encode(o as unknown as Message, this);
              return;
            }
          }
          const same = this.sameObj;
          for (let i = 0; i < SAME_WINDOW; i++) {
            if (same[i] === o) {
              this.ensure(5);
              this.buf[this.pos++] = T_SAME;
              put32(this.buf, this.pos, this.sameAt[i]!);
              this.pos += 4;
              return;
            }
          }
          const start = this.pos;
          this.u8(T_OBJECT);
          const at = this.pos;
          this.u32(0);
          let n = 0;
          for (const k in o) {
            this.atom(k);
            this.value(o[k], depth + 1);
            n++;
          }
          put32(this.buf, at, n);
          const slot = this.sameN++ & (SAME_WINDOW - 1);
          same[slot] = o;
          this.sameAt[slot] = start;
        }
        return;
      default:
        break;
    }
    this.v8(v);
  }

  /**
   * One data-plane entry (an array: a kind letter, actor names, a message,
   * numbers): written as an array whose short strings go as atoms, so an
   * actor name crosses as a number after its first time and decodes to the
   * same string every time. Decodes with `value()`, like any array.
   */
  entry(e: readonly unknown[]): void {
    const n = e.length;
    this.u8(T_ARRAY);
    this.u32(n);
    for (let i = 0; i < n; i++) {
      const x = e[i];
      if (typeof x === 'string' && x.length <= MAX_ATOM_LENGTH) this.atom(x);
      else this.value(x, 1);
    }
  }

  private v8(v: unknown): void {
    const b = serialize(v);
    this.ensure(5 + b.length);
    this.buf[this.pos++] = T_V8;
    this.buf.writeUInt32LE(b.length, this.pos);
    this.pos += 4;
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
}

/** Reads what an Encoder wrote, batch by batch, keeping the stream's atoms. */
export class Decoder {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  private atoms: string[] = [];
  /** The last SAME_WINDOW plain objects decoded in this batch and where each started (as the encoder keeps them). */
  private readonly sameObj: (object | undefined)[] = new Array<object | undefined>(SAME_WINDOW).fill(undefined);
  private readonly sameAt = new Int32Array(SAME_WINDOW);
  private sameN = 0;

  /** Start reading a batch (bytes [0, end) of `buf`, which stays the caller's). */
  begin(buf: Buffer, end: number): void {
    this.buf = buf;
    this.pos = 0;
    this.end = end;
    this.sameObj.fill(undefined);
    this.sameN = 0;
    if (this.u8() === 1) this.atoms = [];
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new Error(`data plane: batch cut short (${n} bytes wanted at ${this.pos} of ${this.end})`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const v = get32(this.buf, this.pos) >>> 0;
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = get32(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  private utf8(): string {
    const n = this.u32();
    this.need(n);
    const buf = this.buf;
    const p = this.pos;
    this.pos += n;
    if (n <= 24) {
      let s = '';
      for (let i = 0; i < n; i++) {
        const c = buf[p + i]!;
        if (c >= 0x80) return buf.toString('utf8', p, p + n);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return buf.toString('utf8', p, p + n);
  }

  /** A string written by Encoder.string or Encoder.atom. */
  string(): string {
    const t = this.u8();
    if (t === T_STRING) return this.utf8();
    if (t === T_ATOM) return this.atomAt(this.u32());
    if (t === T_ATOM_NEW) {
      const s = this.utf8();
      this.atoms.push(s);
      return s;
    }
    throw new Error(`data plane: a string expected, found tag ${t}`);
  }

  private atomAt(id: number): string {
    const s = this.atoms[id];
    if (s === undefined) throw new Error(`data plane: unknown atom ${id}`);
    return s;
  }

  value(): unknown {
    const t = this.u8();
    switch (t) {
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT:
        return this.i32();
      case T_FLOAT:
        return this.f64();
      case T_STRING:
        return this.utf8();
      case T_ATOM_NEW: {
        const s = this.utf8();
        this.atoms.push(s);
        return s;
      }
      case T_ATOM:
        return this.atomAt(this.u32());
      case T_BYTES: {
        const n = this.u32();
        this.need(n);
        const out = new Uint8Array(n);
        out.set(this.buf.subarray(this.pos, this.pos + n));
        this.pos += n;
        return out;
      }
      case T_ARRAY: {
        const n = this.u32();
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = this.value();
        return out;
      }
      case T_OBJECT: {
        const start = this.pos - 1;
        const n = this.u32();
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const k = this.string();
          if (k === '__proto__') Object.defineProperty(out, k, { value: this.value(), enumerable: true, writable: true, configurable: true });
          else out[k] = this.value();
        }
        const slot = this.sameN++ & (SAME_WINDOW - 1);
        this.sameObj[slot] = out;
        this.sameAt[slot] = start;
        return out;
      }
      case T_SAME: {
        const at = this.u32();
        for (let i = 0; i < SAME_WINDOW; i++) {
          const o = this.sameObj[i];
          if (o !== undefined && this.sameAt[i] === at) return o;
        }
        throw new Error(`data plane: a reference to an object at ${at} that this batch does not hold`);
      }
      case T_V8: {
        const n = this.u32();
        this.need(n);
        const v: unknown = deserialize(this.buf.subarray(this.pos, this.pos + n));
        this.pos += n;
        return v;
      }
      case T_CUSTOM: {
        const type = this.string();
        const c = codecs.get(type);
        if (!c) throw new Error(`data plane: no codec registered on this thread for message type ${type}`);
        return c.decode(this);
      }
      default:
        throw new Error(`data plane: unknown tag ${t} at ${this.pos - 1}`);
    }
  }
}

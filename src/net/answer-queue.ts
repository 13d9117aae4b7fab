// The answers of one client connection on their way to its socket: held as
// Response objects (a GET's value is the store's own buffer, not a copy) and
// encoded into frames only while the socket takes them, so a client that does
// not read costs the node at most ANSWER_HIGH_WATER bytes of encoded answers
// plus the held objects. client-listener.ts stops reading that connection's
// requests while `backlog` is above the same mark (docs/protocol.md
// "Backpressure").
import type net from 'node:net';
import { encodeResponseFrame, type Response } from '../wire/client-codec.js';

/**
 * Bytes of answers queued for one connection (encoded in the socket's write
 * buffer, plus held answers at their estimated size) above which the node
 * stops encoding more for it and stops reading its requests: 4 MiB, four of
 * the largest answers (a 1 MiB value). Reading resumes below
 * ANSWER_LOW_WATER, once the client has taken most of it ('drain').
 */
export const ANSWER_HIGH_WATER = 4 * 1024 * 1024;

/** Queued answer bytes (see ANSWER_HIGH_WATER) at or below which a connection paused for them is read again: 1 MiB. */
export const ANSWER_LOW_WATER = 1024 * 1024;

/** What a held answer costs besides its frame's bytes (the Response object, its value's Buffer object, its queue slot: about 250 bytes of heap), counted in `backlog` so that many small held answers pause reading too. */
const HELD_OBJECT_BYTES = 256;

/** Encoded frames written in one write() (one copy) up to this total; larger batches go out corked, frame by frame (no copy). */
const CONCAT_MAX = 256 * 1024;

/**
 * Estimated size in bytes of one response's frame: its value, path and error
 * detail, plus 24 bytes for the length prefix and the other fields. Cheap (no
 * encoding); within a few bytes of the real size (paths count UTF-16 units).
 */
export function responseBytes(r: Response): number {
  return 24 + (r.value?.length ?? 0) + (r.path?.length ?? 0) + (r.errDetail?.length ?? 0);
}

/**
 * The outgoing answers of one connection. `push` never blocks and never
 * drops: an answer is held until the socket's write buffer is below
 * ANSWER_HIGH_WATER, then encoded and written (the answers of one turn in one
 * write, as before). `onWritable` is called after each 'drain' of the socket
 * (the client took everything written so far), once the held answers that now
 * fit are written.
 */
export class AnswerQueue {
  private held: Response[] = [];
  private head = 0;
  private heldBytes = 0;
  private flushQueued = false;
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly onWritable: () => void,
  ) {
    socket.on('drain', () => {
      this.flush();
      this.onWritable();
    });
  }

  /** Bytes of answers not yet taken by the client's kernel: the socket's write buffer plus the held answers' estimated size (frame and object). */
  get backlog(): number {
    return this.socket.writableLength + this.heldBytes;
  }

  /** Answers held, not yet encoded. */
  get heldCount(): number {
    return this.held.length - this.head;
  }

  /** Queue one answer; it is written at the end of this turn (a microtask), with the others of the turn, if the socket has room. */
  push(r: Response): void {
    if (this.closed) return;
    this.held.push(r);
    this.heldBytes += responseBytes(r) + HELD_OBJECT_BYTES;
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
        // The connection may have paused on answers that were only held (not
        // yet in the socket) when it last checked; if the socket took them at
        // once, no 'drain' follows to say so.
        this.onWritable();
      });
    }
  }

  /** Drop everything held (the connection is closing). */
  close(): void {
    this.closed = true;
    this.held = [];
    this.head = 0;
    this.heldBytes = 0;
  }

  /** Encode and write held answers while the socket's write buffer stays below ANSWER_HIGH_WATER. */
  private flush(): void {
    if (this.closed || this.socket.destroyed) return;
    let room = ANSWER_HIGH_WATER - this.socket.writableLength;
    const frames: Buffer[] = [];
    let total = 0;
    while (this.head < this.held.length && room > 0) {
      const r = this.held[this.head]!;
      this.held[this.head++] = undefined as unknown as Response;
      this.heldBytes -= responseBytes(r) + HELD_OBJECT_BYTES;
      const f = encodeResponseFrame(r);
      frames.push(f);
      total += f.length;
      room -= f.length;
    }
    if (this.head === this.held.length) {
      this.held = [];
      this.head = 0;
      this.heldBytes = 0;
    } else if (this.head > 1024 && this.head * 2 > this.held.length) {
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
    if (frames.length === 0) return;
    if (frames.length === 1) this.socket.write(frames[0]!);
    else if (total <= CONCAT_MAX) this.socket.write(Buffer.concat(frames, total));
    else {
      this.socket.cork();
      for (const f of frames) this.socket.write(f);
      this.socket.uncork();
    }
  }
}

// 4-byte big-endian length prefix framing (spec/protocol.md), both directions.

/**
 * Largest request frame a node accepts: 2 MiB. A write must fit one
 * consensus datagram today (about 3000 bytes), and values up to 1 MiB are
 * planned, so every frame a doozer client can mean to send fits with room to
 * spare; a larger one is answered only by closing the connection
 * (docs/protocol.md "Frames"). Smaller frames that carry a value the node
 * cannot store (64 KiB, 1 MiB) are read whole and refused with an error
 * answer, and the connection keeps serving.
 */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;

/** A length prefix that no frame of this protocol can have (above the reader's maximum, or top bit set). */
export class FrameError extends Error {}

/** The frame for one encoded message: its length (4 bytes, big-endian), then the bytes. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}

/**
 * Incremental decoder: push chunks as they arrive, get whole frames back.
 * Memory follows the bytes actually received, never a declared length: a
 * frame's chunks are joined once, when the last of them arrives. Throws
 * FrameError as soon as a length above `maxFrame` is seen.
 */
export class FrameReader {
  /** Received bytes not yet returned as frames: chunks[0] from `off` on, then the others whole. */
  private chunks: Buffer[] = [];
  private off = 0;
  private buffered = 0;
  /** Length of the frame being received, once its prefix is known. */
  private need = -1;

  constructor(private readonly maxFrame = MAX_FRAME_BYTES) {}

  /** Bytes held that do not yet form a whole frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Buffer[] {
    if (chunk.length === 0) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.need < 0) {
      if (this.buffered < 4) return [];
      this.need = this.checked(this.peekLength());
    }
    if (this.buffered < 4 + this.need) return [];
    if (this.chunks.length > 1) {
      // The frame spans chunks: join them once, now that all its bytes are here.
      if (this.off) this.chunks[0] = this.chunks[0]!.subarray(this.off);
      this.chunks = [Buffer.concat(this.chunks, this.buffered)];
      this.off = 0;
    }
    // Every whole frame in the (now single) chunk: views, no copies.
    const buf = this.chunks[0]!;
    const frames: Buffer[] = [];
    let off = this.off;
    let need = this.need;
    try {
      for (;;) {
        frames.push(buf.subarray(off + 4, off + 4 + need));
        off += 4 + need;
        need = -1;
        if (buf.length - off < 4) break;
        need = this.checked(buf.readUInt32BE(off));
        if (buf.length - off < 4 + need) break;
      }
    } finally {
      this.need = need;
      this.buffered = buf.length - off;
      this.off = off;
      if (this.buffered === 0) {
        this.chunks = [];
        this.off = 0;
      }
    }
    return frames;
  }

  /** `n` if it can be a frame's length; FrameError otherwise. */
  private checked(n: number): number {
    if (n > this.maxFrame) {
      throw new FrameError(
        `frame length ${n} bytes is above the maximum of ${this.maxFrame} bytes: not a doozer frame (or a corrupt stream)`,
      );
    }
    return n;
  }

  /** The big-endian length in the first 4 buffered bytes (which may span chunks). */
  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length - this.off >= 4) return first.readUInt32BE(this.off);
    let n = 0;
    let got = 0;
    for (let c = 0; got < 4; c++) {
      const b = this.chunks[c]!;
      for (let i = c === 0 ? this.off : 0; i < b.length && got < 4; i++, got++) n = n * 256 + b[i]!;
    }
    return n;
  }
}

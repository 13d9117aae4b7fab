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
  private chunks: Buffer[] = [];
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
    const frames: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) break;
        const n = this.peekLength();
        if (n > this.maxFrame) {
          throw new FrameError(
            `frame length ${n} bytes is above the maximum of ${this.maxFrame} bytes: not a doozer request (or a corrupt stream)`,
          );
        }
        this.need = n;
      }
      if (this.buffered < 4 + this.need) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      frames.push(all.subarray(4, 4 + this.need));
      const rest = all.subarray(4 + this.need);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.need = -1;
    }
    return frames;
  }

  /** The big-endian length in the first 4 buffered bytes (which may span chunks). */
  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readUInt32BE(0);
    let n = 0;
    let got = 0;
    for (const c of this.chunks) {
      for (let i = 0; i < c.length && got < 4; i++, got++) n = n * 256 + c[i]!;
      if (got === 4) break;
    }
    return n;
  }
}

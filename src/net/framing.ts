// 4-byte big-endian length prefix framing (spec/protocol.md), both directions.

/** Largest frame we accept. A valid request is a path plus a body that must
 * fit one consensus datagram (3000 bytes), so 64 KiB is generous; anything
 * larger is garbage or an attack and closes that connection. */
export const MAX_FRAME_BYTES = 64 * 1024;

export class FrameError extends Error {}

export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}

/** Incremental decoder: push chunks, get whole frames; throws FrameError on an absurd length. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrame = MAX_FRAME_BYTES) {}

  /** Bytes held that do not yet form a whole frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    let off = 0;
    while (buf.length - off >= 4) {
      const n = buf.readUInt32BE(off);
      if (n > this.maxFrame) {
        throw new FrameError(`frame length ${n} exceeds the maximum of ${this.maxFrame} bytes`);
      }
      if (buf.length - off - 4 < n) break;
      frames.push(buf.subarray(off + 4, off + 4 + n));
      off += 4 + n;
    }
    buf = buf.subarray(off);
    this.chunks = buf.length ? [buf] : [];
    this.buffered = buf.length;
    return frames;
  }
}

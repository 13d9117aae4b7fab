import { describe, expect, it } from 'vitest';
import { FrameError, FrameReader, frame, MAX_FRAME_BYTES } from '../../../src/net/framing.js';

describe('framing', () => {
  it('prefixes a 4-byte big-endian length', () => {
    expect([...frame(Buffer.from('abc'))]).toEqual([0, 0, 0, 3, 97, 98, 99]);
  });

  it('reassembles frames split across chunks and several frames in one chunk', () => {
    const r = new FrameReader();
    const bytes = Buffer.concat([frame(Buffer.from('hello')), frame(Buffer.alloc(0)), frame(Buffer.from('x'))]);
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i += 3) for (const f of r.push(bytes.subarray(i, i + 3))) out.push(f.toString());
    expect(out).toEqual(['hello', '', 'x']);
    expect(r.pendingBytes).toBe(0);
  });

  it('keeps a partial frame until the rest arrives', () => {
    const r = new FrameReader();
    expect(r.push(Buffer.from([0, 0, 0, 2, 1]))).toEqual([]);
    expect(r.pendingBytes).toBe(5);
    expect(r.push(Buffer.from([2])).map((f) => [...f])).toEqual([[1, 2]]);
  });

  it('refuses an absurd length before buffering it, including a set top bit', () => {
    expect(() => new FrameReader().push(Buffer.from([0x80, 0, 0, 0]))).toThrow(FrameError);
    const n = MAX_FRAME_BYTES + 1;
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    expect(() => new FrameReader().push(b)).toThrow(/exceeds the maximum/);
    const ok = Buffer.alloc(4);
    ok.writeUInt32BE(MAX_FRAME_BYTES);
    expect(new FrameReader().push(ok)).toEqual([]);
  });
});

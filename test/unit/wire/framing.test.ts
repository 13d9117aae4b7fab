import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameError, FrameReader, frame, MAX_FRAME_BYTES } from '../../../src/wire/framing.js';

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
    expect(() => new FrameReader().push(b)).toThrow(/above the maximum of 2097152 bytes/);
    const ok = Buffer.alloc(4);
    ok.writeUInt32BE(MAX_FRAME_BYTES);
    expect(new FrameReader().push(ok)).toEqual([]);
  });

  it('refuses 0x7fffffff and 0xffffffff from the 4-byte prefix alone, also when it comes byte by byte', () => {
    for (const prefix of [[0x7f, 0xff, 0xff, 0xff], [0xff, 0xff, 0xff, 0xff]]) {
      const r = new FrameReader();
      expect(r.push(Buffer.from(prefix.slice(0, 1)))).toEqual([]);
      expect(r.push(Buffer.from(prefix.slice(1, 3)))).toEqual([]);
      expect(() => r.push(Buffer.from(prefix.slice(3)))).toThrow(FrameError);
    }
  });

  it('takes frames of 64 KiB and 1 MiB (below the 2 MiB maximum) in small chunks, joining each frame once', () => {
    expect(MAX_FRAME_BYTES).toBe(2 * 1024 * 1024);
    for (const size of [64 * 1024, 1024 * 1024, MAX_FRAME_BYTES]) {
      const r = new FrameReader();
      const payload = Buffer.alloc(size, 7);
      const bytes = Buffer.concat([frame(payload), frame(Buffer.from('after'))]);
      const out: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 16 * 1024) out.push(...r.push(bytes.subarray(i, i + 16 * 1024)));
      expect(out.map((f) => f.length)).toEqual([size, 5]);
      expect(out[0]!.equals(payload)).toBe(true);
      expect(r.pendingBytes).toBe(0);
    }
  });

  it('holds only the bytes received for a declared large frame', () => {
    const r = new FrameReader();
    const head = Buffer.alloc(4);
    head.writeUInt32BE(MAX_FRAME_BYTES);
    expect(r.push(Buffer.concat([head, Buffer.from('abc')]))).toEqual([]);
    expect(r.pendingBytes).toBe(7);
  });

  it('gives back the frames sent, however the bytes are cut into chunks (property)', () => {
    const payloads = fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 });
    const cuts = fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 20 });
    fc.assert(
      fc.property(payloads, cuts, (ps, cs) => {
        const bytes = Buffer.concat(ps.map((p) => frame(p)));
        const at = [...new Set(cs.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const r = new FrameReader();
        const out: Buffer[] = [];
        let prev = 0;
        for (const c of [...at, bytes.length]) {
          out.push(...r.push(bytes.subarray(prev, c)));
          prev = c;
        }
        expect(out.map((f) => [...f])).toEqual(ps.map((p) => [...p]));
        expect(r.pendingBytes).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });
});

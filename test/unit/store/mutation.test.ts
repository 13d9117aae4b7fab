import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NOP_MUTATION,
  decodeMutation,
  encodeDel,
  encodeSet,
} from '../../../src/actors/store/mutation.js';

const enc = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const str = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe('mutation encoding', () => {
  it('encodes set, delete and nop exactly', () => {
    expect(str(encodeSet(-1, '/ctl/node/X/applied', enc('42')))).toBe('-1:/ctl/node/X/applied=42');
    expect(str(encodeSet(0, '/a', enc('hello')))).toBe('0:/a=hello');
    expect(str(encodeSet(5, '/a', new Uint8Array(0)))).toBe('5:/a=');
    expect(str(encodeDel(17, '/a'))).toBe('17:/a');
    expect(str(encodeDel(-1, '/a/b'))).toBe('-1:/a/b');
    expect(str(NOP_MUTATION)).toBe('nop:');
  });

  it('keeps arbitrary body bytes, including = and :', () => {
    const body = Uint8Array.from([0x3d, 0x3a, 0, 255, 0x3d, 10, 0x3a]);
    const m = encodeSet(3, '/x', body);
    const d = decodeMutation(m);
    expect(d.kind).toBe('set');
    if (d.kind !== 'set') return;
    expect(d.rev).toBe(3);
    expect(d.path).toBe('/x');
    expect(Array.from(d.body)).toEqual(Array.from(body));
  });

  it('decodes set/delete/nop', () => {
    expect(decodeMutation(enc('nop:'))).toEqual({ kind: 'nop' });
    expect(decodeMutation(enc('17:/a'))).toEqual({ kind: 'del', rev: 17, path: '/a' });
    expect(decodeMutation(enc('-1:/a/b'))).toEqual({ kind: 'del', rev: -1, path: '/a/b' });
    const s = decodeMutation(enc('0:/a=b=c:d'));
    expect(s.kind === 'set' && s.rev === 0 && s.path === '/a' && str(s.body) === 'b=c:d').toBe(true);
    const e = decodeMutation(enc('-1:/a='));
    expect(e.kind === 'set' && e.body.length === 0).toBe(true);
  });

  it('decodes negative and large int64 revs', () => {
    expect(decodeMutation(enc('-5:/a'))).toEqual({ kind: 'del', rev: -5, path: '/a' });
    expect(decodeMutation(enc('-0:/a'))).toEqual({ kind: 'del', rev: 0, path: '/a' });
    const max = decodeMutation(enc('9223372036854775807:/a'));
    expect(max.kind === 'del' && max.rev > 2 ** 62).toBe(true);
    const min = decodeMutation(enc('-9223372036854775808:/a'));
    expect(min.kind === 'del' && min.rev < -(2 ** 62)).toBe(true);
  });

  it.each([
    '',
    'nop',
    'nop:x',
    'nop:/a',
    '/a=b',
    ':/a=b',
    'x:/a=b',
    '1x:/a',
    '1.5:/a',
    ' 1:/a',
    '-:/a',
    '--1:/a',
    '9223372036854775808:/a',
    '-9223372036854775809:/a',
    '99999999999999999999999:/a',
  ])('%j is a bad mutation', (s) => {
    expect(decodeMutation(enc(s))).toEqual({ kind: 'bad', code: 'OTHER', text: 'bad mutation' });
  });

  it.each(['1:', '1:a', '1:/a/', '1://a', '1:/a b=c', '1:/a_b=c', '1:=x', '1:/a/=x'])('%j is a bad path', (s) => {
    expect(decodeMutation(enc(s))).toEqual({ kind: 'bad', code: 'BAD_PATH', text: 'bad path' });
  });

  it('checks the rev before the path', () => {
    expect(decodeMutation(enc('x:bad path'))).toEqual({ kind: 'bad', code: 'OTHER', text: 'bad mutation' });
  });

  it('a non-ASCII byte in the path is a bad path', () => {
    expect(decodeMutation(Uint8Array.from([0x31, 0x3a, 0x2f, 0xc3, 0xa9]))).toEqual({
      kind: 'bad',
      code: 'BAD_PATH',
      text: 'bad path',
    });
  });

  const name = fc.stringMatching(/^[A-Za-z0-9.-]{1,6}$/);
  const path = fc.array(name, { minLength: 1, maxLength: 4 }).map((c) => '/' + c.join('/'));
  const rev = fc.oneof(fc.integer({ min: -3, max: 100 }), fc.maxSafeInteger(), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: 0 }));

  it('round-trips sets and deletes (property)', () => {
    fc.assert(
      fc.property(rev, path, fc.uint8Array({ maxLength: 40 }), (r, p, body) => {
        const s = decodeMutation(encodeSet(r, p, body));
        expect(s).toEqual({ kind: 'set', rev: r, path: p, body });
        expect(decodeMutation(encodeDel(r, p))).toEqual({ kind: 'del', rev: r, path: p });
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), (b) => {
        const d = decodeMutation(b);
        expect(['nop', 'set', 'del', 'bad']).toContain(d.kind);
      }),
      { numRuns: 2000 },
    );
  });
});

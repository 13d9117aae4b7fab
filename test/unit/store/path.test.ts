import { describe, expect, it } from 'vitest';
import { isValidPath, isValidPathBytes, splitPath } from '../../../src/wire/path.js';

const enc = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

const valid = ['/', '/a', '/a/b', '/A-Z.0-9', '/ctl/node/X/applied', '/..', '/.', '/-', '/a/b/c/d/e/f'];
const invalid = ['', 'a', 'a/b', '//', '/a/', '/a//b', '/a b', '/a_b', '/é', '/a\n', '/a=b', '/a:b', '/*', '/a?', ' /a', '/a\0'];

describe('path validation', () => {
  it.each(valid)('accepts %j', (p) => {
    expect(isValidPath(p)).toBe(true);
    expect(isValidPathBytes(enc(p), 0, enc(p).length)).toBe(true);
  });
  it.each(invalid)('rejects %j', (p) => {
    expect(isValidPath(p)).toBe(false);
    expect(isValidPathBytes(enc(p), 0, enc(p).length)).toBe(false);
  });
  it('checks bytes within a range only', () => {
    const b = enc('xx/a/byy');
    expect(isValidPathBytes(b, 2, 6)).toBe(true);
    expect(isValidPathBytes(b, 2, 8)).toBe(true);
    expect(isValidPathBytes(b, 0, 6)).toBe(false);
    expect(isValidPathBytes(b, 2, 2)).toBe(false);
  });
  it('rejects non-ASCII bytes that would read as letters in latin1', () => {
    const b = new Uint8Array([0x2f, 0x61, 0xe9]);
    expect(isValidPathBytes(b, 0, 3)).toBe(false);
  });
  it('splits into components', () => {
    expect(splitPath('/')).toEqual([]);
    expect(splitPath('/a')).toEqual(['a']);
    expect(splitPath('/a/b-c/d.e')).toEqual(['a', 'b-c', 'd.e']);
  });
});

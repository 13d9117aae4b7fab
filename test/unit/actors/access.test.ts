// The secrets table of spec/protocol.md, cell by cell, on the pure policy.
import { describe, expect, it } from 'vitest';
import { accessPolicy, noClientCanWrite } from '../../../src/actors/access.js';

const RW = 'rw-s3cret';
const RO = 'ro-s3cret';

describe('access policy (spec/protocol.md "Secrets")', () => {
  it('neither secret: fresh connections write; ACCESS "" (or no value) changes nothing; other tokens are refused', () => {
    const p = accessPolicy(undefined, undefined);
    expect(p.initial).toBe('write');
    expect(p.present('')).toBe('write');
    expect(p.present(undefined)).toBe('write');
    expect(p.present(new Uint8Array())).toBe('write');
    expect(p.present('x')).toBeUndefined();
  });

  it('empty environment variables count as unset', () => {
    expect(accessPolicy('', '').initial).toBe('write');
  });

  it('rw only: fresh connections read; ACCESS "" reads; ACCESS <rw> writes', () => {
    const p = accessPolicy(RW, undefined);
    expect(p.initial).toBe('read');
    expect(p.present('')).toBe('read');
    expect(p.present(undefined)).toBe('read');
    expect(p.present(RW)).toBe('write');
    expect(p.present(Buffer.from(RW))).toBe('write');
    expect(p.present(RO)).toBeUndefined();
    expect(p.present(RW + 'x')).toBeUndefined();
  });

  it('ro only: nothing until ACCESS <ro>; ACCESS "" is refused; nothing ever writes', () => {
    const p = accessPolicy(undefined, RO);
    expect(p.initial).toBe('none');
    expect(p.present('')).toBeUndefined();
    expect(p.present(undefined)).toBeUndefined();
    expect(p.present(RO)).toBe('read');
    expect(p.present(RW)).toBeUndefined();
    expect(noClientCanWrite(undefined, RO)).toBe(true);
    expect(noClientCanWrite(RW, RO)).toBe(false);
    expect(noClientCanWrite(undefined, undefined)).toBe(false);
  });

  it('both: nothing until ACCESS; ACCESS "" is refused; <rw> writes, <ro> reads', () => {
    const p = accessPolicy(RW, RO);
    expect(p.initial).toBe('none');
    expect(p.present('')).toBeUndefined();
    expect(p.present(RW)).toBe('write');
    expect(p.present(RO)).toBe('read');
    expect(p.present('nope')).toBeUndefined();
  });
});

// User input too long for a message or the wire: a huge path is cut where a
// message quotes it; a body over 1 MiB is refused before anything is sent;
// a path too long for any write gets the real limit on paths.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { shortText } from '../../../src/wire/short-text.js';
import { explainError } from '../../../src/client/error-text.js';
import { explain } from '../../../src/cli/explain.js';
import { readBody } from '../../../src/cli/stdin.js';
import type { CliIO } from '../../../src/cli/context.js';
import { pathTooLong } from '../../../src/node/blob-channel.js';
import { DoozerError } from '../../../src/wire/errors.js';
import { invalidGlobError } from '../../../src/actors/store/glob.js';

const huge = `/${'p'.repeat(100_000)}`;

describe('long user input in messages', () => {
  it('shortText keeps short text, cuts long text naming its byte length', () => {
    expect(shortText('/a/b')).toBe('/a/b');
    expect(shortText('x'.repeat(80))).toBe('x'.repeat(80));
    expect(shortText(huge)).toBe(`/${'p'.repeat(63)}... (100001 bytes)`);
    expect(shortText('é'.repeat(81))).toMatch(/\(162 bytes\)$/);
  });

  it.each(['BAD_PATH', 'NOENT', 'ISDIR', 'NOTDIR', 'REV_MISMATCH', 'OTHER'] as const)('the library message for %s quotes a huge path cut', (code) => {
    const msg = explainError(code, { verb: 'SET', path: huge, rev: 0, address: 'h:1' }, 'detail');
    expect(msg.length).toBeLessThan(500);
  });

  it.each(['BAD_PATH', 'NOENT', 'ISDIR', 'NOTDIR', 'REV_MISMATCH', 'OTHER'] as const)('the CLI message for %s quotes a huge path cut', (code) => {
    const e = explain(new DoozerError(code, 'detail'), { command: 'get', args: [huge] });
    expect(e.message.length).toBeLessThan(600);
    expect(e.message).toContain('... (100001 bytes)');
  });
});

describe('the node quotes a huge glob cut', () => {
  it('keeps the original\'s text for a short pattern', () => {
    expect(invalidGlobError('/a b').detail).toBe('invalid glob pattern: /a b');
    expect(invalidGlobError(`${huge} x`).detail).toBe(`invalid glob pattern: /${'p'.repeat(63)}... (100003 bytes)`);
  });
});

describe('a body over 1 MiB', () => {
  const io = (bytes: number): CliIO => {
    const stdin = new PassThrough();
    stdin.end(Buffer.alloc(bytes));
    return { stdin } as unknown as CliIO;
  };
  it('is refused with its size and the limit', async () => {
    await expect(readBody(io(3_000_000), 'doozer set /big3 0')).rejects.toThrow('value too large: 3000000 bytes, the limit is 1 MiB (1048576 bytes)');
    await expect(readBody(io(1_048_577), 'doozer set /x 0')).rejects.toThrow(/1048577 bytes/);
  });
  it('is read whole up to the limit', async () => {
    expect((await readBody(io(1_048_576), 'doozer set /x 0')).length).toBe(1_048_576);
  });
});

describe('a path too long for any write', () => {
  it('names the path length and the real limit, not "large value", and quotes no path', () => {
    const header = Buffer.from(`0:/${'a'.repeat(3000)}=`);
    const msg = pathTooLong(header, 1, 80);
    expect(msg).toMatch(/^path too long: the path is 3001 bytes; with this rev and a 1-byte value a path can be at most 2956 bytes/);
    expect(msg).toMatch(/with a larger value the path can be at most 2877 bytes/);
    expect(msg).not.toMatch(/aaaa/);
  });
});

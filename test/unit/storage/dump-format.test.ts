import { describe, expect, it } from 'vitest';
import { dumpHeader, dumpLine, dumpTrailer, parseDump } from '../../../src/storage/dump-format.js';

describe('dump format', () => {
  const text = dumpHeader(9) + dumpLine({ path: '/a', rev: 3, body: Buffer.from([0, 255, 10]) }) + dumpLine({ path: '/b/c', rev: 9, body: Buffer.from('x') }) + dumpTrailer(2);

  it('round-trips binary bodies and revs', () => {
    const d = parseDump(text, 'f');
    expect(d.rev).toBe(9);
    expect(d.files.map((f) => [f.path, f.rev, [...f.body]])).toEqual([
      ['/a', 3, [0, 255, 10]],
      ['/b/c', 9, [120]],
    ]);
  });

  it('refuses a cut, foreign or newer file, naming the line', () => {
    expect(() => parseDump(text.split('\n').slice(0, 2).join('\n'), 'f')).toThrow(/f:2: the dump is cut short/);
    expect(() => parseDump('{"hello":1}\n', 'f')).toThrow(/f:1: not a doozer dump/);
    expect(() => parseDump('{"format":"doozer-dump","version":2,"rev":1}\n', 'f')).toThrow(/version 2/);
    expect(() => parseDump(dumpHeader(2) + dumpLine({ path: '/a', rev: 3, body: new Uint8Array() }) + dumpTrailer(1), 'f')).toThrow(/f:2: bad rev/);
  });
});

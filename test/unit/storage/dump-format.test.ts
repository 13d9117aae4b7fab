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

  /** A dump with these raw file lines (header rev 9, trailer counting them). */
  const raw = (...files: string[]): string => dumpHeader(9) + files.map((l) => `${l}\n`).join('') + dumpTrailer(files.length);
  const line = (path: string, body = 'eA==', rev = 1): string => JSON.stringify({ path, rev, body });

  it('refuses everything the store would refuse, naming the file and line, before a restore writes anything', () => {
    // The tester's input: a path with a space (crash-looped the store before).
    expect(() => parseDump(raw(line('/ok'), line('/a b')), 'd.jsonl')).toThrow(/^d\.jsonl:3: bad path "\/a b"/);
    for (const p of ['a', '/', '/a/', '//a', '/a//b', '/caf\u00e9', '/a\u0000b', '']) {
      expect(() => parseDump(raw(line(p)), 'f'), p).toThrow(/^f:2: bad path/);
    }
    expect(() => parseDump(raw('{"path":7,"rev":1,"body":""}'), 'f')).toThrow(/^f:2: bad path/);
    // A file that is also a directory, in either order.
    expect(() => parseDump(raw(line('/z'), line('/z/y')), 'f')).toThrow(/^f:3: path \/z\/y needs \/z to be a directory, but line 2 makes it a file/);
    expect(() => parseDump(raw(line('/z/y/x'), line('/z')), 'f')).toThrow(/^f:3: path \/z is a file here but a directory on line 2/);
    expect(() => parseDump(raw(line('/z/y/x'), line('/z/y')), 'f')).toThrow(/^f:3: path \/z\/y is a file here/);
    expect(parseDump(raw(line('/z-a'), line('/z/y')), 'f').files).toHaveLength(2);
    // Duplicates.
    expect(() => parseDump(raw(line('/a'), line('/b'), line('/a')), 'f')).toThrow(/^f:4: path \/a appears twice \(also on line 2\)/);
    // Bodies: strict, canonical base64 only.
    for (const b of ['!!notb64', 'eA', 'eA=', 'eA===', 'eB==', 'e A==', 'eA==\n', '-_8=']) {
      expect(() => parseDump(raw(line('/a', b)), 'f'), b).toThrow(/^f:2: bad body: not strict base64/);
    }
    expect([...parseDump(raw(line('/a', '')), 'f').files[0]!.body]).toEqual([]);
    expect(() => parseDump(raw('{"path":"/a","rev":1,"body":null}'), 'f')).toThrow(/^f:2: bad body/);
    // Size: over the value limit.
    const big = Buffer.alloc(1024 * 1024 + 1).toString('base64');
    expect(() => parseDump(raw(line('/a', big)), 'f')).toThrow(/^f:2: body of 1048577 bytes is over the 1048576-byte limit/);
    expect(parseDump(raw(line('/a', Buffer.alloc(1024 * 1024).toString('base64'))), 'f').files[0]!.body.length).toBe(1024 * 1024);
    // Revs.
    for (const r of [0, -1, 10, 1.5, '1', null]) expect(() => parseDump(raw(JSON.stringify({ path: '/a', rev: r, body: '' })), 'f'), String(r)).toThrow(/^f:2: bad rev .*want 1\.\.9/);
    // Not an object.
    expect(() => parseDump(raw('[1]'), 'f')).toThrow(/^f:2: not a JSON object/);
  });
});

import { describe, expect, it } from 'vitest';
import { FlagError, parseFlags } from '../../../src/node/flags.js';

describe('doozerd flags', () => {
  it('has the original defaults', () => {
    const o = parseFlags([], {});
    expect(o.listen).toEqual({ host: '127.0.0.1', port: 8046 });
    expect(o.web).toEqual({ host: '127.0.0.1', port: 8000 });
    expect(o).toMatchObject({ cluster: 'local', timeoutSec: 60, pulseSec: 1, fillSec: 0.1, hist: 2000, attach: [] });
    expect(o.bootUri).toBeUndefined();
  });

  it('parses the seed commands', () => {
    const o = parseFlags(['-a', '127.0.0.1:8046', '-l', '127.0.0.1:8047', '-w', ':8001'], {});
    expect(o.attach).toEqual(['127.0.0.1:8046']);
    expect(o.listen.port).toBe(8047);
    expect(o.web).toEqual({ host: '', port: 8001 });
    const b = parseFlags(['-c', 'ls', '-b', 'doozer:?ca=127.0.0.1:8046', '-l', '127.0.0.1:9046', '-w', ':9000'], {});
    expect(b).toMatchObject({ cluster: 'ls', bootUri: 'doozer:?ca=127.0.0.1:8046' });
  });

  it('accepts -flag=value, --flag, repeated -a, -w false, and $DOOZER_BOOT_URI', () => {
    const o = parseFlags(['--timeout=2', '-a', 'x:1', '-a=y:2', '-w', 'false'], { DOOZER_BOOT_URI: 'doozer:?ca=z:3' });
    expect(o.timeoutSec).toBe(2);
    expect(o.attach).toEqual(['x:1', 'y:2']);
    expect(o.web).toBeUndefined();
    expect(o.bootUri).toBe('doozer:?ca=z:3');
  });

  it.each([
    [['-nope'], /not defined: -nope/],
    [['-l'], /needs an argument/],
    [['-timeout', 'soon'], /invalid value "soon" for flag -timeout/],
    [['-hist', '1.5'], /integer/],
    [['-l', '0.0.0.0:8046'], /specific host/],
    [['-l', 'localhost'], /not host:port/],
    [['-tlscert', 'a.pem'], /together/],
    [['stray'], /unexpected argument/],
  ])('refuses %j', (argv, msg) => {
    expect(() => parseFlags(argv as string[], {})).toThrow(FlagError);
    expect(() => parseFlags(argv as string[], {})).toThrow(msg);
  });
});

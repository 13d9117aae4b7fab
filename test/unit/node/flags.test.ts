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
    [['-a', 'no such::host'], /invalid value "no such::host" for flag -a: bad address/],
    [['-a', '127.0.0.1:99999'], /for flag -a: .*port must be a number from 1 to 65535/],
  ])('refuses %j', (argv, msg) => {
    expect(() => parseFlags(argv as string[], {})).toThrow(FlagError);
    expect(() => parseFlags(argv as string[], {})).toThrow(msg);
  });

  // A cluster name is one path component: it names /ctl/ns/<name>.
  it.each([[''], ['x y'], ['a/b'], ['/a'], ['a_b'], ['a*'], ['é'], ['x'.repeat(256)]])('refuses the cluster name %j at parse time', (name) => {
    expect(() => parseFlags(['-c', name], {})).toThrow(/invalid cluster name .* for flag -c: want one name/);
  });

  it('cuts a long bad value in its message', () => {
    let msg = '';
    try {
      parseFlags(['-c', 'y'.repeat(100_000)], {});
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/\.\.\. \(100000 characters\)/);
    expect(msg.length).toBeLessThan(400);
  });

  it.each([['local'], ['prod-1'], ['a.b'], ['X9'], ['x'.repeat(255)]])('accepts the cluster name %j', (name) => {
    expect(parseFlags(['-c', name], {}).cluster).toBe(name);
  });

  // Every number flag: 0, negative, NaN, Infinity, past a timer's range.
  const durations = ['timeout', 'fill'];
  const counts = ['hist', 'snapshot'];
  it.each(durations.flatMap((f) => ['0', '-1', 'NaN', 'Infinity', '', '1e300', '2147484'].map((v) => [f, v])))('refuses -%s %j', (flag, v) => {
    expect(() => parseFlags([`-${flag}`, v!], {})).toThrow(new RegExp(`for flag -${flag}: want a number of seconds more than 0 and at most 2147483`));
  });
  it.each([['0'], ['0.001'], ['0.0099'], ['-1'], ['NaN'], [''], ['1e300'], ['2147484']])('refuses -pulse %j (below 0.01 a write every tick would flood the cluster)', (v) => {
    expect(() => parseFlags(['-pulse', v], {})).toThrow(/for flag -pulse: want a number of seconds from 0.01 and at most 2147483/);
  });
  it.each(counts.flatMap((f) => ['0', '-1', 'NaN', '1.5', '1e300', '2147483648'].map((v) => [f, v])))('refuses -%s %j', (flag, v) => {
    expect(() => parseFlags([`-${flag}`, v!], {})).toThrow(new RegExp(`for flag -${flag}: want an integer from 1 to 2147483647`));
  });
  it('accepts small and large valid numbers', () => {
    const o = parseFlags(['-pulse', '0.01', '-fill', '0.001', '-timeout', '2147483', '-hist', '2147483647', '-snapshot', '1'], {});
    expect(o).toMatchObject({ pulseSec: 0.01, fillSec: 0.001, timeoutSec: 2147483, hist: 2147483647, snapshotEvery: 1 });
  });

  it('marks a malformed command line for the whole usage, a bad value not', () => {
    const err = (argv: string[]): FlagError => {
      try {
        parseFlags(argv, {});
      } catch (e) {
        return e as FlagError;
      }
      throw new Error('accepted');
    };
    expect(err(['-nope']).usage).toBe(true);
    expect(err(['-l']).usage).toBe(true);
    expect(err(['stray']).usage).toBe(true);
    expect(err(['-pulse', '0']).usage).toBe(false);
    expect(err(['-c', 'a/b']).usage).toBe(false);
    expect(err(['-placement', '/nonexistent/place.json']).usage).toBe(false);
  });
});

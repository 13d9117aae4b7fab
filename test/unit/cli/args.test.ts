// Command-line parsing and error wording of the doozer command, in-process:
// revs as the original parses them, exit codes, one-line usage errors,
// -t/-tls/-tlsca/-v, explain() naming every protocol code, unreadable stdin.
import { openSync, closeSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, RequestTimeoutError } from '../../../src/client/connection.js';
import { ArgError, parseRev } from '../../../src/cli/context.js';
import { explain } from '../../../src/cli/explain.js';
import { main, parseArgs } from '../../../src/cli/main.js';
import { stdinProblem } from '../../../src/cli/stdin.js';
import { DoozerError } from '../../../src/wire/errors.js';
import { DEADLINE } from '../../helpers/deadlines.js';
import { ErrCode } from '../../../src/wire/client-codec.js';
import type { ErrName } from '../../../src/wire/client-codec.js';
import { logLevelProblem, parseLogLevel } from '../../../src/runtime/log.js';
import { parseFlags } from '../../../src/node/flags.js';
import { memoryStore, startFakeServer } from '../client/fake-server.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function run(argv: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  stdin.end(opts.stdin ?? '');
  const code = await main(argv, { stdin, stdout, stderr, env: opts.env ?? {} });
  return { code, stdout: out, stderr: err };
}

describe('parseRev (as Go ParseInt)', () => {
  it('takes signed decimal integers, +5 included', () => {
    expect(parseRev('42')).toBe(42);
    expect(parseRev('+5')).toBe(5);
    expect(parseRev('-1')).toBe(-1);
    expect(parseRev('007')).toBe(7);
  });
  it('refuses anything else with ArgError (exit 2)', () => {
    for (const bad of ['abc', '', '1e3', '0x10', ' 5', '5 ', '1.0', '--1', '+']) {
      expect(() => parseRev(bad), bad).toThrow(ArgError);
    }
    expect(() => parseRev('99999999999999999999')).toThrow(/out of range/);
  });
});

describe('parseArgs', () => {
  it('boolean flags -tls, -tls=false, -v, -version, --version; value flags -tlsca, -t anywhere before args', () => {
    expect(parseArgs(['-tls', 'rev'])).toMatchObject({ tls: true, command: 'rev' });
    expect(parseArgs(['-tls=false', 'rev'])).toMatchObject({ tls: false });
    expect(parseArgs(['-tlsca', 'ca.pem', 'get', '/x'])).toMatchObject({ tlsca: 'ca.pem', args: ['/x'] });
    expect(parseArgs(['-v'])).toMatchObject({ version: true });
    expect(parseArgs(['--version'])).toMatchObject({ version: true });
    expect(parseArgs(['-version'])).toMatchObject({ version: true });
    expect(parseArgs(['-t', '3s', 'get', '/x'])).toMatchObject({ t: '3s', args: ['/x'] });
    expect(parseArgs(['get', '-t', '3s', '-tls', '/x'])).toMatchObject({ t: '3s', tls: true, args: ['/x'] });
    expect(parseArgs(['set', '/x', '+5'])).toMatchObject({ args: ['/x', '+5'] });
  });
  it('refuses unknown flags, flags without values, bad booleans, -v after the command', () => {
    expect(() => parseArgs(['-tls=maybe', 'rev'])).toThrow(/invalid boolean/);
    expect(() => parseArgs(['-tlsca'])).toThrow(/needs a value/);
    expect(() => parseArgs(['get', '-v', '/x'])).toThrow(/unknown flag -v for get/);
  });
});

describe('doozer exit codes and usage lines', () => {
  it('-v/--version print the version on stdout', async () => {
    for (const f of ['-v', '--version']) {
      const r = await run([f]);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(/^doozer doozerd-ts-\S+\n$/);
    }
  });
  it('flags and revs that do not parse exit 2; wrong argument counts 127; always one line', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['-z', 'rev'], 2, /^doozer: unknown flag -z; run "doozer help" for usage\n$/],
      [['-r', 'x', 'rev'], 2, /^doozer: -r "x" is not a number/],
      [['-t', '5parsecs', 'rev'], 2, /^doozer: -t: bad duration/],
      [['set', '/x', 'abc'], 2, /^doozer: set \/x: rev "abc" is not a number .*doozer help set/],
      [['del', '/x', '1.5'], 2, /^doozer: del \/x: rev "1.5" is not a number/],
      [['get'], 127, /^doozer: get: missing argument \(usage: doozer \[flags\] get <path>\); run "doozer help get" for more\n$/],
      [['rev', 'x'], 127, /^doozer: rev: too many arguments/],
      [['frob'], 127, /^doozer: unknown command "frob"/],
      [[], 127, /^doozer: no command given; run "doozer help"/],
    ];
    for (const [argv, code, re] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.stderr, argv.join(' ')).toMatch(re);
      expect(r.stderr.split('\n')).toHaveLength(2); // one line and the final newline
    }
  });
  it('-r +5 and -t before the command work; -r -1 means "now" (the original\'s default)', async () => {
    const s = memoryStore();
    const srv = await startFakeServer(s.handler);
    cleanup.push(() => srv.close());
    s.set('/f', 'new');
    const gets = () => srv.requests.filter((q) => q.path === '/f').map((q) => q.rev);
    expect(await run(['-a', srv.uri, '-r', '+5', 'get', '/f'])).toMatchObject({ code: 0 });
    expect(await run(['-a', srv.uri, '-r', '-1', 'get', '/f'])).toMatchObject({ code: 0, stdout: 'new' });
    expect(await run(['-t', '2s', '-a', srv.uri, 'get', '/f'])).toMatchObject({ code: 0, stdout: 'new' });
    expect(gets()).toEqual([5, undefined, undefined]);
    expect(await run(['-a', srv.uri, 'set', '/g', '+0'], { stdin: 'g' })).toMatchObject({ code: 0 });
  });
  it('an unknown DOOZERD_LOG is an error (exit 2) listing the allowed values', async () => {
    const r = await run(['rev'], { env: { DOOZERD_LOG: 'verbose' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/DOOZERD_LOG=verbose is not a log level: use one of error, warn, info, debug/);
  });
  it('a request with no answer times out after -t with a clear message', async () => {
    const srv = await startFakeServer(() => undefined); // never answers
    cleanup.push(() => srv.close());
    const t0 = Date.now();
    const r = await run(['-a', srv.uri, '-t', '200ms', 'rev']);
    expect(Date.now() - t0).toBeLessThan(DEADLINE.local);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^doozer: rev: no answer from 127\.0\.0\.1:\d+ to REV within 200ms \(-t\): the node may be stopped/);
  });
  it('-t longer than a Node timer can run (1000h) means no limit, not a timeout at once', async () => {
    const srv = await startFakeServer(() => undefined); // never answers
    const r = run(['-a', srv.uri, '-t', '1000h', 'rev']);
    // Before the fix the 3.6e9 ms timer fired after 1 ms; give it ample time to.
    const early = await Promise.race([r.then(() => 'ended'), new Promise((res) => setTimeout(() => res('still waiting'), 500))]);
    expect(early).toBe('still waiting');
    await srv.close(); // ends the request: the connection is lost
    expect((await r).stderr).not.toMatch(/no answer .* within/);
  });
  it('URIs that are not doozer URIs are invalid (exit 2), with the form; bare addresses too, as the original', async () => {
    for (const uri of ['garbage', '?ca=127.0.0.1:8046', '127.0.0.1:8046', 'doozer:?', 'doozer:?ca=a%20b']) {
      const r = await run(['-a', uri, 'rev']);
      expect(r.code, uri).toBe(2);
      expect(r.stderr, uri).toMatch(/^doozer: invalid URI \(-a\): .*the form is doozer:\?ca=host:port/);
    }
  });
});

describe('explain names the protocol code of every server error', () => {
  const codes = Object.keys(ErrCode) as ErrName[];
  it.each(codes)('%s', (code) => {
    const { message, exitCode } = explain(new DoozerError(code, 'detail'), { command: 'set', args: ['/x', '1'] });
    expect(message).toMatch(new RegExp(`^doozer: set /x: ${code}: \\S`));
    expect(exitCode).toBe(code === 'REV_MISMATCH' ? 1 : 2);
  });
  it('READONLY lists the CALs when known', () => {
    const m = explain(new DoozerError('READONLY'), { command: 'set', args: ['/x'], calAddrs: ['10.0.0.1:8046', '10.0.0.2:8046'] }).message;
    expect(m).toMatch(/READONLY: this node is read-only .*write through a CAL: -a 'doozer:\?ca=10\.0\.0\.1:8046&ca=10\.0\.0\.2:8046'/);
  });
  it('permission denied: no secret, read-only secret', () => {
    const denied = new DoozerError('OTHER', 'permission denied');
    expect(explain(denied, { command: 'get', args: ['/x'] }).message).toMatch(/needs a secret; add sk=SECRET/);
    expect(explain(denied, { command: 'set', args: ['/x'], writes: true, secretGiven: true }).message).toMatch(/is the read-only one/);
  });
  it('timeouts, TLS and closed connections say what is likely and what to do', () => {
    const t = explain(new RequestTimeoutError('h:1', 'GET /x', 1000), { command: 'get', args: ['/x'], rev: 500, currentRev: 20, timeoutText: '1s' });
    expect(t.message).toMatch(/rev 500 is ahead of this node's store \(at rev 20\); waited 1s \(-t\)/);
    const w = explain(new RequestTimeoutError('h:1', 'SET /x', 1000), { command: 'set', args: ['/x', '0'], writes: true, timeoutText: '1s' });
    expect(w.message).toMatch(/waiting for a quorum of CALs; the write may still happen later \(check: doozer stat \/x\)/);
    const closed = new ConnectionError('connection to h:1 closed by the server', 'h:1', undefined, { neverAnswered: true });
    expect(explain(closed, { command: 'rev', args: [] }).message).toMatch(/refused the request, or stopped, or it uses TLS .*-tls/);
    const cert = new ConnectionError('cannot connect to h:1: self-signed certificate', 'h:1', 'DEPTH_ZERO_SELF_SIGNED_CERT', { tls: true });
    expect(explain(cert, { command: 'rev', args: [] }).message).toMatch(/not trusted; give its CA with -tlsca/);
    const reset = new ConnectionError('cannot connect to h:1: socket disconnected', 'h:1', 'ECONNRESET', { tls: true });
    expect(explain(reset, { command: 'rev', args: [] }).message).toMatch(/probably does not use TLS/);
  });
});

describe('stdinProblem', () => {
  it('a directory cannot be a body', () => {
    const fd = openSync('/', 'r');
    try {
      expect(stdinProblem(fd)).toBe('stdin is a directory');
    } finally {
      closeSync(fd);
    }
  });
  it('a closed fd, and /dev/null opened read-write (what Node puts in place of a closed fd 0), are "closed"', () => {
    expect(stdinProblem(987654)).toBe('stdin is closed');
    const rw = openSync('/dev/null', 'r+');
    const ro = openSync('/dev/null', 'r');
    try {
      if (process.platform === 'linux') expect(stdinProblem(rw)).toBe('stdin is closed');
      expect(stdinProblem(ro)).toBeUndefined();
    } finally {
      closeSync(rw);
      closeSync(ro);
    }
  });
});

describe('DOOZERD_LOG and doozerd --version', () => {
  it('parseLogLevel takes the four levels (any case), unset or empty is warn, anything else throws', () => {
    expect(parseLogLevel(undefined)).toBe('warn');
    expect(parseLogLevel('')).toBe('warn');
    expect(parseLogLevel('DEBUG')).toBe('debug');
    expect(() => parseLogLevel('trace')).toThrow(/use one of error, warn, info, debug/);
    expect(logLevelProblem({ DOOZERD_LOG: 'info' })).toBeUndefined();
    expect(logLevelProblem({ DOOZERD_LOG: 'x' })).toMatch(/DOOZERD_LOG=x/);
  });
  it('doozerd accepts -v, -version and --version', () => {
    for (const f of ['-v', '-version', '--version']) expect(parseFlags([f], {}).showVersion).toBe(true);
    expect(parseFlags([], {}).showVersion).toBe(false);
  });
});

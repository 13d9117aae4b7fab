// The doozer command, run in-process (main with injected streams) against
// the fake in-memory server.
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { main, parseArgs } from '../../../src/cli/main.js';
import { parseDuration } from '../../../src/cli/duration.js';
import { formatEvent } from '../../../src/cli/format.js';
import { Verb } from '../../../src/wire/client-codec.js';
import { memoryStore, startFakeServer } from '../client/fake-server.js';
import { DEADLINE } from '../../helpers/deadlines.js';
import { until } from '../../helpers/until.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  out: Buffer;
}

async function run(argv: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const outChunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => outChunks.push(c));
  stderr.on('data', (c: Buffer) => errChunks.push(c));
  stdin.end(opts.stdin ?? '');
  const code = await main(argv, { stdin, stdout, stderr, env: opts.env ?? {} });
  const out = Buffer.concat(outChunks);
  return { code, out, stdout: out.toString(), stderr: Buffer.concat(errChunks).toString() };
}

async function server(opts: Parameters<typeof memoryStore>[0] = {}) {
  const store = memoryStore(opts);
  const s = await startFakeServer(store.handler);
  cleanup.push(() => s.close());
  /** Until the server has received `n` WAIT requests (the last one then pending there). */
  const waits = (n: number): Promise<true> =>
    until(`${n} WAIT request(s) at the server`, () => s.requests.filter((r) => r.verb === Verb.WAIT).length >= n || undefined, DEADLINE.local, 2);
  return { store, uri: s.uri, a: ['-a', s.uri], waits };
}

describe('parseArgs', () => {
  it('takes Go-style flags before the command', () => {
    expect(parseArgs(['-a', 'doozer:?ca=x', '-r=5', '--b', 'u', 'get', '/x'])).toEqual({
      a: 'doozer:?ca=x', b: 'u', r: '5', help: false, version: false, command: 'get', args: ['/x'],
    });
  });
  it('takes flags right after the command, but not negative revs as flags', () => {
    expect(parseArgs(['wait', '-t', '5s', '/x/**'])).toMatchObject({ t: '5s', command: 'wait', args: ['/x/**'] });
    expect(parseArgs(['del', '/x', '-1'])).toMatchObject({ command: 'del', args: ['/x', '-1'] });
    expect(parseArgs(['get', '-r', '3', '/x'])).toMatchObject({ r: '3', args: ['/x'] });
  });
  it('rejects unknown flags and flags without values', () => {
    expect(() => parseArgs(['-x', 'get'])).toThrow(/unknown flag -x/);
    expect(() => parseArgs(['get', '-z', '1s', '/x'])).toThrow(/unknown flag -z for get/);
    expect(() => parseArgs(['-a'])).toThrow(/-a needs a value/);
  });
});

describe('parseDuration', () => {
  it('reads Go durations and bare seconds', () => {
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('100ms')).toBe(100);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250us')).toBe(0.25);
    expect(parseDuration('2')).toBe(2000);
    expect(() => parseDuration('5x')).toThrow(/bad duration/);
    expect(() => parseDuration('')).toThrow(/bad duration/);
    expect(() => parseDuration('s')).toThrow(/bad duration/);
  });
});

describe('formatEvent', () => {
  it('is "<path> <rev> <set|del> <len>" LF body LF', () => {
    const ev = { path: '/a', rev: 9, value: Buffer.from('hi'), flags: 4, isSet: true, isDel: false };
    expect(formatEvent(ev).toString()).toBe('/a 9 set 2\nhi\n');
    expect(formatEvent({ ...ev, value: Buffer.alloc(0), flags: 8, isSet: false, isDel: true }).toString()).toBe(
      '/a 9 del 0\n\n',
    );
  });
});

describe('doozer commands', () => {
  it('usage errors exit 127, flags and revs that do not parse exit 2; one line, and how to get help', async () => {
    for (const argv of [[], ['frob'], ['get'], ['get', '/a', '/b'], ['help', 'frob']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(127);
      expect(r.stderr).toMatch(/^doozer: [^\n]*doozer help[^\n]*\n$/);
      expect(r.stdout).toBe('');
    }
    for (const argv of [['-x', 'rev'], ['set', '/a', 'x'], ['-r', 'abc', 'get', '/a'], ['wait', '-t', 'soon', '/a'], ['-a']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^doozer: [^\n]*doozer help[^\n]*\n$/);
      expect(r.stdout).toBe('');
    }
    const r = await run(['frob']);
    expect(r.stderr).toMatch(/unknown command "frob"/);
    expect((await run(['get'])).stderr).toMatch(/get: missing argument \(usage: doozer .*get <path>\); run "doozer help get"/);
  });

  it('-h and help print the usage on stdout, exit 0', async () => {
    for (const argv of [['-h'], ['help'], ['--help']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: doozer/);
      for (const c of ['get', 'set', 'add', 'del', 'stat', 'find', 'rev', 'nop', 'self', 'touch', 'wait', 'watch']) {
        expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
      }
    }
    expect((await run(['help', 'set'])).stdout).toMatch(/usage: doozer .*set <path> <rev>/);
  });

  it('set/add read stdin, print the rev; get prints the body as is', async () => {
    const { a } = await server();
    const s = await run([...a, 'set', '/ctl/cal/1', '0'], { stdin: '' });
    expect(s).toMatchObject({ code: 0, stderr: '' });
    expect(s.stdout).toMatch(/^\d+\n$/);
    const add = await run([...a, 'add', '/message'], { stdin: 'hello\n' });
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/^\d+\n$/);
    expect((await run([...a, 'get', '/message'])).stdout).toBe('hello\n');
    expect((await run([...a, 'get', '/ctl/cal/1'])).out.length).toBe(0);
    const again = await run([...a, 'add', '/message'], { stdin: 'x' });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/\/message already exists/);
  });

  it('uses $DOOZER_URI when -a is absent', async () => {
    const { uri } = await server({ id: 'FROMENVFROMENVFR' });
    const r = await run(['self'], { env: { DOOZER_URI: uri } });
    expect(r).toMatchObject({ code: 0, stdout: 'FROMENVFROMENVFR' });
  });

  it('rev mismatch exits 1, other errors exit 2, with advice', async () => {
    const { a } = await server();
    const rev = Number((await run([...a, 'set', '/f', '0'], { stdin: 'one' })).stdout);
    await run([...a, 'set', '/f', String(rev)], { stdin: 'two' });
    const stale = await run([...a, 'set', '/f', String(rev)], { stdin: 'three' });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^doozer: set \/f: REV_MISMATCH: rev mismatch: .*doozer stat \/f/);
    const delStale = await run([...a, 'del', '/f', String(rev)]);
    expect(delStale.code).toBe(1);
    const bad = await run([...a, 'get', '/a b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/BAD_PATH: bad path "\/a b"/);
    const dir = await run([...a, 'get', '/']);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toMatch(/ISDIR: \/ is a directory; list it with: doozer find \//);
    const del = await run([...a, 'del', '/f', '-1']);
    expect(del).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('READONLY and permission errors say what to do', async () => {
    const ro = await server({ readonly: true });
    const r = await run([...ro.a, 'nop']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^doozer: nop: READONLY: this node is read-only.*write through a CAL/);
    const sec = await server({ secret: 'pw' });
    const d = await run([...sec.a, 'get', '/x']);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/OTHER: permission denied.*sk=SECRET/);
    expect((await run(['-a', `${sec.uri}&sk=pw`, 'get', '/x'])).code).toBe(0);
  });

  it('cannot connect: exit 2 with a hint', async () => {
    const r = await run(['-a', 'doozer:?ca=127.0.0.1:1', 'rev']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot connect to 127\.0\.0\.1:1: connection refused: is doozerd running there\? set DOOZER_URI or use -a/);
    expect(r.stderr).toContain("-a 'doozer:?ca=127.0.0.1:8046'");
    const bad = await run(['-a', 'http://x', 'rev']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a doozer URI/);
  });

  it('stat prints "<rev> <len>", "d <entries>", and fails on missing files', async () => {
    const { a } = await server();
    const rev = (await run([...a, 'set', '/s/f', '0'], { stdin: 'abcd' })).stdout.trim();
    expect((await run([...a, 'stat', '/s/f'])).stdout).toBe(`${rev} 4\n`);
    expect((await run([...a, 'stat', '/s'])).stdout).toBe('d 1\n');
    const missing = await run([...a, 'stat', '/s/none']);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toMatch(/stat \/s\/none: NOENT: no such file or directory/);
  });

  it('find prints every directory and file, depth-first in byte order', async () => {
    const { a, store } = await server();
    for (const p of ['/a-c', '/a/b', '/a/c/d', '/a/c/e', '/b', '/A/z']) store.set(p, 'x');
    expect((await run([...a, 'find', '/'])).stdout).toBe(
      ['/', '/A', '/A/z', '/a', '/a/b', '/a/c', '/a/c/d', '/a/c/e', '/a-c', '/b', ''].join('\n'),
    );
    expect((await run([...a, 'find', '/a/'])).stdout).toBe(['/a', '/a/b', '/a/c', '/a/c/d', '/a/c/e', ''].join('\n'));
    expect((await run([...a, 'find', '/b'])).stdout).toBe('/b\n');
    const none = await run([...a, 'find', '/zz']);
    expect(none).toMatchObject({ code: 0, stdout: '' }); // As the original: stderr, exit 0.
    expect(none.stderr).toMatch(/find \/zz: NOENT: no such file or directory/);
  });

  it('rev, nop, self, touch', async () => {
    const { a, store } = await server({ id: 'NODEIDNODEIDNODE' });
    const r = await run([...a, 'rev']);
    expect(r.stdout).toBe(`${store.rev}\n`);
    expect(await run([...a, 'nop'])).toMatchObject({ code: 0, stdout: '' });
    expect((await run([...a, 'self'])).stdout).toBe('NODEIDNODEIDNODE');
    const rev = store.set('/t', 'keep');
    expect(await run([...a, 'touch', '/t'])).toMatchObject({ code: 0, stdout: '' });
    expect(store.files.get('/t')!.rev).toBeGreaterThan(rev);
    expect(store.files.get('/t')!.value.toString()).toBe('keep');
    await run([...a, 'touch', '/new']);
    expect(store.files.get('/new')!.value.length).toBe(0);
  });

  it('wait prints the next change; -r from history; -t times out with exit 2', async () => {
    const { a, store, waits } = await server();
    const rev = store.set('/w/a', 'hello');
    const hist = await run([...a, '-r', String(rev), 'wait', '/w/**']);
    expect(hist).toMatchObject({ code: 0, stdout: `/w/a ${rev} set 5\nhello\n` });
    const p = run([...a, 'wait', '/w/**']);
    await waits(2);
    store.del('/w/a');
    expect((await p).stdout).toBe(`/w/a ${rev + 1} del 0\n\n`);
    const t0 = Date.now();
    const to = await run([...a, 'wait', '-t', '100ms', '/w/**']);
    expect(Date.now() - t0).toBeLessThan(DEADLINE.local);
    expect(to.code).toBe(2);
    expect(to.stderr).toMatch(/wait \/w\/\*\*: timed out after 100ms/);
  });

  it('watch prints every change until stdout goes away', async () => {
    const { uri, store, waits } = await server();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let text = '';
    const from = store.rev + 1;
    stdout.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.split('\n').length > 6) stdout.destroy(new Error('EPIPE'));
    });
    const p = main(['-a', uri, 'watch', '/x/**'], { stdin: new PassThrough(), stdout, stderr, env: {} });
    await waits(1);
    store.set('/x/1', 'a');
    store.set('/y', 'no');
    store.set('/x/2', 'bb');
    store.del('/x/1');
    expect(await p).toBe(0);
    expect(text).toBe(`/x/1 ${from} set 1\na\n/x/2 ${from + 2} set 2\nbb\n/x/1 ${from + 3} del 0\n\n`);
  });
});

describe('doozer against a node that goes away', () => {
  it('the connection drops after the first answer: exit 2, one line saying what to do', async () => {
    // A real store for the first request of each connection; the second one drops it.
    const store = memoryStore();
    store.set('/x/f', 'body');
    const seen = new Map<unknown, number>();
    const s = await startFakeServer((req, conn) => {
      const n = (seen.get(conn.socket) ?? 0) + 1;
      seen.set(conn.socket, n);
      if (n === 1) store.handler(req, conn);
      else conn.destroy();
    });
    cleanup.push(() => s.close());
    for (const args of [['wait', '/x/**'], ['touch', '/x/f'], ['find', '/x']]) {
      const r = await run(['-a', s.uri, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr, args.join(' ')).toMatch(new RegExp(`^doozer: ${args[0]} ${args[1]!.replace(/\*/g, '\\*')}: .*the node may have stopped: try again, or another node with -a\\n$`));
    }
  });
});

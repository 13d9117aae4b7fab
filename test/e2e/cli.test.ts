// The doozer CLI (bin/doozer) against a real single doozerd node.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOOZER_BIN,
  REPO_ROOT,
  runDoozer,
  spawnDoozer,
  startDoozerd,
  stopAll,
  waitForOutput,
} from '../helpers/doozerd-process.js';
import type { CliResult, DoozerdProcess, RunOptions } from '../helpers/doozerd-process.js';
import { DEADLINE } from '../helpers/deadlines.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

/** Runs a shell pipeline from the repo root (for the seed's exact commands). */
function sh(script: string, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', script], { cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: 'buffer' }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, signal: null, out: stdout, stdout: stdout.toString(), stderr: stderr.toString() });
    });
  });
}

describe('doozer CLI against a real doozerd', () => {
  let node: DoozerdProcess;
  let doozer: (args: string[], opts?: RunOptions) => Promise<CliResult>;
  /** Asserts success and shows the node's stderr when it fails. */
  const ok = (r: CliResult): CliResult => {
    expect(r.code, `stderr: ${r.stderr}\n${node.describe()}`).toBe(0);
    return r;
  };

  beforeAll(async () => {
    node = await startDoozerd();
    doozer = (args, opts) => runDoozer(['-a', node.uri, ...args], opts);
    // Ready means writable, too: wait for the node to accept a write.
    await until('the node writable (doozer nop exits 0)', async () => (await doozer(['nop'])).code === 0, DEADLINE.converge, 100);
  });

  afterAll(async () => {
    await stopAll();
  });

  it('rev prints the current rev; self prints the id without a newline', async () => {
    const r = ok(await doozer(['rev']));
    expect(r.stdout).toMatch(/^\d+\n$/);
    const s = ok(await doozer(['self']));
    expect(s.stdout).toMatch(/^[A-Z2-7]{16}$/);
    const cal0 = ok(await doozer(['get', '/ctl/cal/0']));
    expect(cal0.stdout).toBe(s.stdout);
  });

  // A body over 1 MiB is refused by the CLI before it sends anything (the
  // node used to drop the connection: "ECONNRESET ... it probably uses TLS").
  it.each([['set', '/big3', '0'], ['add', '/big3']])('%s: a value over 1 MiB is refused locally, exit 2', async (...args) => {
    const r = await doozer(args, { input: Buffer.alloc(3_000_000) });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('doozer: value too large: 3000000 bytes, the limit is 1 MiB (1048576 bytes); nothing was written\n');
    expect((await doozer(['stat', '/big3'])).stderr).toMatch(/NOENT/);
  });

  it('a path too long for any write: the real limit on paths, the path cut in the message', async () => {
    const long = `/${'a'.repeat(3000)}`;
    const r = await doozer(['set', long, '0'], { input: 'x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^doozer: set \/a{63}\.\.\. \(3001 bytes\): OTHER: path too long: the path is 3001 bytes; with this rev and a 1-byte value a path can be at most 2956 bytes/);
    expect(r.stderr).not.toMatch(/large value/);
    const huge = `/${'b'.repeat(100_000)}`;
    for (const args of [['set', huge, '0'], ['stat', huge], ['del', huge, '-1']]) {
      const h = await doozer(args, { input: 'x' });
      expect(h.code, args[0]).not.toBe(0);
      expect(h.stderr.length, `${args[0]}: ${h.stderr.slice(0, 300)}`).toBeLessThan(600);
    }
  });

  it('echo hello | doozer add /message; doozer get /message prints hello', async () => {
    const add = await sh(`echo hello | "${process.execPath}" "${DOOZER_BIN}" add /message`, { DOOZER_URI: node.uri });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/^\d+\n$/);
    const get = ok(await doozer(['get', '/message']));
    expect(get.stdout).toBe('hello\n');
    // add again: the file exists, a rev mismatch.
    const again = await doozer(['add', '/message'], { input: 'x' });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it("the seed's printf '' | doozer -a 'doozer:?ca=...' set /ctl/cal/1 0 prints the new rev", async () => {
    const r = await sh(`printf '' | "${process.execPath}" "${DOOZER_BIN}" -a 'doozer:?ca=${node.addr}' set /ctl/cal/1 0`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d+\n$/);
    const st = ok(await doozer(['stat', '/ctl/cal/1']));
    expect(st.stdout).toBe(`${r.stdout.trim()} 0\n`);
    // The node still takes writes afterwards.
    ok(await doozer(['nop']));
  });

  it('set with revs: stale rev exits 1, -1 clobbers; del likewise', async () => {
    const r1 = Number(ok(await doozer(['set', '/e2e/f', '0'], { input: 'one' })).stdout);
    const r2 = Number(ok(await doozer(['set', '/e2e/f', String(r1)], { input: 'two' })).stdout);
    expect(r2).toBeGreaterThan(r1);
    const stale = await doozer(['set', '/e2e/f', String(r1)], { input: 'three' });
    expect(stale.code).toBe(1);
    expect(stale.stdout).toBe('');
    expect(stale.stderr).toMatch(/rev mismatch/);
    const r3 = Number(ok(await doozer(['set', '/e2e/f', '-1'], { input: 'four' })).stdout);
    expect(ok(await doozer(['get', '/e2e/f'])).stdout).toBe('four');
    const delStale = await doozer(['del', '/e2e/f', String(r1)]);
    expect(delStale.code).toBe(1);
    // -r reads the past.
    expect(ok(await doozer(['-r', String(r1), 'get', '/e2e/f'])).stdout).toBe('one');
    expect(ok(await doozer(['-r', String(r2), 'stat', '/e2e/f'])).stdout).toBe(`${r2} 3\n`);
    const del = ok(await doozer(['del', '/e2e/f', String(r3)]));
    expect(del.stdout).toBe('');
    expect(ok(await doozer(['get', '/e2e/f'])).out.length).toBe(0);
  });

  it('binary bodies round-trip byte for byte', async () => {
    const body = Buffer.from([0, 1, 2, 255, 254, 10, 13, 61, 58]);
    ok(await doozer(['set', '/e2e/bin', '-1'], { input: body }));
    expect(ok(await doozer(['get', '/e2e/bin'])).out).toEqual(body);
  });

  it('stat: "<rev> <len>", "d <entries>", missing exits 2', async () => {
    const rev = ok(await doozer(['set', '/e2e/s/f', '-1'], { input: 'abcd' })).stdout.trim();
    ok(await doozer(['set', '/e2e/s/g', '-1'], { input: '' }));
    expect(ok(await doozer(['stat', '/e2e/s/f'])).stdout).toBe(`${rev} 4\n`);
    expect(ok(await doozer(['stat', '/e2e/s'])).stdout).toBe('d 2\n');
    const missing = await doozer(['stat', '/e2e/s/none']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/no such file or directory/);
  });

  it('find prints every directory and file, depth-first in byte order', async () => {
    for (const p of ['/e2e/t/a-c', '/e2e/t/a/b', '/e2e/t/a/c/d', '/e2e/t/B']) {
      ok(await doozer(['set', p, '-1'], { input: 'x' }));
    }
    expect(ok(await doozer(['find', '/e2e/t'])).stdout).toBe(
      ['/e2e/t', '/e2e/t/B', '/e2e/t/a', '/e2e/t/a/b', '/e2e/t/a/c', '/e2e/t/a/c/d', '/e2e/t/a-c', ''].join('\n'),
    );
    const all = ok(await doozer(['find', '/'])).stdout.split('\n');
    expect(all[0]).toBe('/');
    expect(all).toContain('/ctl/cal/0');
    expect(all).toContain('/ctl');
    expect((await doozer(['find', '/e2e/none'])).code).toBe(0); // NOENT on stderr, exit 0, as the original
  });

  it('touch rewrites a file with its own body at a new rev; nop advances the rev', async () => {
    const r = Number(ok(await doozer(['set', '/e2e/touch', '-1'], { input: 'same' })).stdout);
    ok(await doozer(['touch', '/e2e/touch']));
    const st = ok(await doozer(['stat', '/e2e/touch'])).stdout.split(' ');
    expect(Number(st[0])).toBeGreaterThan(r);
    expect(ok(await doozer(['get', '/e2e/touch'])).stdout).toBe('same');
    const before = Number(ok(await doozer(['rev'])).stdout);
    expect(ok(await doozer(['nop'])).stdout).toBe('');
    expect(Number(ok(await doozer(['rev'])).stdout)).toBeGreaterThan(before);
  });

  it('wait: -r answers from history; -t times out with exit 2', async () => {
    const rev = Number(ok(await doozer(['set', '/e2e/w/a', '-1'], { input: 'hello' })).stdout);
    const hist = ok(await doozer(['-r', String(rev), 'wait', '/e2e/w/**']));
    expect(hist.stdout).toBe(`/e2e/w/a ${rev} set 5\nhello\n`);
    const t0 = Date.now();
    const to = await doozer(['wait', '-t', '300ms', '/e2e/w/**']);
    expect(to.code).toBe(2);
    expect(to.stderr).toMatch(/timed out after 300ms/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(Date.now() - t0).toBeLessThan(DEADLINE.answer);
  });

  it('wait receives a change made by another command', async () => {
    // Without -r, wait starts at the rev after the one it reads when it
    // connects, which this test cannot see: give it that rev with -r, so the
    // write below (made whenever) is the first change it can report.
    const from = Number(ok(await doozer(['rev'])).stdout) + 1;
    const w = await spawnDoozer(['-a', node.uri, '-r', String(from), 'wait', '-t', '20s', '/e2e/wait/**']);
    try {
      ok(await doozer(['set', '/e2e/other-than-wait', '-1'], { input: 'not watched' }));
      const rev = Number(ok(await doozer(['set', '/e2e/wait/x', '-1'], { input: 'ping' })).stdout);
      const st = await w.exited;
      expect(st.code, w.describe()).toBe(0);
      expect(w.stdout()).toBe(`/e2e/wait/x ${rev} set 4\nping\n`);
    } finally {
      await w.stop('SIGKILL');
    }
  });

  it('wait without -r: pending until a change, then prints it', async () => {
    const w = await spawnDoozer(['-a', node.uri, 'wait', '-t', '20s', '/e2e/wait2/**']);
    try {
      // It reads REV when it connects; writes made before that are not its
      // business. Write until it reports one (each write is a new rev it may see).
      let last = 0;
      await until('wait reported a write', async () => {
        if (w.exitStatus()) return true;
        last = Number(ok(await doozer(['set', '/e2e/wait2/x', '-1'], { input: 'pong' })).stdout);
        return undefined;
      }, DEADLINE.converge, 50);
      expect((await w.exited).code, w.describe()).toBe(0);
      const m = /^\/e2e\/wait2\/x (\d+) set 4\npong\n$/.exec(w.stdout());
      expect(m, w.stdout()).not.toBeNull();
      expect(Number(m![1])).toBeLessThanOrEqual(last);
    } finally {
      await w.stop('SIGKILL');
    }
  });

  it('a lost connection: wait exits 2 saying the node may have stopped', async () => {
    const webPort = await freePort('127.0.0.1', { udp: false });
    const other = await startDoozerd({ web: `127.0.0.1:${webPort}` });
    const w = await spawnDoozer(['-a', other.uri, 'wait', '/e2e/never/**']);
    // Its WAIT is pending once the node's watch gauge counts it (nobody else waits there).
    await until('the WAIT of doozer wait pending on the node', async () => {
      const text = await (await fetch(`http://127.0.0.1:${webPort}/metrics`)).text();
      return Number(/^doozerd_watches (\d+)/m.exec(text)?.[1] ?? 0) >= 1;
    }, DEADLINE.converge, 50);
    expect(w.exitStatus()).toBeUndefined();
    await other.stop('SIGKILL');
    const st = await w.exited;
    expect(st.code, w.describe()).toBe(2);
    expect(w.stderr()).toMatch(/^doozer: wait \/e2e\/never\/\*\*: .*the node may have stopped: try again, or another node with -a\n$/);
    expect(w.stderr()).not.toMatch(/internal error|\n\s+at /);
  });

  it('watch prints every change made by other commands, in order', async () => {
    const from = Number(ok(await doozer(['rev'])).stdout) + 1;
    const w = await spawnDoozer(['-a', node.uri, '-r', String(from), 'watch', '/e2e/watch/**']);
    try {
      const r1 = Number(ok(await doozer(['set', '/e2e/watch/a', '0'], { input: 'A' })).stdout);
      ok(await doozer(['set', '/e2e/other', '-1'], { input: 'not watched' }));
      const r2 = Number(ok(await doozer(['set', '/e2e/watch/b/c', '0'], { input: 'BC' })).stdout);
      ok(await doozer(['del', '/e2e/watch/a', '-1']));
      const out = await waitForOutput(w, (s) => s.split('\n').length >= 7);
      const lines = out.split('\n');
      expect(lines.slice(0, 4)).toEqual([`/e2e/watch/a ${r1} set 1`, 'A', `/e2e/watch/b/c ${r2} set 2`, 'BC']);
      expect(lines[4]).toMatch(/^\/e2e\/watch\/a \d+ del 0$/);
      expect(lines[5]).toBe('');
      expect(w.exitStatus()).toBeUndefined(); // still watching
    } finally {
      await w.stop('SIGKILL');
    }
  });

  it('errors: bad path, directory, usage (127), bad flag or rev (2), cannot connect (2)', async () => {
    const bad = await doozer(['get', '/a b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad path/);
    const dir = await doozer(['get', '/ctl']);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toMatch(/is a directory/);
    for (const args of [['frob'], ['get'], ['set', '/x']]) {
      const u = await doozer(args);
      expect(u.code, args.join(' ')).toBe(127);
      expect(u.stderr).toMatch(/doozer help/);
    }
    for (const args of [['-z', 'rev'], ['set', '/x', 'notanumber']]) {
      const u = await doozer(args);
      expect(u.code, args.join(' ')).toBe(2);
      expect(u.stderr).toMatch(/doozer help/);
    }
    const port = await freePort();
    const dead = await runDoozer(['-a', `doozer:?ca=127.0.0.1:${port}`, 'rev']);
    expect(dead.code).toBe(2);
    expect(dead.stderr).toMatch(/cannot connect to 127\.0\.0\.1:\d+: connection refused: is doozerd running there\?/);
    const help = await runDoozer(['-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: doozer/);
  });

  it('$DOOZER_URI is used when -a is absent', async () => {
    const r = await runDoozer(['self'], { env: { DOOZER_URI: node.uri } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[A-Z2-7]{16}$/);
  });
});

describe('doozer CLI: an internal error', () => {
  it('a bug inside the CLI (an exception main does not explain) prints "doozer: internal error: ..." and exits 2', async () => {
    // Inject the bug: the second stdout.on() (main's own) throws.
    const script = `
      const { run } = await import(${JSON.stringify(new URL('../../dist/cli/main.js', import.meta.url).href)});
      process.argv = [process.argv[0], 'doozer', '-a', 'doozer:?ca=127.0.0.1:1', 'rev'];
      let calls = 0;
      const on = process.stdout.on.bind(process.stdout);
      process.stdout.on = (...a) => { if (++calls === 2) throw new TypeError('injected fault'); return on(...a); };
      await run();
    `;
    const r = await new Promise<CliResult>((resolve) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'buffer' }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, signal: null, out: stdout, stdout: stdout.toString(), stderr: stderr.toString() });
      });
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^doozer: internal error: TypeError: injected fault\n/);
    expect(r.stderr.match(/internal error/g)).toHaveLength(1);
  });
});

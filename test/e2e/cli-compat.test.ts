// The doozer CLI as scripts see it: exit codes and outputs compared with the
// original `doozer` (each against its own server), error messages with the
// protocol's code names, request timeouts against a stopped node, reads at a
// rev the store has not reached, TLS, secrets, and stdin that cannot be read.
import { execFile, execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOOZER_BIN, DOOZERD_BIN, REPO_ROOT, runDoozer, startDoozerd, stopAll } from '../helpers/doozerd-process.js';
import type { CliResult, DoozerdProcess, RunOptions } from '../helpers/doozerd-process.js';
import { refBin, runOriginalDoozer, skipWithoutRef, startOriginalDoozerd } from '../helpers/ref-bin.js';
import { until } from '../helpers/until.js';
import { makeTestCert } from '../helpers/tls-cert.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';

/** Runs a shell script (for redirections such as `<&-`), with a deadline. */
function sh(script: string, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      '/bin/sh',
      ['-c', script],
      { cwd: REPO_ROOT, env: { ...process.env, DOOZER_URI: '', DOOZER_BOOT_URI: '', ...env }, encoding: 'buffer', timeout: DEADLINE.start },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, signal: null, out: stdout, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
  });
}

const OURS = `"${process.execPath}" "${DOOZER_BIN}"`;

/** Waits until a node accepts writes (a NOP succeeds). */
async function writable(uri: string, run: (a: string[]) => Promise<CliResult> = (a) => runDoozer(a)): Promise<void> {
  await until(`${uri} writable`, async () => (await run(['-a', uri, 'nop'])).code === 0, DEADLINE.converge, 100);
}

describe('doozer CLI compatibility with the original', () => {
  let ours: DoozerdProcess;
  let orig: DoozerdProcess | undefined;
  const haveRef = !skipWithoutRef();

  beforeAll(async () => {
    ours = await startDoozerd();
    await writable(ours.uri);
    if (haveRef) {
      orig = await startOriginalDoozerd();
      await writable(orig.uri, (a) => runOriginalDoozer(a));
    }
  }, TEST_TIMEOUT.node);

  afterAll(async () => {
    await stopAll();
  });

  /** Runs the same arguments through both CLIs, each against its own node. */
  async function both(args: string[], opts: RunOptions = {}): Promise<{ o: CliResult; r: CliResult }> {
    const o = await runDoozer(['-a', ours.uri, ...args], opts);
    const r = await runOriginalDoozer(['-a', orig!.uri, ...args], opts);
    return { o, r };
  }

  it.skipIf(!haveRef)('exit codes agree: bad flags and revs exit 2, wrong argument counts 127, +5 is a rev', async () => {
    const cases: Array<[string[], number]> = [
      [['-z', 'rev'], 2],
      [['-r', 'abc', 'rev'], 2],
      [['-t', 'bogus', 'rev'], 2],
      [['set', '/cc/x', 'abc'], 2],
      [['del', '/cc/x', 'abc'], 2],
      [['-r', '+5', 'rev'], 0],
      [['get'], 127],
      [['rev', 'extra'], 127],
      [['get', '/a', '/b'], 127],
      [['frob'], 127],
      [[], 127],
      [['-v'], 0],
      [['-t', '5s', 'rev'], 0],
      [['stat', '/cc/missing'], 2],
      [['get', '/cc/missing'], 0],
      [['del', '/cc/missing', '0'], 0],
    ];
    for (const [args, code] of cases) {
      const { o, r } = await both(args);
      expect(r.code, `original: doozer ${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(o.code, `ours: doozer ${args.join(' ')}: ${o.stderr}`).toBe(code);
      if (code !== 0) expect(o.stderr.trim().split('\n')).toHaveLength(1); // one line, never the whole help
    }
    // A set with a +rev works in both.
    const { o, r } = await both(['set', '/cc/plus', '+0'], { input: 'p' });
    expect([o.code, r.code]).toEqual([0, 0]);
    expect(o.stdout).toMatch(/^\d+\n$/);
    expect(r.stdout).toMatch(/^\d+\n$/);
  });

  it.skipIf(!haveRef)('find of a missing path: NOENT on stderr, exit 0, in both', async () => {
    const { o, r } = await both(['find', '/cc/nothing']);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(o).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toMatch(/NOENT/);
    expect(o.stderr).toMatch(/^doozer: find \/cc\/nothing: NOENT: /);
  });

  it.skipIf(!haveRef)('outputs agree: set, get, stat, find, add of an existing file', async () => {
    for (const args of [['set', '/cc/t/a', '0'], ['set', '/cc/t/b/c', '0']]) {
      const { o, r } = await both(args, { input: 'body' });
      expect(o.stdout).toMatch(/^\d+\n$/);
      expect(r.stdout).toMatch(/^\d+\n$/);
    }
    for (const args of [['get', '/cc/t/a'], ['find', '/cc/t'], ['stat', '/cc/t']]) {
      const { o, r } = await both(args);
      expect([o.code, o.stdout], args.join(' ')).toEqual([r.code, r.stdout]);
    }
    const st = await both(['stat', '/cc/t/a']);
    expect(st.o.stdout).toMatch(/^\d+ 4\n$/);
    expect(st.r.stdout).toMatch(/^\d+ 4\n$/);
    // A deliberate difference (docs/cli.md): rev mismatch exits 1 as the help says; the original exits 2.
    const add = await both(['add', '/cc/t/a'], { input: 'again' });
    expect(add.r.code).toBe(2);
    expect(add.r.stderr).toMatch(/REV_MISMATCH/);
    expect(add.o.code).toBe(1);
    expect(add.o.stderr).toMatch(/REV_MISMATCH/);
  });

  it.skipIf(!haveRef)('invalid URIs exit 2 in both; ours names the form; the seed URI with a nameless parameter works', async () => {
    for (const uri of ['garbage', '?ca=127.0.0.1:8046', '127.0.0.1:8046']) {
      const o = await runDoozer(['-a', uri, 'rev']);
      const r = await runOriginalDoozer(['-a', uri, 'rev']);
      expect(r.code, uri).toBe(2);
      expect(o.code, uri).toBe(2);
      expect(o.stderr).toMatch(/invalid URI \(-a\).*the form is doozer:\?ca=host:port/);
      expect(o.stderr).not.toMatch(/cannot connect/);
    }
    const env = await runDoozer(['rev'], { env: { DOOZER_URI: 'garbage' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/invalid URI \(DOOZER_URI\): .*"garbage".*doozer:\?ca=host:port/);
    // (The original picks a random ca, so every address here is the live node.)
    const seedO = await runDoozer(['-a', `doozer:?ca=${ours.addr}&ca=${ours.addr}&${ours.addr}`, 'rev']);
    const seedR = await runOriginalDoozer(['-a', `doozer:?ca=${orig!.addr}&ca=${orig!.addr}&${orig!.addr}`, 'rev']);
    expect([seedO.code, seedR.code]).toEqual([0, 0]);
  });

  it.skipIf(!haveRef)('stdin that cannot be read: exit 2 and nothing written, in both', async () => {
    const scripts = [
      (cli: string, uri: string, p: string) => `${cli} -a '${uri}' set ${p} 0 <&-`,
      (cli: string, uri: string, p: string) => `${cli} -a '${uri}' set ${p} 0 < /`,
      (cli: string, uri: string, p: string) => `${cli} -a '${uri}' add ${p} < /`,
    ];
    let i = 0;
    for (const script of scripts) {
      const p = `/cc/stdin/f${i++}`;
      const o = await sh(script(OURS, ours.uri, p));
      const r = await sh(script(join(refBin()!, 'doozer'), orig!.uri, p));
      expect(r.code, `original: ${r.stderr}`).toBe(2);
      expect(o.code, `ours: ${o.stderr}`).toBe(2);
      expect(o.stderr).toMatch(/cannot read the body: stdin is (closed|a directory); nothing was written/);
      expect((await runDoozer(['-a', ours.uri, 'stat', p])).code).toBe(2); // missing
      expect((await runOriginalDoozer(['-a', orig!.uri, 'stat', p])).code).toBe(2);
    }
    // An empty body given on purpose still works.
    for (const script of [`printf '' | ${OURS} -a '${ours.uri}' set /cc/stdin/empty 0`, `${OURS} -a '${ours.uri}' set /cc/stdin/null 0 </dev/null`]) {
      const r = await sh(script);
      expect(r.code, r.stderr).toBe(0);
    }
  });
});

describe('doozer CLI: messages, timeouts, TLS, secrets', () => {
  let node: DoozerdProcess;
  const doozer = (args: string[], opts?: RunOptions): Promise<CliResult> => runDoozer(['-a', node.uri, ...args], opts);

  beforeAll(async () => {
    node = await startDoozerd();
    await writable(node.uri);
  }, TEST_TIMEOUT.node);

  afterAll(async () => {
    await stopAll();
  });

  it('every protocol error names its code, with a hint after it', async () => {
    const r1 = Number((await doozer(['set', '/m/f', '0'], { input: 'one' })).stdout);
    const cases: Array<[string[], RegExp, number]> = [
      [['set', '/m/f', String(r1 - 1)], /^doozer: set \/m\/f: REV_MISMATCH: .*doozer stat \/m\/f/, 1],
      [['add', '/m/f'], /^doozer: add \/m\/f: REV_MISMATCH: \/m\/f already exists/, 1],
      [['get', '/a b'], /^doozer: get \/a b: BAD_PATH: bad path/, 2],
      [['get', '/m'], /^doozer: get \/m: ISDIR: \/m is a directory; list it with: doozer find \/m/, 2],
      [['stat', '/m/none'], /^doozer: stat \/m\/none: NOENT: no such file/, 2],
      [['set', '/m/f/x', '-1'], /^doozer: set \/m\/f\/x: NOTDIR: /, 2],
      [['wait', '-t', '1s', '/a['], /^doozer: wait \/a\[: OTHER: invalid glob pattern/, 2],
    ];
    for (const [args, re, code] of cases) {
      const r = await doozer(args, { input: 'x' });
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(r.code, args.join(' ')).toBe(code);
    }
  });

  it('a write to a slave says READONLY and which CALs take writes', async () => {
    const slave = await startDoozerd({ args: ['-a', node.addr] });
    try {
      const r = await until(
        'the slave to answer READONLY',
        async () => {
          const x = await runDoozer(['-a', slave.uri, 'set', '/ro/x', '0'], { input: 'no' });
          return /READONLY/.test(x.stderr) ? x : undefined;
        },
        DEADLINE.converge,
        100,
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^doozer: set \/ro\/x: READONLY: this node is read-only .*write through a CAL/);
      expect(r.stderr).toContain(`ca=${node.addr}`);
    } finally {
      await slave.stop();
    }
  }, TEST_TIMEOUT.node);

  it('-v and --version print the version; doozerd --version too', async () => {
    for (const flag of ['-v', '--version', '-version']) {
      const r = await runDoozer([flag]);
      expect(r).toMatchObject({ code: 0 });
      expect(r.stdout).toMatch(/^doozer doozerd-ts-\d+\.\d+\.\d+\n$/);
    }
    for (const flag of ['-v', '--version']) {
      const v = execFileSync(process.execPath, [DOOZERD_BIN, flag], { encoding: 'utf8' });
      expect(v).toMatch(/^doozerd-ts-\d+\.\d+\.\d+\n$/);
    }
  });

  it('an unknown DOOZERD_LOG is an error for doozer and doozerd, listing the allowed values', async () => {
    const r = await runDoozer(['-a', node.uri, 'rev'], { env: { DOOZERD_LOG: 'loud' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/DOOZERD_LOG=loud is not a log level: use one of error, warn, info, debug/);
    const d = await sh(`"${process.execPath}" "${DOOZERD_BIN}" -l 127.0.0.1:1 -w false`, { DOOZERD_LOG: 'loud' });
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/DOOZERD_LOG=loud is not a log level: use one of error, warn, info, debug/);
    expect((await runDoozer(['-a', node.uri, 'rev'], { env: { DOOZERD_LOG: 'debug' } })).code).toBe(0);
  });

  it('a read at a rev the store has not reached gives up after -t and says so', async () => {
    const t0 = Date.now();
    const r = await doozer(['-r', '99999999', '-t', '1s', 'get', '/m/f']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^doozer: get \/m\/f: rev 99999999 is ahead of this node's store \(at rev \d+\); waited 1s/);
    expect(Date.now() - t0).toBeLessThan(DEADLINE.answer);
    const f = await doozer(['-r', '99999999', '-t', '500ms', 'find', '/']);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/rev 99999999 is ahead/);
  });

  it('a node that does not answer (SIGSTOP): requests time out after -t (default 10s); wait -t still works', async () => {
    const stopped = await startDoozerd();
    await writable(stopped.uri);
    process.kill(stopped.pid, 'SIGSTOP');
    try {
      const t0 = Date.now();
      const [short, dflt, w] = await Promise.all([
        runDoozer(['-a', stopped.uri, '-t', '1s', 'get', '/x'], { timeoutMs: DEADLINE.start }),
        runDoozer(['-a', stopped.uri, 'rev'], { timeoutMs: DEADLINE.start }),
        runDoozer(['-a', stopped.uri, 'wait', '-t', '1s', '/x/**'], { timeoutMs: DEADLINE.start }),
      ]);
      expect(short.code, short.stderr).toBe(2);
      expect(short.stderr).toMatch(/^doozer: get \/x: no answer from 127\.0\.0\.1:\d+ to GET \/x within 1s \(-t\): the node may be stopped/);
      expect(dflt.code, dflt.stderr).toBe(2);
      expect(dflt.stderr).toMatch(/no answer from .* to REV within 10s/);
      expect(w.code, w.stderr).toBe(2);
      expect(w.stderr).toMatch(/within 1s/);
      expect(Date.now() - t0).toBeLessThan(DEADLINE.start);
    } finally {
      process.kill(stopped.pid, 'SIGCONT');
      await stopped.stop();
    }
  }, TEST_TIMEOUT.node);

  it('secrets: no secret, the read-only secret, a wrong secret each say so', async () => {
    const sec = await startDoozerd({ env: { DOOZER_RWSECRET: 'rwpass', DOOZER_ROSECRET: 'ropass' } });
    try {
      const rw = `${sec.uri}&sk=rwpass`;
      await until('secret node writable', async () => (await runDoozer(['-a', rw, 'nop'])).code === 0, DEADLINE.converge, 100);
      const none = await runDoozer(['-a', sec.uri, 'get', '/x']);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/OTHER: permission denied: the node needs a secret; add sk=SECRET/);
      const ro = await runDoozer(['-a', `${sec.uri}&sk=ropass`, 'set', '/x', '0'], { input: 'x' });
      expect(ro.code).toBe(2);
      expect(ro.stderr).toMatch(/OTHER: permission denied: the secret given \(sk=\) is the read-only one/);
      expect((await runDoozer(['-a', `${sec.uri}&sk=ropass`, 'get', '/x'])).code).toBe(0);
      const wrong = await runDoozer(['-a', `${sec.uri}&sk=nope`, 'get', '/x']);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/OTHER: permission denied: the secret given \(sk= in -a\) is wrong/);
    } finally {
      await sec.stop();
    }
  }, TEST_TIMEOUT.node);
});

// A throwaway certificate (openssl; never skipped: makeTestCert throws without it).
const certDir = dirname(makeTestCert().certFile);

describe('doozer CLI over TLS', () => {
  let node: DoozerdProcess;
  let plain: DoozerdProcess;
  const ca = join(certDir, 'cert.pem');

  beforeAll(async () => {
    node = await startDoozerd({ args: ['-tlscert', ca, '-tlskey', join(certDir, 'key.pem')] });
    plain = await startDoozerd();
  }, TEST_TIMEOUT.node);

  afterAll(async () => {
    await stopAll();
    rmSync(certDir, { recursive: true, force: true });
  });

  it('-tlsca, or tls=1&tlsca= in the URI, connects; set and get work', async () => {
    await until('TLS node writable', async () => (await runDoozer(['-a', node.uri, '-tlsca', ca, 'nop'])).code === 0, DEADLINE.converge, 100);
    const s = await runDoozer(['-a', node.uri, '-tlsca', ca, 'set', '/tls/x', '0'], { input: 'secret' });
    expect(s.code, s.stderr).toBe(0);
    const g = await runDoozer(['-a', `${node.uri}&tls=1&tlsca=${ca}`, 'get', '/tls/x']);
    expect(g).toMatchObject({ code: 0, stdout: 'secret' });
    const e = await runDoozer(['get', '/tls/x'], { env: { DOOZER_URI: `${node.uri}&tlsca=${ca}` } });
    expect(e).toMatchObject({ code: 0, stdout: 'secret' });
  });

  it('plain against TLS, TLS against plain, and an untrusted certificate each say what to do', async () => {
    const p = await runDoozer(['-a', node.uri, 'rev']);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/closed by the server .*before answering anything: .*or it uses TLS .*-tls .*-tlsca/);
    const u = await runDoozer(['-a', node.uri, '-tls', 'rev']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/certificate.*not trusted; give its CA with -tlsca/);
    const t = await runDoozer(['-a', plain.uri, '-tls', 'rev']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/it probably does not use TLS/);
  });
});

// bin/doozerd as a user runs it: bad flags, -v, a taken port.
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import * as dgram from 'node:dgram';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOOZERD_BIN, ensureBuilt, runDoozer, startDoozerd, stopAll } from '../helpers/doozerd-process.js';
import { freePort } from '../helpers/ports.js';
import { DEADLINE } from '../helpers/deadlines.js';
import { until } from '../helpers/until.js';
import { Client } from '../../src/client/client.js';

function run(args: string[]) {
  ensureBuilt();
  return spawnSync(process.execPath, [DOOZERD_BIN, ...args], { encoding: 'utf8', timeout: DEADLINE.answer * 2 });
}

describe('bin/doozerd flags', () => {
  afterAll(() => stopAll());

  it.each([[['-nosuchflag']], [['-l']], [['extra']]])('%j: usage on stderr, exit 2', (args) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^doozerd: /);
    expect(r.stderr).toMatch(/Usage: doozerd/);
  });

  // A bad VALUE: its message and one pointer line, not the usage that buries it.
  it.each([
    [['-timeout', 'x'], /invalid value "x" for flag -timeout/],
    [['-pulse', '0'], /invalid value "0" for flag -pulse: want a number of seconds from 0.01/],
    [['-fill', '-1'], /for flag -fill/],
    [['-hist', '0'], /for flag -hist: want an integer from 1/],
    [['-c', ''], /invalid cluster name "" for flag -c/],
    [['-c', 'x y', '-b', 'doozer:?ca=127.0.0.1:1'], /invalid cluster name "x y" for flag -c/],
    [['-c', 'a/b', '-b', 'doozer:?ca=127.0.0.1:1'], /invalid cluster name "a\/b" for flag -c/],
    [['-placement', '/nonexistent/place.json'], /placement/],
  ])('%j: the error and a pointer to -h, exit 2', (args, msg) => {
    const r = run([...args, '-l', '127.0.0.1:1', '-w', 'false']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr).not.toMatch(/Usage: doozerd/);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^doozerd: /), 'run doozerd -h for the flags']);
  });

  it('-v prints the version and exits 0', () => {
    const r = run(['-v']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^doozerd-ts-\d+\.\d+\.\d+\n$/);
  });

  it('a taken client port: one clear error line, exit 1', async () => {
    const first = await startDoozerd();
    const r = run(['-l', first.addr, '-w', 'false']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/address in use/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  // The client port is taken first thing (src/net/client-port.ts): a client
  // that connects the moment it accepts, long before the node serves, waits
  // and is answered, never reset.
  it('a client that connects while the node is still starting is answered once it is up', async () => {
    const proc = await startDoozerd({ waitReady: false });
    const c = await until(`a connection to ${proc.addr}`, () => Client.dial(proc.addr).catch(() => undefined), DEADLINE.start, 2);
    try {
      expect(await c.self()).toMatch(/^[A-Z2-7]{16}$/);
    } finally {
      await c.close();
    }
  });

  it('attaching to nothing fails with a clear message', () => {
    const r = run(['-a', '127.0.0.1:1', '-l', '127.0.0.1:0', '-w', 'false']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no CAL of cluster "local" answered at 127.0.0.1:1/);
  });

  // Every listener is checked before attaching or writing -data: a taken
  // web port used to fail only after the node had registered in /ctl/node
  // and written its -data ("restarted (disk at rev 64)" next time).
  it('a taken web port: exit 1 naming the address and -w, before attaching or writing -data', async () => {
    const webPort = await freePort();
    const first = await startDoozerd({ web: `127.0.0.1:${webPort}` });
    const data = join(mkdtempSync(join(tmpdir(), 'flagfix-')), 'd');
    const r = run(['-l', `127.0.0.1:${await freePort()}`, '-a', first.addr, '-w', `127.0.0.1:${webPort}`, '-data', data]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${webPort} \\(web view, -w`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(data)).toBe(false);
    const nodes = await runDoozer(['-a', first.uri, 'find', '/ctl/node']);
    expect(nodes.code).toBe(0);
    const ids = new Set(nodes.stdout.split('\n').map((l) => l.split('/')[3]).filter(Boolean));
    expect(ids.size).toBe(1);
  });

  it('a taken consensus UDP port: exit 1 naming the address and -l', async () => {
    const port = await freePort();
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(port, '127.0.0.1', resolve));
    try {
      const r = run(['-l', `127.0.0.1:${port}`, '-w', 'false']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(consensus UDP, -l\\): EADDRINUSE`));
    } finally {
      sock.close();
    }
  });

  // A cluster name clashing with another cluster's entries in the name
  // service (an original node takes -c a/b and writes /ctl/boot/a/b): an
  // operator's message, not the client library's getdirAll(...) hint.
  it('-c NAME whose /ctl/boot/NAME is a directory in the name service: exit 1 saying to pick another -c', async () => {
    const ns = await startDoozerd();
    const w = await runDoozer(['-a', ns.uri, 'set', '/ctl/boot/clash/x', '0'], { input: 'id' });
    expect(w.code, w.stderr).toBe(0);
    const r = run(['-l', `127.0.0.1:${await freePort()}`, '-w', 'false', '-c', 'clash', '-b', ns.uri]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot read the boot file: \/ctl\/boot\/clash is a directory there \(ISDIR\): the cluster name "clash" clashes .*pick another name with -c/);
    expect(r.stderr).not.toMatch(/getdirAll/);
  });

  it('a -tlscert/-tlskey pair that is not a certificate and its key: exit 1 naming both, before writing -data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flagfix-'));
    const bad = join(dir, 'bad.pem');
    writeFileSync(bad, 'not pem');
    const data = join(dir, 'd');
    const r = run(['-l', '127.0.0.1:0', '-w', 'false', '-tlscert', bad, '-tlskey', bad, '-data', data]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/-tlscert .*bad\.pem and -tlskey .*bad\.pem do not make a TLS certificate and its key/);
    expect(existsSync(data)).toBe(false);
    const missing = run(['-l', '127.0.0.1:0', '-w', 'false', '-tlscert', join(dir, 'none.pem'), '-tlskey', bad]);
    expect(missing.stderr).toMatch(/cannot read -tlscert .*none\.pem: ENOENT/);
  });
});

// doozerd's start-up line (src/node/startup-line.ts): one line on stderr by
// default saying what the node serves, its role and the placement; nothing
// else when all is well; nothing at all with DOOZERD_LOG=error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { autoPlacement, describePlacement } from '../../src/runtime/placement.js';
import { startDoozerd, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

/** The start-up line, once it is there (stderr lines that start with "doozerd: node"). */
const startupLine = (p: DoozerdProcess): Promise<string> =>
  until(`start-up line of ${p.name}`, () => {
    if (p.exitStatus()) throw new Error(p.describe());
    return p.stderr().split('\n').find((l) => l.startsWith('doozerd: node '));
  }, 15_000, 25);

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('doozerd start-up line', () => {
  afterAll(() => stopAll());

  it('a seed with a web view and -debug: one line, and nothing else', async () => {
    const web = await freePort('127.0.0.1', { udp: false });
    const debug = await freePort('127.0.0.1', { udp: false });
    const seed = await startDoozerd({ web: `127.0.0.1:${web}`, args: ['-debug', `127.0.0.1:${debug}`] });
    const line = await startupLine(seed);
    expect(line).toMatch(
      new RegExp(
        `^doozerd: node [A-Z0-9]+ serving clients on ${esc(seed.addr)}, web view http://127\\.0\\.0\\.1:${web}/, ` +
          `debug http://127\\.0\\.0\\.1:${debug}/\\$actors\\.html; first CAL of a new cluster "local"; placement: ${esc(describePlacement(autoPlacement()))}$`,
      ),
    );
    expect(seed.stderr()).toBe(`${line}\n`);
  });

  it('an attached slave says which CAL it attached through', async () => {
    const seed = await startDoozerd();
    const slave = await startDoozerd({ args: ['-a', seed.addr] });
    expect(await startupLine(slave)).toMatch(
      new RegExp(`^doozerd: node \\w+ serving clients on ${esc(slave.addr)}, no web view \\(-w false\\); slave of cluster "local", attached via ${esc(seed.addr)} `),
    );
  });

  it('with a secret and a placement file: says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'startup-'));
    const placement = join(dir, 'p.json');
    writeFileSync(placement, JSON.stringify({ workers: ['core'], place: { store: 'core', consensus: 'core' } }));
    const web = await freePort('127.0.0.1', { udp: false });
    const n = await startDoozerd({ web: `127.0.0.1:${web}`, args: ['-placement', placement], env: { DOOZER_RWSECRET: 's3' } });
    expect(await startupLine(n)).toMatch(
      new RegExp(
        `serving clients on ${esc(n.addr)} \\(secret required\\), no web view \\(a client secret is set\\); first CAL .*; ` +
          `placement: worker threads core; store=core consensus=core \\(${esc(placement)}\\)$`,
      ),
    );
  });

  it('-placement auto (the default): the line and /$actors say which placement runs and why', async () => {
    const debug = await freePort('127.0.0.1', { udp: false });
    const n = await startDoozerd({ args: ['-placement', 'auto', '-debug', `127.0.0.1:${debug}`] });
    const auto = describePlacement(autoPlacement());
    expect(auto).toMatch(/^auto, (every actor on the main thread \(\d+ cores? < 4\)|store \+ consensus on worker thread core, the rest on main \(\d+ cores >= 4\))$/);
    expect(await startupLine(n)).toMatch(new RegExp(`; placement: ${esc(auto)}$`));
    const report = (await (await fetch(`http://127.0.0.1:${debug}/$actors`)).json()) as { placement: string; threads: string[] };
    expect(report.placement).toBe(auto);
    expect(report.threads).toEqual(autoPlacement().workers.length > 0 ? ['main', 'core'] : ['main']);
    const page = await (await fetch(`http://127.0.0.1:${debug}/$actors.html`)).text();
    expect(page).toContain(`<span id="placement">${auto.replace('>', '&#62;').replace('<', '&#60;')}</span>`);
  });

  it('booting through a name service: the winner seeds, the next attaches', async () => {
    const ns = await startDoozerd();
    const boot = `doozer:?ca=${ns.addr}`;
    const first = await startDoozerd({ args: ['-c', 'ls', '-b', boot] });
    expect(await startupLine(first)).toMatch(new RegExp(`; first CAL of a new cluster "ls", booted via the name service ${esc(boot)};`));
    const second = await startDoozerd({ args: ['-c', 'ls', '-b', boot] });
    expect(await startupLine(second)).toMatch(
      new RegExp(`; slave of cluster "ls", attached via ${esc(first.addr)}, found via the name service ${esc(boot)} `),
    );
  });

  it('DOOZERD_LOG=error: silent', async () => {
    const n = await startDoozerd({ env: { DOOZERD_LOG: 'error' } });
    await n.stop('SIGTERM');
    expect(n.stderr()).toBe('');
  });
});

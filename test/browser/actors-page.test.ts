// The actor debug page (/$actors.html) in headless chromium (Debian's
// chromium driven by playwright-core) against a real bin/doozerd with actors
// on worker threads. Skipped where chromium is missing (outside CI).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { haveChromium, launchChromium, type Browser } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startDoozerd, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { setFile } from './web-helpers.js';
import { Client } from '../../src/client/client.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

describe.skipIf(!haveChromium)('/$actors.html in headless chromium', () => {
  let node: DoozerdProcess;
  let webPort: number;
  let debugPort: number;
  let page: Page;
  let browser: Browser | undefined;
  const problems: string[] = [];

  /** The cells of the row of actor `name`, by column header. */
  const rowOf = (name: string): Promise<Record<string, string> | null> =>
    page.evaluate((n) => {
      const tr = document.querySelector(`tr[data-actor="${n}"]`);
      if (!tr) return null;
      const heads = Array.from(document.querySelectorAll('thead th'), (th) => th.textContent ?? '');
      return Object.fromEntries(Array.from(tr.querySelectorAll('td'), (td, i) => [heads[i] ?? String(i), td.textContent ?? '']));
    }, name);

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'actors-page-'));
    const placement = join(dir, 'placement.json');
    writeFileSync(placement, JSON.stringify({ workers: ['core'], pool: 1, place: { store: 'core', consensus: 'core', 'client-session': 'pool' } }));
    webPort = await freePort('127.0.0.1', { udp: false });
    debugPort = await freePort('127.0.0.1', { udp: false });
    node = await startDoozerd({
      web: `127.0.0.1:${webPort}`,
      args: ['-placement', placement, '-debug', `127.0.0.1:${debugPort}`],
      env: { DOOZERD_DEBUG_HOOKS: '1' },
    });
    await waitForPort(webPort);
    await setFile(node.port, '/ready', 'yes');
    browser = await launchChromium({ width: 1300, height: 700 });
    page = browser.page;
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
  }, TEST_TIMEOUT.node);

  afterAll(async () => {
    await browser?.close();
    await stopAll();
  });

  it('lists every actor with its thread, on the web port', async () => {
    await page.goto(`http://127.0.0.1:${webPort}/$actors.html`);
    const store = await rowOf('store');
    expect(store).toMatchObject({ name: 'store', kind: 'store', thread: 'core', restarts: '0' });
    expect(Number(store!['processed'])).toBeGreaterThan(0);
    expect(Number(store!['high-water'])).toBeGreaterThan(0);
    for (const role of ['acceptor', 'learner', 'proposer']) expect((await rowOf(role))!.thread, role).toBe('core');
    expect((await rowOf('pulse'))!.thread).toBe('main');
    expect(await page.textContent('#threads')).toBe('main, core, pool-1');
    // Each actor's supervisor, and the supervisors' own table.
    expect(store!['supervisor']).toBe('replica');
    const replica = await page.$$eval('tr[data-supervisor="replica"] td', (tds) => tds.map((td) => td.textContent));
    expect(replica).toEqual(['replica', 'rest_for_one', '5 / 10 s', 'node', 'store, acceptor, learner, proposer, slave-watcher, liveness, pulse', '0 (0 in period)']);
  });

  it("names each client session after its client's address and shows the connection's age", async () => {
    const c = await Client.dial(node.addr);
    try {
      await c.rev();
      await page.goto(`http://127.0.0.1:${webPort}/$actors.html`);
      const name = await page.waitForFunction(
        () => Array.from(document.querySelectorAll('tr[data-actor]'), (tr) => tr.getAttribute('data-actor') ?? '').find((n) => n.startsWith('client-session:')),
        undefined,
        { timeout: DEADLINE.converge },
      );
      const row = await rowOf(String(await name.jsonValue()));
      expect(row).toMatchObject({ kind: 'client-session', thread: 'pool-1' });
      expect(row!['name']).toMatch(/^client-session:\d+@127\.0\.0\.1:\d+$/);
      expect(row!['age']).toMatch(/^\d+s$/);
    } finally {
      await c.close();
    }
  });

  it('refreshes itself: a crash shows up without a reload', async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 7)); // gone if the page reloads
    const updates = Number(await page.getAttribute('body', 'data-updates'));
    await page.waitForFunction((n) => Number(document.body.getAttribute('data-updates')) > n, updates, { timeout: DEADLINE.answer });

    const res = await fetch(`http://127.0.0.1:${debugPort}/$actors/crash?actor=store`, { method: 'POST' });
    expect(res.status).toBe(200);
    await page.waitForFunction(
      () => {
        const tds = document.querySelectorAll('tr[data-actor="store"] td');
        return tds[7]?.textContent === '1' && (tds[8]?.textContent ?? '').includes('crash requested');
      },
      undefined,
      { timeout: DEADLINE.converge },
    );
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);
    // The supervisors' table is redrawn too: replica restarted the store and what depends on it.
    await page.waitForFunction(() => (document.querySelector('tr[data-supervisor="replica"] td:last-child')?.textContent ?? '').startsWith('1 '), undefined, { timeout: DEADLINE.converge });
    expect(await page.getAttribute('tr[data-actor="store"]', 'class')).toBe('err');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'actors-page.png'), fullPage: true });
  });

  it('is served by the -debug server too, with no errors or blocked scripts', async () => {
    await page.goto(`http://127.0.0.1:${debugPort}/$actors.html`);
    expect((await rowOf('store'))!.thread).toBe('core');
    const updates = Number(await page.getAttribute('body', 'data-updates'));
    await page.waitForFunction((n) => Number(document.body.getAttribute('data-updates')) > n, updates, { timeout: DEADLINE.answer });
    expect(await page.textContent('#status')).toBe('');
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!haveChromium)('/$actors.html with every actor on the main thread', () => {
  let node: DoozerdProcess;
  let webPort: number;
  let debugPort: number;
  let browser: Browser | undefined;

  beforeAll(async () => {
    webPort = await freePort('127.0.0.1', { udp: false });
    debugPort = await freePort('127.0.0.1', { udp: false });
    node = await startDoozerd({ web: `127.0.0.1:${webPort}`, args: ['-debug', `127.0.0.1:${debugPort}`] });
    await waitForPort(webPort);
    browser = await launchChromium({ width: 1100, height: 600 });
  }, TEST_TIMEOUT.node);

  afterAll(async () => {
    await browser?.close();
    await stopAll();
  });

  /** The rows of the worker-thread table, as text. */
  const workerRows = (page: Page): Promise<string[]> =>
    page.$$eval('#workers tr', (trs) => trs.map((tr) => tr.textContent ?? ''));

  it('says "none" for the empty worker table, before and after the page redraws it', async () => {
    const page = browser!.page;
    await page.goto(`http://127.0.0.1:${webPort}/$actors.html`);
    expect(await workerRows(page)).toEqual(['none: every actor runs on the main thread (see -placement)']);
    const updates = Number(await page.getAttribute('body', 'data-updates'));
    await page.waitForFunction((n) => Number(document.body.getAttribute('data-updates')) > n, updates, { timeout: DEADLINE.answer });
    expect(await workerRows(page)).toEqual(['none: every actor runs on the main thread (see -placement)']);
    expect(await page.textContent('#status')).toBe('');
  });

  it('links back to the tree', async () => {
    const page = browser!.page;
    await page.goto(`http://127.0.0.1:${webPort}/$actors.html`);
    await page.click('a#tree-link');
    await page.waitForSelector('#conn[data-state="live"]', { timeout: DEADLINE.converge });
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.$('tr[data-key="/ctl/cal/0"]')).not.toBeNull();
    expect(node.exitStatus()).toBeUndefined();
  });

  it('on the -debug server, links only to what that server has (/metrics)', async () => {
    const page = browser!.page;
    await page.goto(`http://127.0.0.1:${debugPort}/$actors.html`);
    expect(await page.$$eval('nav a', (as) => as.map((a) => a.getAttribute('href')))).toEqual(['/metrics']);
    await page.click('nav a');
    expect(await page.textContent('body')).toMatch(/^# HELP /);
  });
});

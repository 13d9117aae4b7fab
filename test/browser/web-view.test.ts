// The web view in a real browser: Debian's chromium (headless) driven by
// playwright-core, against a real bin/doozerd. CI installs chromium with
// .ci/install-browser; without it (outside CI) these tests are skipped.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { haveChromium, launchChromium, type Browser } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, stopAll } from '../helpers/doozerd-process.js';
import { nodeId, setFile, startWebNode, type WebNode } from './web-helpers.js';
import { DEADLINE, PROMISE, TEST_TIMEOUT } from '../helpers/deadlines.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const DOCS_SHOT = join(REPO_ROOT, 'docs/web-view.png');

describe.skipIf(!haveChromium)('web view in headless chromium', () => {
  let n: WebNode;
  let page: Page;
  let browser: Browser | undefined;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  /** Text of the body cell of the row for `path`, or null if there is none. */
  const bodyOf = (path: string): Promise<string | null> =>
    page.evaluate((p) => document.querySelector(`tr[data-key="${p}"] td.body`)?.textContent ?? null, path);

  const waitLive = (timeout: number): Promise<unknown> =>
    page.waitForSelector('#conn[data-state="live"]', { timeout });

  beforeAll(async () => {
    n = await startWebNode();
    browser = await launchChromium({ width: 1100, height: 640 });
    page = browser.page;
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, TEST_TIMEOUT.node);

  afterAll(async () => {
    await browser?.close();
    await stopAll();
  });

  it('shows /ctl/cal/0 with the node id, live', async () => {
    const id = await nodeId(n.port);
    await page.goto(`${n.base}/`);
    await waitLive(DEADLINE.converge);
    expect(await bodyOf('/ctl/cal/0')).toBe(id);
    expect(await page.textContent('#node-id')).toBe(id);
    expect(await page.textContent('#role')).toBe('CAL');
    expect(await page.textContent('#cals')).toContain(`${id} 127.0.0.1:${n.port}`);
    expect(Number(await page.textContent('#rev'))).toBeGreaterThan(0);
  });

  it('a SET from a client appears within one second, without reload', async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42)); // gone if the page reloads
    const rev = await setFile(n.port, '/demo/greeting', 'hello, web view');
    const t0 = Date.now();
    await page.waitForFunction(
      (r) => document.querySelector('tr[data-key="/demo/greeting"] td.rev')?.textContent === String(r),
      rev,
      { timeout: PROMISE.webLive, polling: 'raf' },
    );
    expect(Date.now() - t0).toBeLessThan(PROMISE.webLive);
    expect(await bodyOf('/demo/greeting')).toBe('hello, web view');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    // A directory row appeared for /demo/.
    expect(await page.$('tr.dir[data-key="/demo/"] a[href="/demo/"]')).not.toBeNull();
  });

  it('a body with HTML is shown as text and never runs', async () => {
    const evil = '<script>alert(1)</script><img src=x onerror="alert(2)">';
    await setFile(n.port, '/demo/evil', evil);
    await page.waitForFunction(() => document.querySelector('tr[data-key="/demo/evil"]') !== null, undefined, { timeout: DEADLINE.answer });
    expect(await bodyOf('/demo/evil')).toBe(evil);
    expect(await page.$$eval('#rows script, #rows img', (els) => els.length)).toBe(0);
    await setFile(n.port, '/demo/binary', Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x00]));
    await page.waitForFunction(() => document.querySelector('tr[data-key="/demo/binary"]') !== null, undefined, { timeout: DEADLINE.answer });
    expect(await bodyOf('/demo/binary')).toBe('binary, 5 bytes: de ad be ef 00');
    // The server-rendered page (before the script takes over) is as safe.
    await page.reload();
    await waitLive(DEADLINE.converge);
    expect(await bodyOf('/demo/evil')).toBe(evil);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await setFile(n.port, '/demo/config/timeout', '30s');
    await page.waitForFunction(() => document.querySelector('tr[data-key="/demo/config/timeout"]') !== null, undefined, { timeout: DEADLINE.answer });
    await page.screenshot({ path: join(ARTIFACTS, 'web-view.png'), fullPage: true });
    // The README's picture: refreshed on demand (UPDATE_DOCS_SCREENSHOT=1) or if missing.
    if (process.env.UPDATE_DOCS_SCREENSHOT || !existsSync(DOCS_SHOT)) await page.screenshot({ path: DOCS_SHOT, fullPage: true });
  });

  it('reconnects after the node restarts and shows the new live state', async () => {
    const oldId = await nodeId(n.port);
    await n.proc.stop('SIGKILL');
    await page.waitForSelector('#conn[data-state="reconnecting"]', { timeout: DEADLINE.answer });
    expect(await page.textContent('#conn')).toMatch(/^reconnecting in \d+ s \(attempt \d+\)$/);
    n = await startWebNode({ port: n.port, webPort: n.webPort });
    const newId = await nodeId(n.port);
    expect(newId).not.toBe(oldId);
    await waitLive(DEADLINE.converge);
    await page.waitForFunction(
      (id) => document.querySelector('tr[data-key="/ctl/cal/0"] td.body')?.textContent === id,
      newId,
      { timeout: DEADLINE.answer },
    );
    expect(await page.textContent('#node-id')).toBe(newId);
    // The old node's files are gone: this is the new node's store.
    expect(await bodyOf('/demo/greeting')).toBeNull();
    // And it is live again.
    const rev = await setFile(n.port, '/demo/after-restart', 'back');
    await page.waitForFunction(
      (r) => document.querySelector('tr[data-key="/demo/after-restart"] td.rev')?.textContent === String(r),
      rev,
      { timeout: PROMISE.webLive },
    );
    expect(pageErrors).toEqual([]);
  });
});

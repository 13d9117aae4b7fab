// The web view's status strip marks a CAL whose /ctl/node/<id>/applied has
// not moved for 3 pulses as stale (src/net/http/cal-freshness.ts): a real
// 3-CAL cluster, one CAL paused with SIGSTOP, in headless chromium.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, type Browser } from '../helpers/browser.js';
import { addSlots, waitForCals, withClient, type ClusterNode } from '../helpers/cluster.js';
import { startDoozerd, stopAll } from '../helpers/doozerd-process.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';

const PULSE = ['-pulse', '0.5']; // stale after 1.5 s without a new applied rev

describe.skipIf(!haveChromium)('stale CALs in the status strip', () => {
  let nodes: ClusterNode[];
  let cals: ClusterNode[];
  let webPort: number;
  let browser: Browser | undefined;
  let page: Page;

  /** `stale` class of each CAL's entry in the strip, by node id. */
  const staleness = (): Promise<Record<string, boolean>> =>
    page.$$eval('#cals li[data-cal]', (lis) => Object.fromEntries(lis.map((li) => [li.getAttribute('data-cal'), li.classList.contains('stale')])));

  beforeAll(async () => {
    webPort = await freePort('127.0.0.1', { udp: false });
    const seed = await startDoozerd({ web: `127.0.0.1:${webPort}`, args: PULSE });
    const slaves = await Promise.all([0, 1].map(() => startDoozerd({ args: ['-a', seed.addr, ...PULSE] })));
    nodes = await Promise.all([seed, ...slaves].map(async (proc) => ({ proc, id: await withClient(proc, (c) => c.self()) })));
    await addSlots(seed, [1, 2]);
    cals = await waitForCals(nodes, 3, DEADLINE.converge);
    await waitForPort(webPort);
    browser = await launchChromium({ width: 1200, height: 500 });
    page = browser.page;
  }, TEST_TIMEOUT.cluster);

  afterAll(async () => {
    for (const n of nodes ?? []) {
      try {
        process.kill(n.proc.pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
    await browser?.close();
    await stopAll();
  });

  it('marks the paused CAL stale within a few pulses, and not once it runs again', async () => {
    await page.goto(`http://127.0.0.1:${webPort}/`);
    await page.waitForSelector('#conn[data-state="live"]', { timeout: DEADLINE.converge });
    // Every CAL pulses: all three listed, none stale.
    await page.waitForFunction(() => document.querySelectorAll('#cals li[data-cal]:not(.stale)').length === 3, undefined, { timeout: DEADLINE.converge });

    const victim = cals.find((c) => c.id !== nodes[0]!.id)!;
    process.kill(victim.proc.pid, 'SIGSTOP');
    await page.waitForSelector(`#cals li.stale[data-cal="${victim.id}"] .stale-mark`, { timeout: DEADLINE.converge });
    // This node keeps pulsing: it is not stale (waited for, as a loaded machine may delay one pulse).
    await page.waitForFunction(
      ([v, self]) =>
        document.querySelector(`#cals li.stale[data-cal="${v}"]`) !== null &&
        document.querySelector(`#cals li[data-cal="${self}"]:not(.stale)`) !== null,
      [victim.id, nodes[0]!.id],
      { timeout: DEADLINE.converge },
    );
    const s = await staleness();
    expect(s[victim.id]).toBe(true);
    expect(await page.getAttribute(`#cals li[data-cal="${victim.id}"] .stale-mark`, 'title')).toMatch(/applied rev has not moved for 3 pulses/);

    // The server-rendered page says the same.
    await page.reload();
    expect(await page.$(`#cals li.stale[data-cal="${victim.id}"]`)).not.toBeNull();

    process.kill(victim.proc.pid, 'SIGCONT');
    await page.waitForSelector(`#cals li[data-cal="${victim.id}"]:not(.stale)`, { timeout: DEADLINE.converge });
  });
});

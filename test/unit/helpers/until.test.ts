// until(): the wait every test uses. A probe that never settles (a request
// a hung node never answers) must fail the wait at its deadline, naming the
// condition, rather than hang the test until vitest's timeout says nothing.
import { describe, expect, it } from 'vitest';
import { until } from '../../helpers/until.js';

describe('until', () => {
  it('returns the first value the probe gives other than undefined/false', async () => {
    let n = 0;
    await expect(until('n reaches 3', () => (++n >= 3 ? n : false), 5_000, 1)).resolves.toBe(3);
  });

  it('fails at the deadline, naming the condition and the last error', async () => {
    await expect(until('never', () => Promise.reject(new Error('refused')), 50, 5)).rejects.toThrow(/timed out after 50 ms waiting for never: Error: refused/);
  });

  it('fails at the deadline when a probe never settles', async () => {
    const started = Date.now();
    await expect(until('a hung node answers', () => new Promise<never>(() => {}), 100, 5)).rejects.toThrow(/waiting for a hung node answers: Error: the last probe never answered/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

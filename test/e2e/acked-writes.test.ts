// The checker the fault tests rely on (test/helpers/acked-writes.ts) must be
// able to fail: against a real node, a lost, changed or overwritten write is
// reported, and a write whose outcome was unknown is allowed to win.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import { AckedWrites } from '../helpers/acked-writes.js';
import { DEADLINE } from '../helpers/deadlines.js';
import { startDoozerd, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { until } from '../helpers/until.js';

describe('AckedWrites against a real node', () => {
  let node: DoozerdProcess;
  let c: Client;
  beforeAll(async () => {
    node = await startDoozerd();
    c = await Client.dial(node.addr);
    await until('node writable', () => c.set('/probe', -1, 'x').catch(() => undefined), DEADLINE.converge);
  });
  afterAll(async () => {
    await c.close();
    await stopAll();
  });

  it('passes when every acknowledged write is there', async () => {
    const acked = new AckedWrites();
    await acked.set(node, '/aw/ok/a', '1');
    await acked.set(node, '/aw/ok/a', '2');
    await acked.set(node, '/aw/ok/b', '3');
    expect(await acked.verify([node])).toBe(3 + 2);
  });

  it('reports a write recorded with a value or rev the node does not have', async () => {
    const acked = new AckedWrites();
    const rev = await c.set('/aw/wrong', -1, 'real');
    acked.record('/aw/wrong', 'claimed', rev);
    await expect(acked.verify([node])).rejects.toThrow(/\/aw\/wrong at rev \d+ is "real"@\d+, acknowledged "claimed"/);
    const other = new AckedWrites();
    other.record('/aw/never-written', 'x', rev);
    await expect(other.verify([node])).rejects.toThrow(/\/aw\/never-written is now missing/);
  });

  it('reports a write overwritten by one nobody acknowledged, unless that one was recorded as unsure', async () => {
    const acked = new AckedWrites();
    await acked.set(node, '/aw/over', 'acked');
    await c.set('/aw/over', -1, 'sneaky');
    await expect(acked.verify([node])).rejects.toThrow(/\/aw\/over is now "sneaky"@\d+; last acknowledged "acked"/);
    acked.unsure('/aw/over', 'sneaky');
    await acked.verify([node]);
  });

  it('refuses to check nothing', async () => {
    await expect(new AckedWrites().verify([node])).rejects.toThrow(/no acknowledged writes recorded/);
  });
});

// Faults the torture run found, each reduced to a short repro. Open ones are
// KNOWN FAILING (it.fails): when a fix lands, the test starts "failing" as
// it.fails; flip it to it() then, and it stays as a regression test.
// Intermittent findings have standalone repros instead (a flaky test would
// make CI flaky): node dist/torture/repro-isolated.js Replay the whole torture run with
// `npm run torture -- --seed 1 --minutes 0.5`.
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import { DoozerError } from '../../src/wire/errors.js';
import { freePort, killAll, startDoozerd } from '../../src/torture/procs.js';
import { ensureBuilt } from '../helpers/doozerd-process.js';

describe('torture findings', () => {
  afterEach(() => killAll());

  // A slave that has just become a CAL answered OK (with the seqn) to a SET
  // whose mutation failed with "rev mismatch" at that seqn: an acknowledged
  // write that never happened. Seen by the linearizability checker. Cause:
  // its follower had already copied instances of its own (pipelined WAITs
  // ran past the slot's rev + alpha), so the store held the copied result,
  // not the write's error. Fixed: the follower stops alpha - 1 revs past the
  // store (slave-watcher's followLimit).
  it('a CAL that has just become writable answers REV_MISMATCH, never OK, to a failing create-only SET', async () => {
    ensureBuilt();
    const a = await startDoozerd('127.0.0.1', await freePort('127.0.0.1'));
    const b = await startDoozerd('127.0.0.1', await freePort('127.0.0.1'), ['-a', a.addr]);
    const ca = await Client.dial(a.addr);
    const cb = await Client.dial(b.addr);
    try {
      await ca.set('/x', -1, 'exists');
      let stop = false;
      const load = (async () => {
        for (let i = 0; !stop; i++) await ca.set('/load', -1, String(i));
      })();
      await ca.set('/ctl/cal/1', 0, '');
      const wrongly: number[] = [];
      const t0 = Date.now();
      while (Date.now() - t0 < 3000) {
        try {
          wrongly.push(await cb.set('/x', 0, 'must-fail'));
        } catch (e) {
          if (!(e instanceof DoozerError) || (e.code !== 'REV_MISMATCH' && e.code !== 'READONLY')) throw e;
        }
      }
      stop = true;
      await load;
      expect(wrongly, `create-only SETs of an existing file answered OK at revs ${wrongly.join(', ')}`).toEqual([]);
    } finally {
      await ca.close();
      await cb.close();
    }
  }, 30_000);
});

// Clusters whose nodes require a secret: nodes attach, follow and lock CAL
// slots with the read-write secret (their own clients present it); clients
// without it are refused what spec/protocol.md's "Secrets" table refuses.
// With only the read-only secret set nothing can write, so no node can attach.
import { afterAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import { DoozerError } from '../../src/wire/errors.js';
import { startDoozerd, stopAll } from '../helpers/doozerd-process.js';
import { until } from '../helpers/until.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';

const RW = 'cluster-s3cret';
const RO = 'cluster-r3ad';

describe('a cluster with secrets', () => {
  afterAll(() => stopAll());

  for (const [name, env] of [
    ['DOOZER_RWSECRET', { DOOZER_RWSECRET: RW }],
    ['DOOZER_RWSECRET and DOOZER_ROSECRET', { DOOZER_RWSECRET: RW, DOOZER_ROSECRET: RO }],
  ] as const) {
    it(`${name}: attaches, takes a CAL slot and replicates; a client without the rw secret cannot write`, async () => {
      const seed = await startDoozerd({ env });
      const slave = await startDoozerd({ env, args: ['-a', seed.addr] });
      const c = await Client.dial(seed.addr, { secret: RW });
      await until('seed writable', () => c.set('/probe', -1, 'x').catch(() => undefined));
      await c.set('/ctl/cal/1', 0, '');
      const s = await Client.dial(slave.addr, { secret: RW });
      const rev = await until('slave is a writable CAL', () => s.set('/from-slave', -1, 'yes').catch(() => undefined), DEADLINE.converge);
      expect((await c.get('/from-slave', rev)).value.toString()).toBe('yes');

      // With only the rw secret set a connection without it may read; with both it may not.
      const anon = await Client.dial(slave.addr);
      if ('DOOZER_ROSECRET' in env) {
        const err = await anon.get('/from-slave').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DoozerError);
        expect((err as DoozerError).detail).toBe('permission denied');
      } else {
        expect((await anon.get('/from-slave')).value.toString()).toBe('yes');
      }
      const err = await anon.set('/anon', -1, 'no').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DoozerError);
      expect((err as DoozerError).detail).toBe('permission denied');
      await Promise.all([c.close(), s.close(), anon.close()]);
    }, TEST_TIMEOUT.cluster);
  }

  it('DOOZER_ROSECRET only: the seed warns that nothing can write; a node cannot attach and says why', async () => {
    const env = { DOOZER_ROSECRET: RO };
    const seed = await startDoozerd({ env });
    await until('the warning', () => /no client can write, and no node can attach/.test(seed.stderr()));
    const other = await startDoozerd({ env, args: ['-a', seed.addr], waitReady: false });
    const st = await other.exited;
    expect(st.code, other.describe()).not.toBe(0);
    expect(other.stderr()).toMatch(/refused to let this node register \(permission denied\).*DOOZER_RWSECRET/);
    // The seed still serves readers with the ro secret.
    const r = await Client.dial(seed.addr, { secret: RO });
    expect((await r.get('/ctl/name')).value.toString()).toBe('local');
    await r.close();
  }, TEST_TIMEOUT.cluster);
});

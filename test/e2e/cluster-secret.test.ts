// A cluster whose nodes require a secret: nodes attach and follow with the
// read-write secret; clients without it are refused.
import { afterAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import { DoozerError } from '../../src/errors.js';
import { startDoozerd, stopAll } from '../helpers/doozerd-process.js';
import { until } from '../helpers/until.js';

const env = { DOOZER_RWSECRET: 'cluster-s3cret' };

describe('a cluster with DOOZER_RWSECRET', () => {
  afterAll(() => stopAll());

  it('attaches, takes a CAL slot and replicates; a client without the secret reads but cannot write', async () => {
    const seed = await startDoozerd({ env });
    const slave = await startDoozerd({ env, args: ['-a', seed.addr] });
    const c = await Client.dial(seed.addr, { secret: env.DOOZER_RWSECRET });
    await until('seed writable', () => c.set('/probe', -1, 'x').catch(() => undefined));
    await c.set('/ctl/cal/1', 0, '');
    const s = await Client.dial(slave.addr, { secret: env.DOOZER_RWSECRET });
    const rev = await until('slave is a writable CAL', () => s.set('/from-slave', -1, 'yes').catch(() => undefined), 20_000);
    expect((await c.get('/from-slave', rev)).value.toString()).toBe('yes');

    // With only the rw secret set, a connection without it may read, not write (spec/protocol.md "Secrets").
    const anon = await Client.dial(slave.addr);
    expect((await anon.get('/from-slave')).value.toString()).toBe('yes');
    const err = await anon.set('/anon', -1, 'no').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DoozerError);
    expect((err as DoozerError).detail).toBe('permission denied');
    await Promise.all([c.close(), s.close(), anon.close()]);
  }, 60_000);
});

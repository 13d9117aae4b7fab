// A cluster whose nodes all serve TLS (-tlscert/-tlskey, one self-signed
// certificate, README's recipe): nodes attach to and follow each other over
// TLS, trusting that certificate (or -tlsca), so slaves copy the store and
// win CAL slots as in a plain cluster.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import { runDoozer, startDoozerd, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { makeSelfSignedCert } from '../helpers/tls-cert.js';
import { until } from '../helpers/until.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';

const certs = makeSelfSignedCert();
const ca = readFileSync(certs.cert);

async function withTls<T>(p: DoozerdProcess, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await Client.dial(p.addr, { tls: { ca } });
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

describe('a TLS cluster', () => {
  afterEach(() => stopAll());

  it('slaves attach over TLS, win CAL slots, and every node agrees', async () => {
    const tlsArgs = ['-tlscert', certs.cert, '-tlskey', certs.key];
    const seed = await startDoozerd({ args: tlsArgs });
    const b = await startDoozerd({ args: [...tlsArgs, '-a', seed.addr] });
    const c = await startDoozerd({ args: [...tlsArgs, '-tlsca', certs.cert, '-a', seed.addr] });
    for (const n of [1, 2]) {
      const r = await runDoozer(['-a', `doozer:?ca=${seed.addr}&tlsca=${certs.cert}`, 'set', `/ctl/cal/${n}`, '0'], { input: '' });
      expect(r.code, r.stderr).toBe(0);
    }
    const nodes = [seed, b, c];
    // Both slaves become writable CALs: they followed the seed over TLS and drove it with NOPs.
    for (const n of [b, c]) {
      await until(`${n.addr} writable`, () => withTls(n, (cl) => cl.set(`/tls/probe/${n.port}`, -1, 'x')).catch(() => undefined), DEADLINE.converge, 100);
    }
    let rev = 0;
    for (const n of nodes) rev = await withTls(n, (cl) => cl.set(`/tls/${n.port}`, 0, `via ${n.port}`));
    for (const n of nodes) {
      const got = await withTls(n, async (cl) => {
        await cl.get('/ctl/name', rev);
        return (await cl.walkAll('/tls/*', rev)).map((e) => `${e.path}=${e.value.toString()}`);
      });
      expect(got.sort()).toEqual(nodes.map((x) => `/tls/${x.port}=via ${x.port}`).sort());
    }
  }, TEST_TIMEOUT.cluster);

  it('-tlsca without -tlscert is a usage error naming both flags', async () => {
    const bad = await startDoozerd({ args: ['-tlsca', certs.cert], waitReady: false });
    const status = await bad.exited;
    expect(status.code).toBe(2);
    expect(bad.stderr()).toContain('-tlsca needs -tlscert and -tlskey');
  });
});

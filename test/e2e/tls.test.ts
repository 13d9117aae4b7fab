// doozerd's own TLS listener (-tlscert/-tlskey) with a throwaway certificate
// made by openssl (never skipped: test/helpers/tls-cert.ts throws without it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import { DEADLINE } from '../helpers/deadlines.js';
import { startDoozerd, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { stopGracefully } from '../helpers/graceful.js';
import { makeTestCert, type TestCert } from '../helpers/tls-cert.js';
import { until } from '../helpers/until.js';

/** `p`'s rejection, or a failure if it resolves or stays pending past `ms`. */
async function rejection(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.then(() => new Error('expected a failure, got an answer'), (e: unknown) => e),
      new Promise((r) => (timer = setTimeout(() => r(new Error(`no failure within ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('doozerd -tlscert/-tlskey', () => {
  let cert: TestCert;
  let node: DoozerdProcess;

  beforeAll(async () => {
    cert = makeTestCert();
    node = await startDoozerd({ args: ['-tlscert', cert.certFile, '-tlskey', cert.keyFile] });
  });
  afterAll(() => stopAll());

  it('serves the protocol over TLS to a client that trusts the certificate', async () => {
    const c = await Client.dial(node.uri, { tls: { ca: cert.cert } });
    try {
      const rev = await until('node writable over TLS', () => c.set('/tls/x', -1, 'secret').catch(() => undefined));
      expect(await c.get('/tls/x')).toEqual({ value: Buffer.from('secret'), rev });
      expect(await c.self()).toMatch(/^[A-Z2-7]{16}$/);
    } finally {
      await c.close();
    }
  });

  it('refuses a client that does not trust the certificate, and a plain-TCP client', async () => {
    const untrusted = await rejection(Client.dial(node.uri, { tls: true }), DEADLINE.answer);
    expect(String(untrusted)).toMatch(/certificate/);
    // Plain frames on the TLS port: no answer is ever a protocol answer.
    const plain = await rejection(Client.dial(node.uri).then(async (c) => {
      try {
        return await c.rev();
      } finally {
        await c.close().catch(() => undefined);
      }
    }), DEADLINE.answer);
    expect(plain).toBeInstanceOf(Error);
    expect(String(plain)).not.toMatch(/no failure within/);
    // The node keeps serving TLS clients.
    const c = await Client.dial(node.uri, { tls: { ca: cert.cert } });
    expect((await c.get('/tls/x')).value.toString()).toBe('secret');
    await c.close();
    expect(node.exitStatus(), node.describe()).toBeUndefined();
  });

  it('stops gracefully on SIGTERM', async () => {
    await stopGracefully(node);
  });
});

// Client over TLS (the server side of -tlscert/-tlskey), against a tiny TLS
// server with a throwaway self-signed certificate (made with openssl; never skipped).
// doozerd's own -tlscert/-tlskey listener: test/e2e/tls.test.ts.
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { decodeRequest, encodeResponse } from '../../../src/wire/client-codec.js';
import { FrameReader, frame } from '../../../src/wire/framing.js';
import { makeTestCert } from '../../helpers/tls-cert.js';

const creds = makeTestCert();

describe('Client over TLS', () => {
  it('speaks the protocol over TLS when tls is set', async () => {
    const server = tls.createServer({ key: creds.key, cert: creds.cert }, (sock) => {
      const reader = new FrameReader();
      sock.on('error', () => undefined);
      sock.on('data', (chunk: Buffer) => {
        for (const f of reader.push(chunk)) {
          const req = decodeRequest(f);
          sock.write(frame(encodeResponse({ tag: req.tag, rev: 123 })));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const c = await Client.dial(`doozer:?ca=127.0.0.1:${port}`, { tls: { ca: creds.cert } });
      expect(await c.rev()).toBe(123);
      await c.close();
      // Without trusting the certificate the handshake fails with a clear error.
      await expect(Client.dial(`127.0.0.1:${port}`, { tls: true })).rejects.toThrow(/cannot connect to 127\.0\.0\.1:\d+: .*certificate/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

// Client over TLS (the server side of -tlscert/-tlskey), against a tiny TLS
// server with a throwaway self-signed certificate. Skipped without openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { decodeRequest, encodeResponse } from '../../../src/net/client-codec.js';
import { FrameReader, frame } from '../../../src/net/framing.js';

function makeCert(): { key: Buffer; cert: Buffer } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'doozer-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const creds = makeCert();

describe.skipIf(!creds)('Client over TLS', () => {
  it('speaks the protocol over TLS when tls is set', async () => {
    const server = tls.createServer({ key: creds!.key, cert: creds!.cert }, (sock) => {
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
      const c = await Client.dial(`doozer:?ca=127.0.0.1:${port}`, { tls: { ca: creds!.cert } });
      expect(await c.rev()).toBe(123);
      await c.close();
      // Without trusting the certificate the handshake fails with a clear error.
      await expect(Client.dial(`127.0.0.1:${port}`, { tls: true })).rejects.toThrow(/cannot connect to 127\.0\.0\.1:\d+: .*certificate/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

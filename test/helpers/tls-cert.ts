// A self-signed certificate for 127.0.0.1 and localhost (openssl, as the
// README's TLS recipe), for tests of TLS nodes. Throws if openssl fails: a
// TLS test must never skip silently.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

/** Writes cert.pem and key.pem (valid one day) into a fresh temporary directory. */
export function makeSelfSignedCert(): CertFiles {
  const dir = mkdtempSync(join(tmpdir(), 'doozer-tls-'));
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', files.key, '-out', files.cert,
  ], { stdio: 'ignore' });
  return files;
}

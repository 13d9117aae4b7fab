// A self-signed certificate for 127.0.0.1 and localhost (openssl, as the
// README's TLS recipe), for tests of TLS nodes. Throws if openssl fails: a
// TLS test must never skip silently (CI installs openssl: .ci/run).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
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
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', files.key, '-out', files.cert,
    ], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`cannot make a test certificate with openssl (install it: apt-get install openssl): ${String(e)}`);
  }
  return files;
}

export interface TestCert {
  key: Buffer;
  cert: Buffer;
  /** The PEM files, for -tlscert / -tlskey. */
  keyFile: string;
  certFile: string;
}

/** makeSelfSignedCert, with the PEM contents read (for a client's `ca` or an in-process server). */
export function makeTestCert(): TestCert {
  const f = makeSelfSignedCert();
  return { key: readFileSync(f.key), cert: readFileSync(f.cert), keyFile: f.key, certFile: f.cert };
}

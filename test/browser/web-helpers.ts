// Shared by the web view tests (test/e2e/web*.test.ts, test/browser/*):
// a real doozerd with its web view on free ports, and writes through the
// client protocol.
import { ErrCode, Verb } from '../../src/wire/client-codec.js';
import { startDoozerd, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';
import { DEADLINE } from '../helpers/deadlines.js';

export interface WebNode {
  proc: DoozerdProcess;
  port: number;
  webPort: number;
  /** http://127.0.0.1:<webPort> */
  base: string;
}

/** Starts `bin/doozerd -l 127.0.0.1:port -w 127.0.0.1:webPort` (free ports unless given) and waits for both. */
export async function startWebNode(ports?: { port: number; webPort: number }, env?: Record<string, string>): Promise<WebNode> {
  const port = ports?.port ?? (await freePort());
  const webPort = ports?.webPort ?? (await freePort('127.0.0.1', { udp: false }));
  const proc = await startDoozerd({ port, web: `127.0.0.1:${webPort}`, ...(env ? { env } : {}) });
  await waitForPort(webPort, '127.0.0.1', {
    timeoutMs: DEADLINE.start,
    check: () => (proc.exitStatus() ? 'doozerd exited' : undefined),
    describe: () => proc.describe(),
  });
  return { proc, port, webPort, base: `http://127.0.0.1:${webPort}` };
}

let nextTag = 1;

/** SET path (clobber) = body, retrying READONLY (a new node needs ~51 seqns first) until the deadline. */
export async function setFile(port: number, path: string, body: string | Uint8Array, timeoutMs: number = DEADLINE.converge): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    const value = typeof body === 'string' ? Buffer.from(body) : body;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await c.call({ tag: nextTag++, verb: Verb.SET, path, value, rev: -1 });
      if (r.errCode === undefined) return r.rev!;
      if (r.errCode !== ErrCode.READONLY || Date.now() > deadline) {
        throw new Error(`SET ${path} failed: code ${r.errCode} ${r.errDetail ?? ''}`);
      }
      await new Promise((res) => setTimeout(res, 50));
    }
  } finally {
    c.close();
  }
}

/** The node's id (SELF). */
export async function nodeId(port: number): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    const r = await c.call({ tag: nextTag++, verb: Verb.SELF });
    return Buffer.from(r.value ?? []).toString('utf8');
  } finally {
    c.close();
  }
}

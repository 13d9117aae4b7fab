// Graceful shutdown, asserted: SIGTERM makes doozerd close its client
// connections and exit 0 by itself (not through the SIGKILL escalation).
import net from 'node:net';
import { DEADLINE } from './deadlines.js';
import type { DoozerdProcess } from './doozerd-process.js';

/**
 * Opens a client connection, sends SIGTERM, and throws unless the node
 * closed that connection and exited with code 0 within DEADLINE.exit.
 * Checking that nothing was lost is the caller's part (it knows what was
 * written): read the acknowledged writes before, or on the surviving nodes.
 */
export async function stopGracefully(node: DoozerdProcess): Promise<void> {
  if (node.exitStatus()) throw new Error(`cannot stop ${node.name} gracefully: ${node.describe()}`);
  const sock = net.connect({ host: node.host, port: node.port });
  const closed = new Promise<void>((resolve) => {
    sock.on('error', () => undefined);
    sock.once('close', () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  // Past DEADLINE.exit stop() escalates to SIGKILL, which fails below.
  const st = await node.stop('SIGTERM', DEADLINE.exit);
  const sockClosed = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), DEADLINE.answer))]);
  sock.destroy();
  if (st.signal !== null || st.code !== 0) {
    throw new Error(`SIGTERM: expected exit code 0, got code ${st.code} signal ${st.signal}\n${node.describe()}`);
  }
  if (!sockClosed) throw new Error(`SIGTERM: ${node.name} exited but its client connection was not closed`);
}

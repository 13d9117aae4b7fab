// The client port is taken at start and served later (src/net/client-port.ts):
// a client that connects while the node starts waits, with what it sent,
// and is served first; a failed start ends it; a taken port is an error.
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { takeClientPort, type ClientPort } from '../../../src/net/client-port.js';

const ports: ClientPort[] = [];
afterEach(async () => {
  for (const p of ports.splice(0)) await p.close();
});

async function take(port = 0): Promise<{ port: ClientPort; addr: { host: string; port: number } }> {
  const p = await takeClientPort({ host: '127.0.0.1', port });
  ports.push(p);
  return { port: p, addr: { host: '127.0.0.1', port: (p.server.address() as net.AddressInfo).port } };
}

async function connect(addr: { host: string; port: number }): Promise<net.Socket> {
  const c = net.connect(addr);
  await once(c, 'connect');
  return c;
}

describe('ClientPort', () => {
  it('a client that connects before serve() waits, and its bytes reach the handler; later clients go straight to it', async () => {
    const { port, addr } = await take();
    const early = await connect(addr);
    early.write('sent before serve');
    await new Promise((r) => setImmediate(r));
    const got: string[] = [];
    const served = new Promise<void>((resolve) => {
      port.serve((s) => {
        s.on('data', (b: Buffer) => {
          got.push(b.toString());
          if (got.join('').includes('late') && got.join('').includes('sent before serve')) resolve();
        });
      });
    });
    const late = await connect(addr);
    late.write('late');
    await served;
    expect(got.join('').length).toBe('sent before serve'.length + 'late'.length);
    early.destroy();
    late.destroy();
  });

  it('close() before serve() ends the waiting client (a failed start)', async () => {
    const { port, addr } = await take();
    const early = await connect(addr);
    const closed = once(early, 'close');
    await port.close();
    await closed;
    expect(early.destroyed).toBe(true);
  });

  it('a port already taken rejects with EADDRINUSE', async () => {
    const { addr } = await take();
    await expect(takeClientPort({ host: '127.0.0.1', port: addr.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

// The start-up check of listen addresses (src/node/listen-check.ts) must
// never listen on the client port (-l): a listener of ours, even for a moment, accepts the
// first clients of the node being started (they wait for its port to
// accept) and then resets them. Found in CI: a node's first SELF failed
// with ECONNRESET, another's connect was refused after the port had
// accepted.
import * as net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkListenAddresses, ListenError } from '../../../src/node/listen-check.js';
import { freePort } from '../../helpers/ports.js';

const opts = (port: number, web?: number) => ({
  listen: { host: '127.0.0.1', port },
  web: web === undefined ? undefined : { host: '127.0.0.1', port: web },
  debug: undefined,
});

describe('checkListenAddresses', () => {
  afterEach(() => vi.restoreAllMocks());

  it('checks the client address (-l) without listening on it', async () => {
    const listen = vi.spyOn(net.Server.prototype, 'listen');
    const a = await freePort('127.0.0.1');
    listen.mockClear();
    await checkListenAddresses(opts(a) as never, false);
    expect(listen).not.toHaveBeenCalled();
  });

  it('refuses a web view address something already listens on, naming the flag', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      await expect(checkListenAddresses(opts(await freePort('127.0.0.1'), port) as never, false)).rejects.toThrow(ListenError);
      await expect(checkListenAddresses(opts(await freePort('127.0.0.1'), port) as never, false)).rejects.toThrow(/web view, -w.*EADDRINUSE/);
    } finally {
      taken.close();
    }
  });
});

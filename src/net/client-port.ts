// The client TCP port (-l), taken first thing at start and served later.
//
// A node listens on its client port before it touches -data or attaches, so
// a taken port fails the start at once and leaves nothing behind. Clients
// that connect while the node is still starting (restarting from -data,
// attaching, catching up) wait in a queue, unread, and are served as soon
// as listenForClients takes the port, as the original doozerd does (it
// listens first and accepts once ready). The alternative, binding a probe
// socket and releasing it, resets a client that connects in that moment.
import net from 'node:net';
import tls from 'node:tls';

/** A listening client port whose connections wait until serve() gives them a handler. */
export interface ClientPort {
  readonly server: net.Server;
  /**
   * From now on every connection goes to `onConnection` (TLS ones once their
   * handshake is done), those that waited first, in arrival order.
   */
  serve(onConnection: (socket: net.Socket) => void): void;
  /** Stops listening and ends every connection, served, waiting or in its TLS handshake. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` (TLS with `tls`). Rejects with the listen error
 * (`code` EADDRINUSE, EADDRNOTAVAIL, EACCES, ...) for the caller to explain.
 */
export async function takeClientPort(opts: { host: string; port: number; tls?: { cert: Buffer; key: Buffer } }): Promise<ClientPort> {
  let handler: ((socket: net.Socket) => void) | undefined;
  const waiting = new Set<net.Socket>();
  const onConnection = (socket: net.Socket): void => {
    if (handler) return handler(socket);
    // Unread until served: its requests stay in the socket's buffers.
    socket.pause();
    waiting.add(socket);
    socket.once('close', () => waiting.delete(socket));
  };
  const server = opts.tls ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onConnection) : net.createServer(onConnection);
  // Every TCP connection, also a TLS one still in its handshake (the handler
  // only sees it once secure): close() ends those too, or it waits for them.
  const raw = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    raw.add(s);
    s.once('close', () => raw.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host || undefined, port: opts.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    serve(h) {
      handler = h;
      const early = [...waiting];
      waiting.clear();
      for (const s of early) {
        if (s.destroyed) continue;
        h(s);
        s.resume();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        waiting.clear();
        for (const s of raw) s.destroy();
        server.close(() => resolve());
      }),
  };
}

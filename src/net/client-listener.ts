// Accepts client TCP (or TLS) connections. Each connection gets a
// client-session actor; this file only moves bytes: frames in, decoded
// requests to the session, responses from the session back out.
//
// A connection is closed (one warning line, every other connection keeps
// being served) only for bytes that cannot be doozer requests: a length above
// MAX_FRAME_BYTES (2 MiB) or with the top bit set, or a frame that does not
// decode. A well-formed request the node cannot serve (a value too large for
// consensus, say) gets an error answer instead (docs/protocol.md).
import net from 'node:net';
import tls from 'node:tls';
import { logger } from '../runtime/log.js';
import type { ActorSystem } from '../runtime/system.js';
import type { Message } from '../runtime/message.js';
import { decodeRequest, encodeResponseFrame, ErrCode, errName, Verb, verbName, type Response } from '../wire/client-codec.js';
import { metrics, onRequestsCollect } from './http/metrics.js';
import { STORE } from '../actors/store/messages.js';
import { FrameError, FrameReader } from '../wire/framing.js';
import type { ClientRequestMessage, ClientSessionArgs, SessionToConnMessage } from '../actors/client-session.js';

const log = logger('clients');

/** Requests in flight (not counting WAITs) before we stop reading from a connection. */
const PAUSE_AT = 1024;
const RESUME_AT = 256;

export interface ClientListenerOptions {
  host: string;
  port: number;
  system: ActorSystem;
  session: Omit<ClientSessionArgs, 'conn'>;
  /** The supervisor of the client sessions (default: the root). */
  supervisor?: string;
  tls?: { cert: Buffer; key: Buffer };
}

export interface ClientListener {
  server: net.Server;
  connections(): number;
  close(): Promise<void>;
}

/** Answers counted per (verb, error code) since /metrics was last read: a number per answer, not a labelled inc(). */
const answerCounts = new Map<number, { labels: { verb: string; code: string }; n: number }>();

/** Counts one answer for doozerd_client_requests_total. */
function countAnswer(verb: number | undefined, errCode: number | undefined): void {
  const key = (verb ?? -1) * 1024 + (errCode ?? -1);
  const c = answerCounts.get(key);
  if (c) {
    c.n++;
    return;
  }
  answerCounts.set(key, {
    labels: {
      verb: (verb !== undefined && verbName(verb)) || 'UNKNOWN',
      code: errCode === undefined ? 'OK' : (errName(errCode) ?? 'OTHER'),
    },
    n: 1,
  });
}

onRequestsCollect(() => {
  for (const c of answerCounts.values()) {
    if (c.n === 0) continue;
    metrics.requests.inc(c.labels, c.n);
    c.n = 0;
  }
});

export async function listenForClients(opts: ClientListenerOptions): Promise<ClientListener> {
  let nextId = 1;
  const sockets = new Set<net.Socket>();

  const onConnection = (socket: net.Socket): void => {
    const id = nextId++;
    metrics.clientConnectionsAccepted.inc();
    const conn = `conn:${id}`;
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    // Named after its client, so /$actors says whose session it is (its age is there too).
    const session = `client-session:${id}@${peer}`;
    const reader = new FrameReader();
    let inFlight = 0;
    let paused = false;
    let closed = false;
    sockets.add(socket);
    socket.setNoDelay(true);

    let outgoing: Buffer[] = [];
    const writeOut = (): void => {
      const bufs = outgoing;
      outgoing = [];
      if (!closed) socket.write(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
    };

    const close = (why?: string): void => {
      if (closed) return;
      closed = true;
      if (why) log.warn(`closing connection from ${peer}: ${why}`);
      unregister();
      opts.system.stop(session, 'connection closed');
      // Also when the session died with its thread (no stopped() ran): drop its WAITs.
      opts.system.send(STORE, { type: 'cancel', owner: session });
      socket.destroy();
    };

    /** Queue one response frame; responses of one actor drain leave in one write (one syscall, not one per response). */
    const send = (response: Response): void => {
      outgoing.push(encodeResponseFrame(response));
      if (outgoing.length === 1) queueMicrotask(writeOut);
    };

    const unregister = opts.system.registerEndpoint(conn, (msg: Message) => {
      if (closed) return;
      const m = msg as SessionToConnMessage;
      if (m.verb !== Verb.WAIT) inFlight--;
      if (m.type === 'response') {
        countAnswer(m.verb, m.response.errCode);
        send(m.response);
      }
      if (paused && inFlight <= RESUME_AT) {
        paused = false;
        socket.resume();
      }
    });
    opts.system.spawn({ name: session, kind: 'client-session', restart: 'temporary', args: { ...opts.session, conn }, ...(opts.supervisor ? { supervisor: opts.supervisor } : {}) });
    opts.system.onExit(session, (_name, reason) => {
      if (reason.startsWith('crashed')) close(`session ${reason}`);
    });

    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (e) {
        return close(e instanceof FrameError ? e.message : String(e));
      }
      for (const f of frames) {
        let req;
        try {
          req = decodeRequest(f);
        } catch (e) {
          return close(`undecodable request (${f.length} bytes): ${(e as Error).message}`);
        }
        if (req.verb !== Verb.WAIT) inFlight++;
        if (!opts.system.send(session, { type: 'request', req } satisfies ClientRequestMessage)) {
          // The session's mailbox is full: answer here rather than never.
          if (req.verb !== Verb.WAIT) inFlight--;
          send({ ...(req.tag !== undefined ? { tag: req.tag } : {}), errCode: ErrCode.OTHER, errDetail: 'node overloaded: retry later' });
        }
      }
      if (!paused && inFlight >= PAUSE_AT) {
        paused = true;
        socket.pause();
      }
    });
    socket.on('error', (e) => log.debug(`connection from ${peer}: ${e.message}`));
    socket.on('close', () => {
      sockets.delete(socket);
      close();
    });
  };

  const server = opts.tls ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onConnection) : net.createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => log.error(`client listener: ${e.message}`));
  // Every TCP connection, also a TLS one still in its handshake (onConnection
  // only sees it once secure): close() must end those too, or it waits for them.
  const raw = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    raw.add(s);
    s.once('close', () => raw.delete(s));
  });

  return {
    server,
    connections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        for (const s of raw) s.destroy();
        server.close(() => resolve());
      }),
  };
}

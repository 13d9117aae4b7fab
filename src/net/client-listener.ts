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
import { logger } from '../runtime/log.js';
import type { ClientPort } from './client-port.js';
import type { ActorSystem } from '../runtime/system.js';
import type { Message } from '../runtime/message.js';
import { decodeRequest, ErrCode, errName, Verb, verbName } from '../wire/client-codec.js';
import { metrics, onRequestsCollect } from './http/metrics.js';
import { STORE } from '../actors/store/messages.js';
import { FrameError, FrameReader } from '../wire/framing.js';
import { ANSWER_HIGH_WATER, ANSWER_LOW_WATER, AnswerQueue, responseBytes } from './answer-queue.js';
import { BlobVerb } from '../actors/blob-messages.js';
import type { ClientRequestMessage, ClientSessionArgs, SessionToConnMessage } from '../actors/client-session.js';

const log = logger('clients');

/**
 * Backpressure, per connection (docs/protocol.md "Backpressure"). The node
 * stops decoding a connection's request frames (the bytes already read wait,
 * and the socket is not read) while any of these holds, and reads it again
 * once all are back below their resume marks:
 * - PAUSE_AT requests in flight, WAITs excepted (resume at RESUME_AT);
 * - ANSWER_HIGH_WATER bytes of answers not yet taken by the client
 *   (src/net/answer-queue.ts; resume at ANSWER_LOW_WATER, on 'drain');
 * - IN_FLIGHT_ANSWER_BYTES of values the GETs, WALKs and BLOB_GETs in
 *   flight may answer: each is counted at the size of this connection's
 *   recent large values (VALUE_ESTIMATE_START before its first answer), so a
 *   client GETting 1 MiB values has 16 in flight, one GETting small ones up to
 *   PAUSE_AT; resume at a quarter of it. (A read's answer is a fresh copy of
 *   the value, made when the store answers: this bounds those copies.)
 */
const PAUSE_AT = 1024;
const RESUME_AT = 256;
/** See PAUSE_AT: bytes the answers of a connection's value reads in flight may take (16 MiB). */
const IN_FLIGHT_ANSWER_BYTES = 16 * 1024 * 1024;
/** A connection's value-size estimate before its first value answer (128 KiB: at most 128 value reads in flight until then). */
const VALUE_ESTIMATE_START = 128 * 1024;
/** The value-size estimate loses 1/ESTIMATE_DECAY of itself per value answer smaller than it (so it follows a client's large values for about that many answers). */
const ESTIMATE_DECAY = 256;
/** Verbs whose answer carries a stored value (of up to 1 MiB). */
const VALUE_VERBS = new Set<number>([Verb.GET, Verb.WALK, BlobVerb.BLOB_GET]);
/** Idle TCP keepalive probes start after this long (ms): a client gone for good (host down, cable cut) frees its connection and queued answers, a slow but live reader is never cut. */
const KEEPALIVE_MS = 60_000;

export interface ClientListenerOptions {
  /** The client port, taken at start (connections made since then are served first). */
  port: ClientPort;
  system: ActorSystem;
  session: Omit<ClientSessionArgs, 'conn'>;
  /** The supervisor of the client sessions (default: the root). */
  supervisor?: string;
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

/** Serves the connections of `opts.port` (those that waited first): one client-session actor each. */
export function listenForClients(opts: ClientListenerOptions): ClientListener {
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
    /** Decoded-frame views not yet handed to the session (only while paused), from index `nextFrame` on. */
    let frames: Buffer[] = [];
    let nextFrame = 0;
    let inFlight = 0;
    /** Of those, value reads (VALUE_VERBS). */
    let valuesInFlight = 0;
    /** Estimated bytes of one value answer of this connection: the recent large ones, decaying (see IN_FLIGHT_ANSWER_BYTES). */
    let valueEstimate = VALUE_ESTIMATE_START;
    let paused = false;
    let closed = false;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_MS);

    const answers = new AnswerQueue(socket, () => maybeResume());

    const close = (why?: string): void => {
      if (closed) return;
      closed = true;
      if (why) log.warn(`closing connection from ${peer}: ${why}`);
      unregister();
      answers.close();
      frames = [];
      opts.system.stop(session, 'connection closed');
      // Also when the session died with its thread (no stopped() ran): drop its WAITs.
      opts.system.send(STORE, { type: 'cancel', owner: session });
      socket.destroy();
    };

    /** Whether to stop decoding this connection's requests (see PAUSE_AT). */
    const overLimit = (): boolean =>
      inFlight >= PAUSE_AT || answers.backlog >= ANSWER_HIGH_WATER || valuesInFlight * valueEstimate >= IN_FLIGHT_ANSWER_BYTES;

    /** Hand held frames to the session until done or over a limit; read the socket again when done. */
    const pump = (): void => {
      while (nextFrame < frames.length) {
        if (closed) return;
        if (overLimit()) {
          if (!paused) {
            paused = true;
            socket.pause();
          }
          return;
        }
        const f = frames[nextFrame++]!;
        let req;
        try {
          req = decodeRequest(f);
        } catch (e) {
          return close(`undecodable request (${f.length} bytes): ${(e as Error).message}`);
        }
        const value = req.verb !== undefined && VALUE_VERBS.has(req.verb);
        if (req.verb !== Verb.WAIT) inFlight++;
        if (value) valuesInFlight++;
        if (!opts.system.send(session, { type: 'request', req } satisfies ClientRequestMessage)) {
          // The session's mailbox is full: answer here rather than never.
          if (req.verb !== Verb.WAIT) inFlight--;
          if (value) valuesInFlight--;
          answers.push({ ...(req.tag !== undefined ? { tag: req.tag } : {}), errCode: ErrCode.OTHER, errDetail: 'node overloaded: retry later' });
        }
      }
      frames = [];
      nextFrame = 0;
      if (paused) {
        paused = false;
        socket.resume();
      }
    };

    /** A paused connection whose answers drained and whose requests in flight fell below the resume marks is read again. */
    const maybeResume = (): void => {
      if (!paused || closed) return;
      if (inFlight > RESUME_AT || answers.backlog > ANSWER_LOW_WATER || valuesInFlight * valueEstimate > IN_FLIGHT_ANSWER_BYTES / 4) return;
      // pump() decides again frame by frame (limits, not resume marks), and resumes the socket once every held frame is handed on.
      pump();
    };

    const unregister = opts.system.registerEndpoint(conn, (msg: Message) => {
      if (closed) return;
      const m = msg as SessionToConnMessage;
      if (m.verb !== Verb.WAIT) inFlight--;
      const value = m.verb !== undefined && VALUE_VERBS.has(m.verb);
      if (value) valuesInFlight--;
      if (m.type === 'response') {
        countAnswer(m.verb, m.response.errCode);
        if (value) {
          const bytes = responseBytes(m.response);
          valueEstimate = bytes >= valueEstimate ? bytes : valueEstimate - Math.ceil(valueEstimate / ESTIMATE_DECAY);
        }
        answers.push(m.response);
      }
      maybeResume();
    });
    opts.system.spawn({ name: session, kind: 'client-session', restart: 'temporary', args: { ...opts.session, conn }, ...(opts.supervisor ? { supervisor: opts.supervisor } : {}) });
    opts.system.onExit(session, (_name, reason) => {
      if (reason.startsWith('crashed')) close(`session ${reason}`);
    });

    socket.on('data', (chunk: Buffer) => {
      let got: Buffer[];
      try {
        got = reader.push(chunk);
      } catch (e) {
        return close(e instanceof FrameError ? e.message : String(e));
      }
      if (got.length === 0) return;
      if (nextFrame >= frames.length) {
        frames = got;
        nextFrame = 0;
      } else for (const f of got) frames.push(f);
      if (!paused) pump();
    });
    socket.on('error', (e) => log.debug(`connection from ${peer}: ${e.message}`));
    socket.on('close', () => {
      sockets.delete(socket);
      close();
    });
  };

  const server = opts.port.server;
  server.on('error', (e) => log.error(`client listener: ${e.message}`));
  opts.port.serve(onConnection);

  return {
    server,
    connections: () => sockets.size,
    close: () => opts.port.close(),
  };
}

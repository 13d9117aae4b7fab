// One client TCP (or TLS) connection to a doozerd: framing, tag allocation,
// pipelining. Requests are written at once; responses are matched to their
// request by tag, in whatever order the server sends them (a WAIT may be
// answered minutes after later GETs). Losing the connection rejects every
// pending request with a ConnectionError.
import net from 'node:net';
import tls from 'node:tls';
import { decodeResponse, encodeRequestFrame, errName, verbName } from '../wire/client-codec.js';
import type { Request, Response } from '../wire/client-codec.js';
import { FrameError, FrameReader } from '../wire/framing.js';
import { DoozerError } from '../wire/errors.js';
import { explainError, type FailedRequest } from './error-text.js';
import { formatAddress } from './uri.js';
import type { Address } from './uri.js';

/** Largest response frame we accept by default. Bodies are small (a
 * consensus datagram is 3000 bytes) but an old server may hold larger ones. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** What else is known about a failed connection, for explaining it. */
export interface ConnectionErrorInfo {
  /** The connection was (or was being) made over TLS. */
  tls?: boolean;
  /** The server closed the connection without ever sending a byte, soon
   * (within 2 s) after our first request: a TLS server reached without TLS
   * does that, but so does a server refusing a frame, or one stopping. */
  neverAnswered?: boolean;
}

/** The connection could not be made, or was lost, or was closed by us. */
export class ConnectionError extends Error {
  constructor(
    message: string,
    /** `host:port` of the connection. */
    readonly address: string,
    /** Underlying errno code (ECONNREFUSED, ETIMEDOUT, ...), when there is one. */
    readonly errno?: string,
    readonly info: ConnectionErrorInfo = {},
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/**
 * A request got no answer within its timeout (ConnectOptions.requestTimeoutMs
 * or RequestOptions.timeoutMs). The connection stays open; the request's tag
 * stays reserved in case the answer comes later (it is then dropped).
 */
export class RequestTimeoutError extends ConnectionError {
  constructor(
    address: string,
    /** The request, e.g. "GET /x". */
    readonly what: string,
    /** The timeout that expired, in ms. */
    readonly timeoutMs: number,
    info: ConnectionErrorInfo = {},
  ) {
    super(`no answer from ${address} to ${what} within ${formatMs(timeoutMs)}`, address, 'ETIMEDOUT', info);
    this.name = 'RequestTimeoutError';
  }
}

/** 1500 -> "1.5s", 250 -> "250ms". */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(3)}s` : `${+ms.toFixed(3)}ms`;
}

/** A pending request abandoned through its AbortSignal. */
export class AbortedError extends Error {
  constructor(message = 'request aborted') {
    super(message);
    this.name = 'AbortError';
  }
}

export interface ConnectOptions {
  /** Use TLS; an object is passed to tls.connect (ca, servername, rejectUnauthorized...). */
  tls?: boolean | tls.ConnectionOptions;
  /** Give up connecting (TCP and TLS handshake) after this many ms (default 5000). */
  connectTimeoutMs?: number;
  /** Reject a request with RequestTimeoutError when no answer comes within
   * this many ms (default: none; a request may override it). Client.wait is
   * exempt unless given its own timeout. */
  requestTimeoutMs?: number;
  /** Close the connection if a response frame is larger (default 16 MiB). */
  maxResponseBytes?: number;
  /**
   * Source IP address to connect from (a node dials its peers from its -l
   * address, so that peers and firewalls see who it is). Used only where it
   * can work (see sourceAddressFor); otherwise the kernel chooses.
   */
  localAddress?: string;
}

/**
 * The source address to bind for a connection to `host`, or undefined to let
 * the kernel choose: `local` must be a specific IP literal (not 0.0.0.0 or ::)
 * of the same family as `host` (also an IP literal), and a loopback source is
 * used only towards a loopback destination (a 127/8 source cannot reach
 * another machine).
 */
export function sourceAddressFor(local: string | undefined, host: string): string | undefined {
  if (!local) return undefined;
  const lf = net.isIP(local);
  if (lf === 0 || lf !== net.isIP(host)) return undefined;
  if (local === '0.0.0.0' || /^[0:]+$/.test(local)) return undefined; // unspecified
  const loop = (a: string): boolean => a.startsWith('127.') || a === '::1';
  if (loop(local) && !loop(host)) return undefined;
  return local;
}

export interface RequestOptions {
  /** Abandon the request: its promise rejects with AbortedError. The server
   * may still answer later; that answer is dropped and its tag is only
   * reused afterwards. */
  signal?: AbortSignal;
  /** Timeout for this request in ms; 0 = none; default: the connection's requestTimeoutMs. */
  timeoutMs?: number;
}

interface Pending {
  /** The request (without its tag), for error messages. */
  req: Omit<Request, 'tag'>;
  resolve(r: Response): void;
  reject(e: Error): void;
  /** Set once the caller gave up on this request; the tag stays reserved. */
  abandoned: boolean;
  cleanup?: () => void;
}

const MAX_TAG = 0x7fffffff; // tag is int32; we use non-negative tags only.

function describe(req: Request): string {
  const verb = req.verb === undefined ? 'request' : (verbName(req.verb) ?? `verb ${req.verb}`);
  return req.path === undefined ? verb : `${verb} ${req.path}`;
}

/**
 * Maps an error response to a DoozerError with the protocol's code name.
 * With the request and the node's address, the message also says what the
 * request was about and what to do (src/client/error-text.ts).
 */
export function responseError(r: Response, req?: Omit<Request, 'tag'>, address?: string): DoozerError {
  const code = r.errCode!;
  const name = errName(code);
  if (name === undefined) {
    return new DoozerError('OTHER', `unknown error code ${code}${r.errDetail ? `: ${r.errDetail}` : ''}`);
  }
  if (!req) return new DoozerError(name, r.errDetail);
  const verb = req.verb === undefined ? 'request' : (verbName(req.verb) ?? `verb ${req.verb}`);
  const failed: FailedRequest = { verb, address: address ?? '?' };
  if (req.path !== undefined) failed.path = req.path;
  if (req.rev !== undefined) failed.rev = req.rev;
  if (req.offset !== undefined) failed.offset = req.offset;
  return new DoozerError(name, r.errDetail, {
    ...(req.path !== undefined ? { path: req.path } : {}),
    message: `${name}: ${explainError(name, failed, r.errDetail)}`,
  });
}

export class Connection {
  readonly address: string;
  private readonly pending = new Map<number, Pending>();
  /** The socket is corked until the end of this turn (write). */
  private corked = false;
  private readonly reader: FrameReader;
  private nextTag = 0;
  private closedError: ConnectionError | undefined;
  private readonly requestTimeoutMs: number;
  private readonly tls: boolean;
  private received = 0;
  private firstSentAt: number | undefined;

  /** Wraps an already-connected socket. Prefer Connection.connect. */
  constructor(
    private readonly socket: net.Socket,
    address: string,
    opts: { maxResponseBytes?: number; requestTimeoutMs?: number; tls?: unknown } = {},
  ) {
    this.address = address;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 0;
    this.tls = Boolean(opts.tls);
    this.reader = new FrameReader(opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.fail(
        new ConnectionError(`connection to ${this.address} failed: ${err.message}`, this.address, err.code, this.info()),
      );
    });
    socket.on('close', () => {
      this.fail(new ConnectionError(`connection to ${this.address} closed by the server`, this.address, undefined, this.info()));
    });
  }

  /** Opens a connection. Rejects with ConnectionError (errno set) on failure. */
  static connect(addr: Address, opts: ConnectOptions = {}): Promise<Connection> {
    const address = formatAddress(addr);
    const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const localAddress = sourceAddressFor(opts.localAddress, addr.host);
    return new Promise<Connection>((resolve, reject) => {
      let socket: net.Socket;
      const readyEvent = opts.tls ? 'secureConnect' : 'connect';
      if (opts.tls) {
        const tlsOpts: tls.ConnectionOptions = typeof opts.tls === 'object' ? { ...opts.tls } : {};
        tlsOpts.host = addr.host;
        tlsOpts.port = addr.port;
        if (tlsOpts.servername === undefined && net.isIP(addr.host) === 0) tlsOpts.servername = addr.host;
        if (localAddress) Object.assign(tlsOpts, { localAddress }); // passed on to net.connect
        socket = tls.connect(tlsOpts);
      } else {
        socket = net.connect({ host: addr.host, port: addr.port, ...(localAddress ? { localAddress } : {}) });
      }
      const timer = setTimeout(() => {
        socket.destroy();
        const step = opts.tls ? ' (TCP connect and TLS handshake)' : '';
        reject(
          new ConnectionError(`cannot connect to ${address}: timed out after ${formatMs(timeoutMs)}${step}`, address, 'ETIMEDOUT', {
            tls: Boolean(opts.tls),
          }),
        );
      }, timeoutMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        socket.destroy();
        const reason = err.code === 'ECONNREFUSED' ? 'connection refused' : err.message;
        reject(new ConnectionError(`cannot connect to ${address}: ${reason}`, address, err.code, { tls: Boolean(opts.tls) }));
      };
      socket.once('error', onError);
      socket.once(readyEvent, () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new Connection(socket, address, opts));
      });
    });
  }

  private info(): ConnectionErrorInfo {
    const soon = this.firstSentAt !== undefined && Date.now() - this.firstSentAt < 2000;
    return { tls: this.tls, neverAnswered: soon && this.received === 0 };
  }

  /** Bytes received from the server so far. */
  get bytesReceived(): number {
    return this.received;
  }

  /** Number of requests sent and not yet answered (abandoned ones included). */
  get inFlight(): number {
    return this.pending.size;
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /**
   * Sends one request (the tag is chosen here) and resolves with the raw
   * response, error responses included. Rejects only with ConnectionError
   * or AbortedError.
   */
  send(req: Omit<Request, 'tag'>, opts: RequestOptions = {}): Promise<Response> {
    if (this.closedError) return Promise.reject(this.closedError);
    const signal = opts.signal;
    if (signal?.aborted) return Promise.reject(new AbortedError(`${describe(req)} aborted`));
    const tag = this.allocTag();
    const what = describe(req);
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<Response>((resolve, reject) => {
      const p: Pending = { req, resolve, reject, abandoned: false };
      const cleanups: Array<() => void> = [];
      if (signal) {
        const onAbort = (): void => {
          if (p.abandoned) return;
          p.abandoned = true;
          p.cleanup?.();
          reject(new AbortedError(`${what} aborted`));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => signal.removeEventListener('abort', onAbort));
      }
      if (timeoutMs > 0) {
        const timer = setTimeout(() => {
          if (p.abandoned) return;
          p.abandoned = true;
          p.cleanup?.();
          reject(new RequestTimeoutError(this.address, what, timeoutMs, this.info()));
        }, timeoutMs);
        cleanups.push(() => clearTimeout(timer));
      }
      if (cleanups.length) p.cleanup = () => cleanups.forEach((f) => f());
      this.pending.set(tag, p);
      this.firstSentAt ??= Date.now();
      this.write(encodeRequestFrame(req, tag));
    });
  }

  /**
   * Sends one request without a promise (a watch's WAITs: one per event, so
   * the promise layers of send() would be most of a watcher's cost).
   * `onAnswer` gets the raw response (error responses included);
   * `onError` a ConnectionError once the connection is lost or closed. No
   * timeout, no AbortSignal. Returns false (and calls neither) when the
   * connection is already closed; then `closedError` says why.
   */
  submit(req: Omit<Request, 'tag'>, onAnswer: (r: Response) => void, onError: (e: ConnectionError) => void): boolean {
    if (this.closedError) return false;
    const tag = this.allocTag();
    this.pending.set(tag, { req, resolve: onAnswer, reject: onError as (e: Error) => void, abandoned: false });
    this.firstSentAt ??= Date.now();
    this.write(encodeRequestFrame(req, tag));
    return true;
  }

  /** Why the connection is closed (undefined while it is open). */
  get closedReason(): ConnectionError | undefined {
    return this.closedError;
  }

  /**
   * Writes one frame. Frames written in one turn (a watch refilling its
   * WAITs, a pipelined batch) leave in one write: the socket is corked until
   * the turn's promise callbacks have run.
   */
  private write(buf: Uint8Array): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(buf);
  }

  /** Like send, but an error response rejects with DoozerError. */
  async call(req: Omit<Request, 'tag'>, opts: RequestOptions = {}): Promise<Response> {
    const r = await this.send(req, opts);
    if (r.errCode !== undefined) throw responseError(r, req, this.address);
    return r;
  }

  /** Closes the connection; pending requests reject with ConnectionError. */
  close(): Promise<void> {
    if (!this.closedError) {
      this.fail(new ConnectionError(`connection to ${this.address} was closed by the client`, this.address));
    }
    if (this.socket.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  private allocTag(): number {
    // Tags in use (including abandoned requests the server may still answer)
    // are skipped, so the server never sees TAG_IN_USE from us.
    for (;;) {
      const t = this.nextTag;
      this.nextTag = t >= MAX_TAG ? 0 : t + 1;
      if (!this.pending.has(t)) return t;
    }
  }

  private onData(chunk: Buffer): void {
    this.received += chunk.length;
    let frames: Buffer[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      const msg = e instanceof FrameError ? e.message : String(e);
      this.fail(new ConnectionError(`protocol error from ${this.address}: ${msg}`, this.address, 'EPROTO', this.info()));
      return;
    }
    for (const f of frames) {
      let r: Response;
      try {
        r = decodeResponse(f);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        this.fail(
          new ConnectionError(`protocol error from ${this.address}: undecodable response (${msg})`, this.address, 'EPROTO'),
        );
        return;
      }
      if (r.tag === undefined) continue; // Nothing to match it to.
      const p = this.pending.get(r.tag);
      if (!p) continue; // Not ours (or already failed): drop it.
      this.pending.delete(r.tag);
      p.cleanup?.();
      if (!p.abandoned) p.resolve(r);
    }
  }

  private fail(err: ConnectionError): void {
    if (this.closedError) return;
    this.closedError = err;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      p.cleanup?.();
      if (p.abandoned) continue;
      p.abandoned = true;
      const e = new ConnectionError(`${err.message} (while waiting for ${describe(p.req)})`, err.address, err.errno, err.info);
      p.reject(e);
    }
    this.socket.destroy();
  }
}

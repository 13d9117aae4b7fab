// The web view's HTTP server (-w): the live tree pages, /metrics, the
// page's own script and style, and routes other parts of the node add.
//
//   GET /  and any path ending in '/'   the tree under that path (src/net/http/page.ts)
//   GET /<file path>                    that file's body as text/plain (binary: octet-stream)
//   GET /<dir path>                     redirect to /<dir path>/
//   WS  /$events/<path>/                live stream for a tree page (events.ts)
//   GET /metrics                        Prometheus text (metrics.ts)
//   GET /$web/app.js, /$web/style.css   the page's assets (src/web/assets.ts)
//
// Adding a route (e.g. the mailbox view): the node keeps the WebServer that
// startWebView returned and calls
//
//   web.addRoute('/$actors', (req, res, url) => { res.setHeader(...); res.end(...); });
//   web.addRoute('/$actors.html', handler);
//
// A route matches the URL path exactly, for GET and HEAD, and takes
// precedence over the built-in ones; the handler owns the response (it may be
// async; a throw becomes a 500). Paths starting with '/$' are never store
// paths (a store path component is letters, digits, '.' and '-'), so they are
// the place for such routes.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger } from '../../runtime/log.js';
import type { ActorSystem } from '../../runtime/system.js';
import { isValidPath } from '../../wire/path.js';
import { APP_JS, STYLE_CSS } from './assets.js';
import { LiveEvents } from './events.js';
import { metrics, renderMetrics } from './metrics.js';
import { startMetricsSources } from './metrics-sources.js';
import { StoreMirror } from './mirror.js';
import { renderTreePage } from './page.js';
import { sendBody } from './send.js';
import { filesUnder, treeRows, under } from './view-model.js';
import { shortText } from '../../wire/short-text.js';

const log = logger('web');

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface WebServerOptions {
  /** '' = every interface. */
  host: string;
  port: number;
  system: ActorSystem;
  nodeId: string;
  /** Open client connections, for /metrics. */
  clientConnections?: () => number;
  /** The node's -pulse in ms (default 1000): a CAL whose applied rev is still after 3 of them is shown stale. */
  pulseMs?: number;
}

export interface WebServer {
  /** Where it listens (the real port when 0 was asked). */
  readonly host: string;
  readonly port: number;
  /** Serve `path` (exact match, GET/HEAD) with `handler`; see the top of this file. */
  addRoute(path: string, handler: RouteHandler): void;
  close(): Promise<void>;
}

/** The page's CSP: only our own script and style; no inline script, no other origin. */
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** A raw body: never a document that runs anything. */
const RAW_CSP = "default-src 'none'; sandbox";

const isDirPrefix = (p: string): boolean => p === '/' || (p.endsWith('/') && isValidPath(p.slice(0, -1)));

/**
 * Start the web view for a node, unless it is disabled (`web` undefined, from
 * `-w false`) or a client secret is set: the view would show the whole store
 * to anyone without the secret, so it is not served at all (one warning line).
 */
export async function startWebView(opts: {
  web: { host: string; port: number } | undefined;
  secretSet: boolean;
  system: ActorSystem;
  nodeId: string;
  clientConnections?: () => number;
  pulseMs?: number;
}): Promise<WebServer | undefined> {
  if (!opts.web) return undefined;
  if (opts.secretSet) {
    log.warn(
      'web view not served: a client secret is set (DOOZER_RWSECRET or DOOZER_ROSECRET), and the web view would show the store without it',
    );
    return undefined;
  }
  return startWebServer({ ...opts, host: opts.web.host, port: opts.web.port });
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const routes = new Map<string, RouteHandler>();
  const mirror = new StoreMirror(opts.system);
  const events = new LiveEvents(mirror, opts.nodeId, opts.pulseMs);
  const stopMetrics = startMetricsSources({
    system: opts.system,
    mirror,
    webClients: () => events.count,
    ...(opts.clientConnections ? { clientConnections: opts.clientConnections } : {}),
  });

  const count = (res: ServerResponse, route: string): void => {
    res.once('finish', () => metrics.httpRequests.inc({ route, status: String(res.statusCode) }));
  };

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void =>
    sendBody(res, status, type, body, 'no-cache', headers);
  const text = (res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void =>
    send(res, status, 'text/plain; charset=utf-8', `${body}\n`, { 'Content-Security-Policy': RAW_CSP, ...headers });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://doozerd.invalid');
    } catch {
      count(res, 'bad');
      return text(res, 400, 'bad request');
    }
    const path = url.pathname;
    const custom = routes.get(path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      count(res, custom ? path : 'other');
      return text(res, 405, 'only GET and HEAD here', { Allow: 'GET, HEAD' });
    }
    if (custom) {
      count(res, path);
      return custom(req, res, url);
    }
    switch (path) {
      case '/metrics': {
        count(res, 'metrics');
        const m = await renderMetrics();
        return send(res, 200, m.contentType, m.body);
      }
      case '/$web/app.js':
        count(res, 'asset');
        return send(res, 200, 'text/javascript; charset=utf-8', APP_JS);
      case '/$web/style.css':
        count(res, 'asset');
        return send(res, 200, 'text/css; charset=utf-8', STYLE_CSS);
      case '/favicon.ico':
        count(res, 'asset');
        res.writeHead(204).end();
        return;
    }
    if (path.startsWith('/$')) {
      count(res, 'other');
      return text(res, 404, `no such page: ${shortText(path)}`);
    }
    if (path.endsWith('/')) {
      count(res, 'tree');
      if (!isDirPrefix(path)) return text(res, 400, `bad path: ${shortText(path)}`);
      const html = renderTreePage({
        prefix: path,
        rev: mirror.ready ? mirror.rev : undefined,
        status: events.currentStatus(),
        rows: treeRows(filesUnder(mirror.files, path), path),
      });
      return send(res, 200, 'text/html; charset=utf-8', html, { 'Content-Security-Policy': PAGE_CSP, 'Referrer-Policy': 'no-referrer' });
    }
    count(res, 'file');
    if (!isValidPath(path)) return text(res, 400, `bad path: ${shortText(path)}`);
    const f = mirror.files.get(path);
    if (f) {
      const body = Buffer.from(f.body.buffer, f.body.byteOffset, f.body.byteLength);
      const isText = !body.includes(0) && Buffer.from(body.toString('utf8'), 'utf8').equals(body);
      return send(res, 200, isText ? 'text/plain; charset=utf-8' : 'application/octet-stream', body, {
        'Content-Security-Policy': RAW_CSP,
        'X-Doozer-Rev': String(f.rev),
      });
    }
    const dir = `${path}/`;
    for (const p of mirror.files.keys()) {
      if (under(p, dir)) {
        res.writeHead(301, { Location: dir, 'Content-Length': '0' }).end();
        return;
      }
    }
    return text(res, 404, `no such file: ${shortText(path)}`);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log.warn(`web view: ${req.method} ${req.url}: ${(e as Error)?.stack ?? String(e)}`);
      if (!res.headersSent) text(res, 500, 'internal error');
      else res.destroy();
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    socket.on('error', () => {});
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://doozerd.invalid');
    } catch {
      return refuse('400 Bad Request');
    }
    const prefix = url.pathname.startsWith('/$events/') ? url.pathname.slice('/$events'.length) : undefined;
    if (prefix === undefined || !isDirPrefix(prefix)) return refuse('404 Not Found');
    // A page of another site must not read the store through the visitor's
    // browser (WebSockets are not bound by the same-origin policy).
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let ok = false;
      try {
        ok = new URL(origin).host === req.headers.host;
      } catch {
        ok = false;
      }
      if (!ok) return refuse('403 Forbidden');
    }
    metrics.httpRequests.inc({ route: 'events', status: '101' });
    events.upgrade(req, socket, head, prefix);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host || undefined, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    events.close();
    stopMetrics();
    const err = e as NodeJS.ErrnoException;
    const where = `${opts.host || '*'}:${opts.port}`;
    if (err.code === 'EADDRINUSE') {
      throw new Error(`web view: cannot listen on ${where}: address in use; pick another with -w, or turn the web view off with -w false`);
    }
    throw new Error(`web view: cannot listen on ${where}: ${err.message}`);
  }
  server.on('error', (e) => log.error(`web view: ${e.message}`));
  mirror.start();

  const bound = server.address() as AddressInfo;
  log.info(`web view on http://${opts.host || '*'}:${bound.port}/`);

  return {
    host: opts.host,
    port: bound.port,
    addRoute(path, handler) {
      routes.set(path, handler);
    },
    close: () =>
      new Promise<void>((resolve) => {
        events.close();
        mirror.stop();
        stopMetrics();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

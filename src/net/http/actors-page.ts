// The actor debug endpoint: /$actors (JSON) and /$actors.html (a page that
// refreshes itself), served on the web port (WebServer.addRoute) and, with
// -debug ADDR, by a server of their own that serves nothing else.
//
// GET /$actors?peek=N   {"time", "placement", "threads", "workers", "supervisors": [SupervisorInfo...],
//                       "actors": [ActorStats...]}, actors sorted by thread then name, each
//                       with its supervisor; peek (0-50, default 5) is how many queued
//                       messages to summarise per actor.
// GET /$actors.html     the same as a table, updated every second.
//
// Summaries come from runtime/message.ts `summarize`: message types, numbers
// and paths only; bodies and secrets never leave the process.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { logger } from '../../runtime/log.js';
import type { ActorStats } from '../../runtime/stats.js';
import type { ActorSystem } from '../../runtime/system.js';
import type { SupervisorInfo } from '../../runtime/supervisor.js';
import { renderMetrics } from './metrics.js';
import { sendBody } from './send.js';

const log = logger('debug');

export const ACTORS_JSON_PATH = '/$actors';
export const ACTORS_HTML_PATH = '/$actors.html';
export const METRICS_PATH = '/metrics';
const DEFAULT_PEEK = 5;
const MAX_PEEK = 50;
const REFRESH_MS = 1000;

export interface ActorsSource {
  system: ActorSystem;
  /** Worker thread names (besides "main"). */
  threads?: () => string[];
  /** Per worker thread: deaths and data-plane traffic. */
  threadStats?: () => object[];
  /** The placement in use, described (placement.ts describePlacement), e.g. "auto, every actor on the main thread (2 cores < 4)". */
  placement?: string;
}

export interface ActorsReport {
  time: string;
  /** Which placement runs and why (absent if the source does not say). */
  placement?: string;
  threads: string[];
  /** Per worker thread: state, deaths, batches and entries each way. */
  workers?: object[];
  /** The supervision tree, parents before children (docs/runtime.md "Supervision"). */
  supervisors?: SupervisorInfo[];
  actors: ActorStats[];
}

export async function actorsReport(src: ActorsSource, peek = DEFAULT_PEEK): Promise<ActorsReport> {
  const actors = [...(await src.system.stats(peek))];
  actors.sort((a, b) => (a.thread === b.thread ? a.name.localeCompare(b.name) : threadOrder(a.thread) - threadOrder(b.thread) || a.thread.localeCompare(b.thread)));
  const threads = ['main', ...(src.threads?.() ?? [])];
  for (const a of actors) if (!threads.includes(a.thread)) threads.push(a.thread);
  const workers = src.threadStats?.();
  const supervisors = src.system.supervisors?.();
  return { time: new Date().toISOString(), ...(src.placement !== undefined ? { placement: src.placement } : {}), threads, ...(workers ? { workers } : {}), ...(supervisors ? { supervisors } : {}), actors };
}

const threadOrder = (t: string): number => (t === 'main' ? 0 : t.startsWith('pool-') ? 2 : 1);

function peekParam(url: URL): number {
  const v = url.searchParams.get('peek');
  if (v === null) return DEFAULT_PEEK;
  const n = Number(v);
  return Number.isInteger(n) ? Math.max(0, Math.min(MAX_PEEK, n)) : DEFAULT_PEEK;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const COLUMNS = ['name', 'kind', 'thread', 'depth', 'high-water', 'processed', 'per s', 'restarts', 'last error', 'queued (first few)', 'age', 'supervisor'];
const SUPERVISOR_COLUMNS = ['supervisor', 'strategy', 'intensity', 'parent', 'children (in order)', 'restarts'];

/** A supervisor's cells: also in SCRIPT below. */
function supervisorRow(s: SupervisorInfo): string[] {
  return [s.name, s.strategy, `${s.intensity} / ${s.periodMs / 1000} s`, s.parent ?? '(top: gives up to the node)', s.children.join(', '), `${s.restarts} (${s.recent} in period)`];
}

/** Age of an actor instance for people: 42s, 3m, 5h, 2d. Also in SCRIPT below. */
function age(ms: number | undefined): string {
  if (ms === undefined) return '';
  const s = Math.floor(ms / 1000);
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : s < 172800 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
}
const WORKER_COLUMNS = ['thread', 'state', 'actors', 'deaths', 'batches out', 'entries out', 'batches in', 'entries in'];
/** The worker table's only row when every actor runs on the main thread. */
const NO_WORKERS = 'none: every actor runs on the main thread (see -placement)';

function row(a: ActorStats): string[] {
  return [
    a.name,
    a.kind,
    a.thread,
    String(a.depth),
    String(a.maxDepth),
    String(a.processed),
    String(a.rate ?? 0),
    String(a.restarts),
    a.lastError ?? (a.state ? `(${a.state})` : ''),
    a.peek.join(' | '),
    age(a.ageMs),
    a.supervisor ?? '',
  ];
}

// The page's script: fetch the JSON every second and redraw the table. Inline,
// allowed by its hash in the page's Content-Security-Policy.
const SCRIPT = `
(function () {
  var cols = ${JSON.stringify(COLUMNS)};
  function age(ms) {
    if (ms === undefined) return '';
    var s = Math.floor(ms / 1000);
    return s < 120 ? s + 's' : s < 7200 ? Math.floor(s / 60) + 'm' : s < 172800 ? Math.floor(s / 3600) + 'h' : Math.floor(s / 86400) + 'd';
  }
  function cells(a) {
    return [a.name, a.kind, a.thread, String(a.depth), String(a.maxDepth), String(a.processed), String(a.rate || 0),
      String(a.restarts), a.lastError || (a.state ? '(' + a.state + ')' : ''), a.peek.join(' | '), age(a.ageMs), a.supervisor || ''];
  }
  function supCells(s) {
    return [s.name, s.strategy, s.intensity + ' / ' + (s.periodMs / 1000) + ' s', s.parent || '(top: gives up to the node)',
      s.children.join(', '), s.restarts + ' (' + s.recent + ' in period)'];
  }
  function draw(r) {
    var body = document.getElementById('rows');
    var out = document.createDocumentFragment();
    r.actors.forEach(function (a) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-actor', a.name);
      tr.setAttribute('data-thread', a.thread);
      if (a.lastError) tr.className = 'err';
      cells(a).forEach(function (c, i) {
        var td = document.createElement('td');
        td.className = 'c' + i;
        td.textContent = c;
        tr.appendChild(td);
      });
      out.appendChild(tr);
    });
    body.replaceChildren(out);
    document.getElementById('threads').textContent = r.threads.join(', ');
    var wb = document.getElementById('workers');
    var wout = document.createDocumentFragment();
    if (!(r.workers || []).length) {
      var none = document.createElement('tr');
      var ntd = document.createElement('td');
      ntd.colSpan = ${WORKER_COLUMNS.length};
      ntd.className = 'none';
      ntd.textContent = ${JSON.stringify(NO_WORKERS)};
      none.appendChild(ntd);
      wout.appendChild(none);
    }
    (r.workers || []).forEach(function (w) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-thread', w.name);
      [w.name, w.state, String(w.actors), String(w.deaths), String(w.batchesOut), String(w.entriesOut), String(w.batchesIn), String(w.entriesIn)].forEach(function (c) {
        var td = document.createElement('td');
        td.textContent = c;
        tr.appendChild(td);
      });
      wout.appendChild(tr);
    });
    wb.replaceChildren(wout);
    var sb = document.getElementById('supervisors');
    var sout = document.createDocumentFragment();
    (r.supervisors || []).forEach(function (s) {
      var tr = document.createElement('tr');
      tr.setAttribute('data-supervisor', s.name);
      supCells(s).forEach(function (c) {
        var td = document.createElement('td');
        td.textContent = c;
        tr.appendChild(td);
      });
      sout.appendChild(tr);
    });
    sb.replaceChildren(sout);
    document.getElementById('count').textContent = String(r.actors.length);
    document.getElementById('updated').textContent = r.time;
    document.getElementById('status').textContent = '';
    document.body.setAttribute('data-updates', String(Number(document.body.getAttribute('data-updates') || '0') + 1));
  }
  function tick() {
    fetch('${ACTORS_JSON_PATH}?peek=3', { cache: 'no-store' })
      .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
      .then(draw)
      .catch(function (e) { document.getElementById('status').textContent = 'not updating: ' + e.message; })
      .then(function () { setTimeout(tick, ${REFRESH_MS}); });
  }
  setTimeout(tick, ${REFRESH_MS});
})();
`;
const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');
const PAGE_CSP = `default-src 'none'; script-src 'sha256-${SCRIPT_HASH}'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const STYLE = `
body { font: 13px/1.4 system-ui, sans-serif; margin: 1em; color: #222; }
h1 { font-size: 1.2em; margin: 0 0 .3em; }
h2 { font-size: 1.05em; margin: 1.2em 0 .2em; }
p { margin: .2em 0; color: #555; }
table { border-collapse: collapse; margin-top: .6em; }
th, td { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: left; vertical-align: top; }
td.c3, td.c4, td.c5, td.c6, td.c7 { text-align: right; font-variant-numeric: tabular-nums; }
td.c9 { font-family: ui-monospace, monospace; font-size: 12px; color: #555; }
tr.err td.c8 { color: #b00; }
#status { color: #b00; }
td.none { color: #777; font-style: italic; }
nav { float: right; }
nav a { margin-left: 1em; }
`;

/** Where the page is served: the web port (links back to the tree) or -debug ADDR (only this page and /metrics). */
export type ActorsPageHost = 'web' | 'debug';

export function renderActorsPage(r: ActorsReport, host: ActorsPageHost = 'web'): string {
  const workers = (r.workers ?? []) as Record<string, unknown>[];
  const workerRows = workers.length
    ? workers
        .map((w) => {
          const cells = [w.name, w.state, w.actors, w.deaths, w.batchesOut, w.entriesOut, w.batchesIn, w.entriesIn].map((c) => `<td>${esc(String(c))}</td>`).join('');
          return `<tr data-thread="${esc(String(w.name))}">${cells}</tr>`;
        })
        .join('\n')
    : `<tr><td colspan="${WORKER_COLUMNS.length}" class="none">${esc(NO_WORKERS)}</td></tr>`;
  const supervisorRows = (r.supervisors ?? [])
    .map((s) => `<tr data-supervisor="${esc(s.name)}">${supervisorRow(s).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('\n');
  const nav = host === 'web' ? '<a href="/" id="tree-link">tree</a><a href="/metrics">metrics</a>' : '<a href="/metrics">metrics</a>';
  const rows = r.actors
    .map((a) => {
      const tds = row(a)
        .map((c, i) => `<td class="c${i}">${esc(c)}</td>`)
        .join('');
      return `<tr data-actor="${esc(a.name)}" data-thread="${esc(a.thread)}"${a.lastError ? ' class="err"' : ''}>${tds}</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>doozerd actors</title>
<style>${STYLE}</style>
</head>
<body data-updates="0">
<nav>${nav}</nav>
<h1>Actors</h1>
${r.placement !== undefined ? `<p>Placement: <span id="placement">${esc(r.placement)}</span></p>\n` : ''}<p>Threads: <span id="threads">${esc(r.threads.join(', '))}</span> · <span id="count">${r.actors.length}</span> actors · updated <span id="updated">${esc(r.time)}</span> (every ${REFRESH_MS / 1000} s) <span id="status"></span></p>
<p>Depth: messages queued now; high-water: the most ever queued; per s: messages handled in the last second. JSON: <a href="${ACTORS_JSON_PATH}">${ACTORS_JSON_PATH}</a></p>
<table>
<thead><tr>${COLUMNS.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead>
<tbody id="rows">
${rows}
</tbody>
</table>
<h2>Supervisors</h2>
<p>one_for_one: a failed child restarts alone; rest_for_one: it restarts with every child after it. More restarts than the intensity within its period and a supervisor fails: its own supervisor restarts it whole; the top one gives up and the node exits.</p>
<table>
<thead><tr>${SUPERVISOR_COLUMNS.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead>
<tbody id="supervisors">
${supervisorRows}
</tbody>
</table>
<h2>Worker threads</h2>
<p>Deaths: times the thread died and was replaced. Batches and entries: messages between it and the main thread, batched per event-loop turn.</p>
<table>
<thead><tr>${WORKER_COLUMNS.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead>
<tbody id="workers">
${workerRows}
</tbody>
</table>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** Live data: never from a cache. */
function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  sendBody(res, status, type, body, 'no-store', headers);
}

/** Handler for GET /$actors. */
export function actorsJsonHandler(src: ActorsSource) {
  return async (_req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const report = await actorsReport(src, peekParam(url));
    send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(report, null, 1)}\n`);
  };
}

/** Handler for GET /$actors.html. */
export function actorsHtmlHandler(src: ActorsSource, host: ActorsPageHost = 'web') {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const report = await actorsReport(src, 3);
    send(res, 200, 'text/html; charset=utf-8', renderActorsPage(report, host), { 'Content-Security-Policy': PAGE_CSP, 'Referrer-Policy': 'no-referrer' });
  };
}

/** Anything with addRoute (the web view's WebServer). */
export interface RouteHost {
  addRoute(path: string, handler: (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>): void;
}

export function addActorRoutes(web: RouteHost, src: ActorsSource): void {
  web.addRoute(ACTORS_JSON_PATH, actorsJsonHandler(src));
  web.addRoute(ACTORS_HTML_PATH, actorsHtmlHandler(src));
}

export interface DebugHooks {
  crashThread(thread: string): Promise<void>;
  crashActor(name: string): boolean;
}

export interface DebugServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The -debug ADDR server: only /$actors, /$actors.html and /metrics (the
 * same Prometheus text as the web view's; still served when a client secret
 * turns the web view off, for scrapers of secured clusters). With `hooks`
 * (DOOZERD_DEBUG_HOOKS=1, for tests) also POST /$actors/crash?thread=NAME or
 * ?actor=NAME, which makes a worker thread die or an actor throw.
 */
export async function startDebugServer(opts: { host: string; port: number; source: ActorsSource; hooks?: DebugHooks }): Promise<DebugServer> {
  const json = actorsJsonHandler(opts.source);
  const html = actorsHtmlHandler(opts.source, 'debug');
  const served = [ACTORS_JSON_PATH, ACTORS_HTML_PATH, METRICS_PATH];
  const server = http.createServer((req, res) => {
    const handle = async (): Promise<void> => {
      const url = new URL(req.url ?? '/', 'http://doozerd.invalid');
      if (opts.hooks && url.pathname === '/$actors/crash' && req.method === 'POST') {
        const thread = url.searchParams.get('thread');
        const actor = url.searchParams.get('actor');
        try {
          if (thread) await opts.hooks.crashThread(thread);
          else if (actor) {
            if (!opts.hooks.crashActor(actor)) throw new Error(`no actor ${actor}`);
          } else throw new Error('say ?thread=NAME or ?actor=NAME');
          return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
        } catch (e) {
          return send(res, 400, 'text/plain; charset=utf-8', `${(e as Error).message}\n`);
        }
      }
      if (!served.includes(url.pathname)) {
        return send(res, 404, 'text/plain; charset=utf-8', `not here: this server serves only ${served.join(', ')}\n`);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return send(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD here\n', { Allow: 'GET, HEAD' });
      }
      if (url.pathname === METRICS_PATH) {
        const m = await renderMetrics();
        return send(res, 200, m.contentType, m.body);
      }
      return url.pathname === ACTORS_JSON_PATH ? json(req, res, url) : html(req, res);
    };
    handle().catch((e: unknown) => {
      log.warn(`${req.method} ${req.url}: ${(e as Error)?.message ?? String(e)}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host || undefined, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: NodeJS.ErrnoException) => {
    const where = `${opts.host || '*'}:${opts.port}`;
    throw new Error(e.code === 'EADDRINUSE' ? `debug server: cannot listen on ${where}: address in use; pick another with -debug` : `debug server: cannot listen on ${where}: ${e.message}`);
  });
  server.on('error', (e) => log.error(`debug server: ${e.message}`));
  const bound = server.address() as AddressInfo;
  log.info(`debug endpoint on http://${opts.host || '*'}:${bound.port}${ACTORS_HTML_PATH}`);
  return {
    host: opts.host,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

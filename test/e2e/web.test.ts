// The web view over real HTTP and WebSocket against a real bin/doozerd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startDoozerd, stopAll } from '../helpers/doozerd-process.js';
import { canConnect, freePort, waitForPort } from '../helpers/ports.js';
import { Client } from '../../src/client/client.js';
import { listeningTcpPorts } from '../helpers/listening.js';
import { ErrCode, Verb } from '../../src/wire/client-codec.js';
import { RawClient } from '../helpers/raw-client.js';
import { nodeId, setFile, startWebNode, type WebNode } from '../browser/web-helpers.js';
import { until } from '../helpers/until.js';

type Msg = { t: string; rev: number; p?: string; b?: { s?: string; x?: string; n?: number }; files?: { p: string; r: number }[]; status?: Record<string, unknown> };

/** A live-stream client that records every message. */
async function openStream(base: string, prefix: string, headers?: Record<string, string>): Promise<{ ws: WebSocket; msgs: Msg[] }> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/$events${prefix}`, { headers });
  const msgs: Msg[] = [];
  ws.on('message', (d) => msgs.push(...(JSON.parse(String(d)) as Msg[])));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, msgs };
}

describe('web view (HTTP)', () => {
  let n: WebNode;
  let id: string;

  beforeAll(async () => {
    n = await startWebNode();
    id = await nodeId(n.port);
    await setFile(n.port, '/web/first', 'hello'); // also waits until the node is writable
  });
  afterAll(async () => {
    await stopAll();
  });

  it('GET / shows the tree with /ctl/cal/0 = this node id, and the status strip', async () => {
    const r = await fetch(`${n.base}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await r.text();
    expect(html).toContain(`<tr class="file" data-key="/ctl/cal/0"><td class="name d2">0</td>`);
    expect(html).toMatch(new RegExp(`data-key="/ctl/cal/0">.*<pre>${id}</pre>`));
    expect(html).toContain(`<code id="node-id">${id}</code>`);
    expect(html).toContain('<span id="role" class="role">CAL</span>');
    expect(html).toContain('<b id="cluster">local</b>');
    expect(html).toContain(`<code>${id}</code> 127.0.0.1:${n.port}`);
    expect(html).toContain('href="/$actors.html"');
    expect(html).toContain('href="/metrics"');
    expect(html).not.toMatch(/<script(?! src="\/\$web\/app\.js" defer>)/); // only our own script
    expect(html).not.toMatch(/https?:\/\//); // nothing from elsewhere
  });

  it('any path ending in / shows the tree under it', async () => {
    const html = await (await fetch(`${n.base}/ctl/node/`)).text();
    expect(html).toContain(`data-key="/ctl/node/${id}/addr"`);
    expect(html).not.toContain('data-key="/ctl/name"');
    expect(html).not.toContain('data-key="/web/first"');
    const empty = await fetch(`${n.base}/nothing/here/`);
    expect(empty.status).toBe(200);
    expect(await empty.text()).toContain('No files under /nothing/here/.');
  });

  it('bodies are text: HTML in a body is escaped; binary bodies are hex with their length', async () => {
    const rev = await setFile(n.port, '/web/xss', '<script>alert(1)</script><img src=x onerror=alert(2)>');
    await setFile(n.port, '/web/bin', Uint8Array.from([0, 1, 0xfe, 0xff]));
    const html = await until('page has the files', async () => {
      const h = await (await fetch(`${n.base}/web/`)).text();
      return h.includes('data-key="/web/bin"') ? h : undefined;
    });
    expect(html).toContain(
      `<td class="rev">${rev}</td><td class="body"><pre>&#60;script&#62;alert(1)&#60;/script&#62;&#60;img src=x onerror=alert(2)&#62;</pre>`,
    );
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).toContain('binary, 4 bytes: </span><code class="hex">00 01 fe ff</code>');
  });

  it('serves a file body as plain text and redirects a directory to its page', async () => {
    const f = await fetch(`${n.base}/ctl/name`);
    expect(f.status).toBe(200);
    expect(f.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(f.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await f.text()).toBe('local');
    const d = await fetch(`${n.base}/ctl`, { redirect: 'manual' });
    expect(d.status).toBe(301);
    expect(d.headers.get('location')).toBe('/ctl/');
    expect((await fetch(`${n.base}/no/such/file`)).status).toBe(404);
    expect((await fetch(`${n.base}/$nope`)).status).toBe(404);
    expect((await fetch(`${n.base}/bad_path/`)).status).toBe(400);
    expect((await fetch(`${n.base}/`, { method: 'POST' })).status).toBe(405);
    const js = await fetch(`${n.base}/$web/app.js`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain("'/$events' + prefix");
  });

  it('/metrics scrapes cleanly in Prometheus text format', async () => {
    const c = await RawClient.connect(n.port); // one open client connection
    try {
      const r = await fetch(`${n.base}/metrics`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await r.text();
      const samples = new Map<string, number>();
      for (const line of text.split('\n')) {
        if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(line);
        expect(m, `bad sample line: ${line}`).not.toBeNull();
        samples.set(m![1]!, Number(m![2]));
      }
      const rev = samples.get('doozerd_store_rev')!;
      expect(rev).toBeGreaterThan(51);
      expect(samples.get('doozerd_store_history_revs')).toBeGreaterThan(0);
      expect(samples.get('doozerd_client_connections')).toBeGreaterThanOrEqual(1);
      expect(samples.has('doozerd_watches')).toBe(true);
      expect(samples.get('doozerd_revs_applied_total')).toBeGreaterThan(0);
      for (const name of ['doozerd_proposals_total', 'doozerd_consensus_rounds_total', 'doozerd_consensus_retries_total', 'doozerd_fills_total']) {
        expect(samples.has(name), name).toBe(true);
      }
      expect(samples.has('doozerd_mailbox_depth{actor="store",kind="store",thread="main"}')).toBe(true);
      expect(samples.has('nodejs_eventloop_lag_seconds')).toBe(true);
      expect(text).toContain('# TYPE doozerd_client_requests_total counter');

      // Requests are counted by verb and error code; consensus reports its counters within a second.
      expect((await c.call({ tag: 1, verb: Verb.SET, path: '/metrics/probe', rev: -1, value: Buffer.from('x') })).errCode).toBeUndefined();
      expect((await c.call({ tag: 2, verb: Verb.GET, path: '/bad path' })).errCode).toBe(ErrCode.BAD_PATH);
      const after = await until('consensus counters reported', async () => {
        const t = await (await fetch(`${n.base}/metrics`)).text();
        return /^doozerd_proposals_total [1-9]/m.test(t) ? t : undefined;
      });
      expect(after).toMatch(/^doozerd_client_requests_total\{verb="SET",code="OK"\} [1-9]/m);
      expect(after).toMatch(/^doozerd_client_requests_total\{verb="GET",code="BAD_PATH"\} 1$/m);
      expect(after).toMatch(/^doozerd_consensus_rounds_total [1-9]/m);
      expect(after).toMatch(/^doozerd_client_connections_accepted_total [1-9]/m);
    } finally {
      c.close();
    }
  });

  it('the live stream: a snapshot at rev r, then every rev from r+1 with no gap', async () => {
    const { ws, msgs } = await openStream(n.base, '/web/');
    try {
      const snap = await until('snapshot', () => msgs.find((m) => m.t === 'snapshot'));
      expect(msgs[0]).toBe(snap);
      expect(snap.files!.map((f) => f.p)).toContain('/web/first');
      expect(snap.files!.every((f) => f.p.startsWith('/web/'))).toBe(true);
      expect((snap.status as { nodeId: string }).nodeId).toBe(id);
      const revs: number[] = [];
      for (let i = 0; i < 5; i++) revs.push(await setFile(n.port, `/web/live/${i}`, `v${i}`));
      await until('all sets streamed', () => (msgs.filter((m) => m.t === 'set').length >= 5 ? true : undefined));
      // Every rev after the snapshot is accounted for, in order: set/del exactly
      // one step on; a rev-only message covers the revs outside /web/.
      let cur = snap.rev;
      for (const m of msgs.slice(1)) {
        if (m.t === 'set' || m.t === 'del') {
          expect(m.rev).toBe(cur + 1);
          cur = m.rev;
        } else if (m.t === 'rev') {
          expect(m.rev).toBeGreaterThan(cur);
          cur = m.rev;
        }
      }
      const sets = msgs.filter((m) => m.t === 'set');
      expect(sets.map((m) => m.rev)).toEqual(revs);
      expect(sets.map((m) => m.p)).toEqual([0, 1, 2, 3, 4].map((i) => `/web/live/${i}`));
      expect(sets[0]!.b).toEqual({ s: 'v0' });
    } finally {
      ws.close();
    }
  });

  it('refuses a live stream opened by a page of another site', async () => {
    const ws = new WebSocket(`${n.base.replace('http', 'ws')}/$events/`, { headers: { Origin: 'http://evil.example' } });
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => resolve(-1));
    });
    ws.terminate();
    expect(status).toBe(403);
    const same = await openStream(n.base, '/', { Origin: n.base });
    same.ws.close();
  });
});

describe('web view off', () => {
  afterAll(async () => {
    await stopAll();
  });

  it('is not served when a secret is set, and the log says why', async () => {
    const webPort = await freePort('127.0.0.1', { udp: false });
    const p = await startDoozerd({ web: `127.0.0.1:${webPort}`, env: { DOOZER_RWSECRET: 'sekrit' } });
    await until('warning logged', () => (p.stderr().includes('web view not served') ? true : undefined));
    expect(p.stderr()).toMatch(/web view not served: a client secret is set/);
    expect(await canConnect(webPort)).toBe(false);
    expect(p.exitStatus()).toBeUndefined();
  });

  it('with a secret, /metrics is still served on -debug ADDR (for scrapers), with live numbers', async () => {
    const webPort = await freePort('127.0.0.1', { udp: false });
    const debugPort = await freePort('127.0.0.1', { udp: false });
    const p = await startDoozerd({ web: `127.0.0.1:${webPort}`, args: ['-debug', `127.0.0.1:${debugPort}`], env: { DOOZER_RWSECRET: 'sekrit' } });
    await waitForPort(debugPort);
    const c = await Client.dial(p.addr, { secret: 'sekrit' });
    const rev = await c.set('/scraped', -1, 'x');
    await c.close();
    const gauge = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const text = await until('/metrics on -debug with the store rev', async () => {
      const res = await fetch(`http://127.0.0.1:${debugPort}/metrics`);
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const t = await res.text();
      return gauge(t, 'doozerd_store_rev') >= rev ? t : undefined;
    });
    expect(text).toMatch(/^doozerd_client_requests_total\{verb="SET",code="OK"\} 1$/m);
    expect(gauge(text, 'doozerd_revs_applied_total')).toBeGreaterThan(0);
    expect(text).toMatch(/^doozerd_mailbox_depth\{actor="store",kind="store",thread="main"\} \d+$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    // The web view itself stays off.
    expect(await canConnect(webPort)).toBe(false);
  });

  it('-w false: no web server', async () => {
    const p = await startDoozerd({ web: false });
    expect(p.exitStatus()).toBeUndefined();
    // Only the start-up line, which says so.
    const line = await until('start-up line', () => p.stderr().split('\n').find((l) => l.startsWith('doozerd: node ')));
    expect(line).toContain('no web view (-w false)');
    expect(p.stderr()).toBe(`${line}\n`);
    // The only TCP port it listens on is the client port (no web view, on 8000 or anywhere).
    expect(listeningTcpPorts(p.pid)).toEqual([p.port]);
    // Control: with a web view, its port shows up the same way.
    const webPort = await freePort('127.0.0.1', { udp: false });
    const q = await startDoozerd({ web: `127.0.0.1:${webPort}` });
    await until('web view listening', () => canConnect(webPort));
    expect(listeningTcpPorts(q.pid)).toEqual([q.port, webPort].sort((a, b) => a - b));
  });
});

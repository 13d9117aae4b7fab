// The live stream behind a tree page: WebSocket at /$events<path>/ (the
// original's address). Each connection gets a snapshot of the files under
// its path from the mirror at rev r, then every change from r+1, batched per
// tick as JSON arrays (message shapes: src/web/assets.ts). The mirror is
// updated synchronously, so nothing can slip between snapshot and stream.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { logger } from '../../runtime/log.js';
import type { StoreEvent } from '../../actors/store/store.js';
import type { StoreMirror } from './mirror.js';
import { affectsStatus, filesUnder, statusView, under, viewBody, type StatusView } from './view-model.js';
import { AppliedFreshness, STALE_PULSES } from './cal-freshness.js';

const log = logger('web');

/** A page that cannot keep up gets closed (it reconnects and starts from a snapshot). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const PING_MS = 20_000;

type Out =
  | { t: 'snapshot'; rev: number; files: ReturnType<typeof filesUnder>; status: StatusView }
  | { t: 'set'; rev: number; p: string; b: ReturnType<typeof viewBody> }
  | { t: 'del'; rev: number; p: string }
  | { t: 'rev'; rev: number }
  | { t: 'status'; status: StatusView };

interface Page {
  ws: WebSocket;
  prefix: string;
  queue: Out[];
  /** Waiting for the mirror's first snapshot. */
  waiting: boolean;
  alive: boolean;
}

export class LiveEvents {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  private readonly pages = new Set<Page>();
  private status: StatusView;
  private statusJson: string;
  private flushScheduled = false;
  private readonly stopListening: () => void;
  private readonly pinger: NodeJS.Timeout;
  private readonly freshness: AppliedFreshness;
  private readonly staleCheck: NodeJS.Timeout;

  /** `pulseMs`: the node's -pulse; a CAL whose applied rev has not moved for STALE_PULSES of them is shown stale. */
  constructor(
    private readonly mirror: StoreMirror,
    private readonly nodeId: string,
    pulseMs = 1000,
  ) {
    this.freshness = new AppliedFreshness(STALE_PULSES * pulseMs);
    this.status = statusView(mirror.files, nodeId, this.freshness);
    this.statusJson = JSON.stringify(this.status);
    this.stopListening = mirror.listen({
      reset: () => {
        this.refreshStatus();
        for (const p of this.pages) this.sendSnapshot(p);
      },
      event: (ev) => this.onEvent(ev),
    });
    this.pinger = setInterval(() => {
      for (const p of this.pages) {
        if (!p.alive) {
          p.ws.terminate();
          continue;
        }
        p.alive = false;
        p.ws.ping();
      }
    }, PING_MS);
    this.pinger.unref();
    // Staleness comes from no events at all, so look again every pulse.
    this.staleCheck = setInterval(() => {
      if (!this.refreshStatus()) return;
      for (const p of this.pages) if (!p.waiting) p.queue.push({ t: 'status', status: this.status });
      this.scheduleFlush();
    }, Math.max(100, pulseMs));
    this.staleCheck.unref();
  }

  get count(): number {
    return this.pages.size;
  }

  currentStatus(): StatusView {
    return this.status;
  }

  /** Take over an HTTP upgrade for `prefix` (a directory path ending in '/'). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, prefix: string): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const page: Page = { ws, prefix, queue: [], waiting: true, alive: true };
      this.pages.add(page);
      ws.on('pong', () => {
        page.alive = true;
      });
      ws.on('message', () => {
        // The page sends nothing; ignore whatever arrives.
      });
      ws.on('close', () => this.pages.delete(page));
      ws.on('error', (e) => log.debug(`web view socket: ${e.message}`));
      if (this.mirror.ready) this.sendSnapshot(page);
    });
  }

  close(): void {
    this.stopListening();
    clearInterval(this.pinger);
    clearInterval(this.staleCheck);
    for (const p of this.pages) p.ws.terminate();
    this.pages.clear();
    this.wss.close();
  }

  private sendSnapshot(p: Page): void {
    p.waiting = false;
    p.queue = [{ t: 'snapshot', rev: this.mirror.rev, files: filesUnder(this.mirror.files, p.prefix), status: this.status }];
    this.scheduleFlush();
  }

  private onEvent(ev: StoreEvent): void {
    const statusChanged = affectsStatus(ev.path) && this.refreshStatus();
    let body: ReturnType<typeof viewBody> | undefined; // computed once, for the pages that show it
    for (const p of this.pages) {
      if (p.waiting) continue;
      let out: Out;
      if (ev.flags === 4 && under(ev.path, p.prefix)) out = { t: 'set', rev: ev.seqn, p: ev.path, b: (body ??= viewBody(ev.body)) };
      else if (ev.flags === 8 && under(ev.path, p.prefix)) out = { t: 'del', rev: ev.seqn, p: ev.path };
      else {
        // Nothing to show but the rev: coalesce with a rev-only message just queued.
        const last = p.queue[p.queue.length - 1];
        if (last?.t === 'rev') last.rev = ev.seqn;
        else p.queue.push({ t: 'rev', rev: ev.seqn });
        if (statusChanged) p.queue.push({ t: 'status', status: this.status });
        continue;
      }
      p.queue.push(out);
      if (statusChanged) p.queue.push({ t: 'status', status: this.status });
    }
    this.scheduleFlush();
  }

  /** Recompute the status strip; true if it changed. */
  private refreshStatus(): boolean {
    const s = statusView(this.mirror.files, this.nodeId, this.freshness);
    const json = JSON.stringify(s);
    if (json === this.statusJson) return false;
    this.status = s;
    this.statusJson = json;
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const p of this.pages) {
        if (!p.queue.length) continue;
        if (p.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
          log.warn('web view: a live page is too slow to keep up; closing it (it will reconnect)');
          p.ws.close(1013, 'too slow');
          p.queue = [];
          continue;
        }
        const batch = p.queue;
        p.queue = [];
        p.ws.send(JSON.stringify(batch));
      }
    });
  }
}

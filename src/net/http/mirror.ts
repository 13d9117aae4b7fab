// The web view's copy of the store: a snapshot at rev r from the store actor,
// then every event from r+1 in order (the store subscribes us in the same
// step, so there is no gap). Live pages are fed from here, so the store
// serves one stream however many browsers are open.
//
// If the stream stops while the store moves on (the store actor restarted
// and forgot its subscribers), the mirror takes a fresh snapshot and tells
// its listeners to start over.
import { logger } from '../../runtime/log.js';
import type { ActorSystem } from '../../runtime/system.js';
import type { Message } from '../../runtime/message.js';
import { STORE, type ReplyMessage, type StoreEventMessage, type StoreSnapshotMessage, type StoreStatsMessage } from '../../actors/store/messages.js';
import type { StoreEvent } from '../../actors/store/store.js';
import type { StoreStats } from './metrics.js';
import { metrics } from './metrics.js';

const log = logger('web');

export interface MirrorFile {
  body: Uint8Array;
  rev: number;
}

export interface MirrorListener {
  /** The mirror has a (new) snapshot: forget everything and start from `files` at `rev`. */
  reset(): void;
  /** One applied event (seqn = mirror rev + 1, already applied to the mirror). */
  event(ev: StoreEvent): void;
}

const CHECK_MS = 2000;
const RETRY_MS = 200;
const STATS_TIMEOUT_MS = 1000;

let generations = 0;

export class StoreMirror {
  readonly files = new Map<string, MirrorFile>();
  rev = 0;
  ready = false;
  private readonly listeners = new Set<MirrorListener>();
  private endpoint: string | undefined;
  private unregister: (() => void) | undefined;
  private tag = 1;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Store rev seen at the last check while we were behind it. */
  private behindAt: number | undefined;
  private waitingChecks = 0;
  private readonly statsWaiters = new Map<number, (s: StoreStats) => void>();

  constructor(private readonly system: ActorSystem) {}

  start(): void {
    this.resync();
    this.timer = setInterval(() => this.check(), CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.detach();
    this.listeners.clear();
  }

  listen(l: MirrorListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Numbers for /metrics, straight from the store actor. */
  storeStats(): Promise<StoreStats | undefined> {
    if (!this.endpoint) return Promise.resolve(undefined);
    const tag = this.tag++;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.statsWaiters.delete(tag);
        resolve(undefined);
      }, STATS_TIMEOUT_MS);
      this.statsWaiters.set(tag, (s) => {
        clearTimeout(t);
        resolve(s);
      });
      if (!this.system.send(STORE, { type: 'store-stats', replyTo: this.endpoint!, tag })) {
        clearTimeout(t);
        this.statsWaiters.delete(tag);
        resolve(undefined);
      }
    });
  }

  private detach(): void {
    if (this.endpoint) this.system.send(STORE, { type: 'unsubscribe', subscriber: this.endpoint });
    this.unregister?.();
    this.unregister = undefined;
    this.endpoint = undefined;
  }

  private resync(): void {
    if (this.stopped) return;
    this.detach();
    this.ready = false;
    this.behindAt = undefined;
    this.waitingChecks = 0;
    const name = `web:mirror:${++generations}`;
    this.endpoint = name;
    this.unregister = this.system.registerEndpoint(name, (msg) => this.receive(name, msg));
    if (!this.system.send(STORE, { type: 'snapshot', replyTo: name, tag: 0, subscribe: true })) {
      setTimeout(() => this.resync(), RETRY_MS).unref();
    }
  }

  private receive(name: string, msg: Message): void {
    if (name !== this.endpoint) return; // an old generation's stray message
    switch (msg.type) {
      case 'store-snapshot': {
        const m = msg as StoreSnapshotMessage;
        this.files.clear();
        for (const f of m.files) this.files.set(f.path, { body: f.body, rev: f.rev });
        this.rev = m.rev;
        this.ready = true;
        for (const l of this.listeners) l.reset();
        return;
      }
      case 'store-event': {
        const ev = (msg as StoreEventMessage).event;
        if (!this.ready || ev.seqn <= this.rev) return;
        if (ev.seqn !== this.rev + 1) {
          log.warn(`web view: event stream skipped from rev ${this.rev} to ${ev.seqn}; taking a new snapshot`);
          this.resync();
          return;
        }
        if (ev.flags === 4) this.files.set(ev.path, { body: ev.body, rev: ev.seqn });
        else if (ev.flags === 8) this.files.delete(ev.path);
        this.rev = ev.seqn;
        metrics.revsApplied.inc();
        for (const l of this.listeners) l.event(ev);
        return;
      }
      case 'store-too-late':
        this.resync();
        return;
      case 'store-stats': {
        const m = msg as StoreStatsMessage;
        const w = this.statsWaiters.get(m.tag);
        this.statsWaiters.delete(m.tag);
        w?.({ rev: m.rev, oldestRev: m.oldestRev, waits: m.waits, subscribers: m.subscribers });
        return;
      }
      case 'reply': {
        // Our periodic REV check: is the store ahead of us, and were we already
        // behind that far at the last check? Then our stream has stopped.
        const rev = (msg as ReplyMessage).response.rev ?? 0;
        if (this.behindAt !== undefined && this.rev < this.behindAt) {
          log.warn(`web view: store is at rev ${rev} but its events stopped at ${this.rev}; taking a new snapshot`);
          this.resync();
          return;
        }
        this.behindAt = rev > this.rev ? rev : undefined;
        return;
      }
    }
  }

  private check(): void {
    if (!this.endpoint) return this.resync();
    if (!this.ready) {
      // No snapshot after two whole intervals: the store may have restarted in between.
      if (++this.waitingChecks >= 2) this.resync();
      return;
    }
    this.system.send(STORE, { type: 'rev', replyTo: this.endpoint, tag: this.tag++ });
  }
}

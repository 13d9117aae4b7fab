// The follower copies a cluster's changes into this node's store over the
// client protocol while the node is not a CAL (a slave, or a CAL before its
// first instance): pipelined `WAIT /**` at rev r+1, r+2, ... from a CAL,
// each answer turned back into a mutation and applied in order. When the CAL
// it follows dies it follows another one. It also carries the requests a
// non-CAL node must make through a CAL (locking a CAL slot).
import { Client } from '../client/client.js';
import type { PeerDial } from './peer-dial.js';
import { DoozerError } from '../wire/errors.js';
import { logger } from '../runtime/log.js';
import type { ActorSystem } from '../runtime/system.js';
import type { Message } from '../runtime/message.js';
import type { Response } from '../wire/client-codec.js';
import { ErrCode, Verb } from '../wire/client-codec.js';
import { mutationFromChange } from '../actors/store/mutation.js';
import { STORE } from '../actors/store/messages.js';
import { copySnapshot } from './attach.js';
import { FOLLOWER, type FollowerMessage } from '../actors/follower-messages.js';

const log = logger('follower');

/** WAITs in flight: enough to keep up with a busy cluster over one connection. */
const PIPELINE = 128;
/**
 * A followed CAL that has sent nothing for this long is asked for its rev
 * (WAITs stay unanswered while the cluster is idle, so silence alone proves
 * nothing); with no answer within PROBE_TIMEOUT_MS the connection is given up
 * and another CAL followed. Without it a connection that died without a word
 * (reset on the CAL's side only, dropped by a firewall, the CAL paused or its
 * machine gone) stalls the follower for good: TCP tells the end that sends
 * nothing nothing.
 */
export const IDLE_PROBE_MS = 2000;
export const PROBE_TIMEOUT_MS = 4000;
/** A fresh copy of a CAL's store (after falling out of its history) that takes longer is given up and started over through another CAL. */
export const RESNAPSHOT_DEADLINE_MS = 60_000;

export interface FollowerOptions {
  system: ActorSystem;
  /** Secret and TLS for dialing CALs (src/node/peer-dial.ts). */
  dial?: PeerDial;
  /** Probe a CAL silent this long, in ms (default IDLE_PROBE_MS). */
  idleProbeMs?: number;
  /** Give up a CAL that does not answer a probe within this many ms (default PROBE_TIMEOUT_MS). */
  probeTimeoutMs?: number;
}

export class Follower {
  private client: Client | undefined;
  private connecting = false;
  private cals: string[] = [];
  private until = Infinity;
  /** Next rev to ask for, and the lowest rev not yet received. */
  private nextAsk = 1;
  private nextNeeded = 1;
  private readonly received = new Set<number>();
  private active = false;
  private closed = false;
  private calIndex = 0;
  private readonly unregister: () => void;
  /** When the current connection last answered anything (ms), and whether a probe is out. */
  private lastHeard = 0;
  private probing = false;
  private readonly probeTimer: ReturnType<typeof setInterval>;

  constructor(private readonly opts: FollowerOptions) {
    this.unregister = opts.system.registerEndpoint(FOLLOWER, (m) => this.onMessage(m));
    const idle = opts.idleProbeMs ?? IDLE_PROBE_MS;
    this.probeTimer = setInterval(() => this.probe(opts.probeTimeoutMs ?? PROBE_TIMEOUT_MS), Math.max(50, Math.floor(idle / 2)));
    this.probeTimer.unref();
    this.idleMs = idle;
  }

  private readonly idleMs: number;

  close(): void {
    this.closed = true;
    clearInterval(this.probeTimer);
    this.unregister();
    void this.client?.close();
  }

  /** Asks a connection that has been silent past idleMs for its rev; gives it up when that goes unanswered. */
  private probe(timeoutMs: number): void {
    const c = this.client;
    if (!c || this.probing || this.closed || Date.now() - this.lastHeard < this.idleMs) return;
    this.probing = true;
    c.request({ verb: Verb.REV }, { timeoutMs }).then(
      () => {
        if (this.client === c) this.lastHeard = Date.now();
      },
      (e: Error) => {
        if (!(e instanceof DoozerError)) this.lost(c, `silent for ${this.idleMs} ms, and the probe failed: ${e.message}`);
        else if (this.client === c) this.lastHeard = Date.now(); // it answered, with an error
      },
    ).finally(() => {
      this.probing = false;
    });
  }

  private onMessage(msg: Message): void {
    const m = msg as FollowerMessage;
    switch (m.type) {
      case 'follow':
        this.cals = m.cals;
        this.until = m.until;
        this.nextAsk = this.nextNeeded = m.fromRev + 1;
        this.received.clear();
        this.active = true;
        this.ensureConnected();
        this.pump();
        return;
      case 'follow-cals':
        this.cals = m.cals;
        return;
      case 'follow-until':
        this.until = m.until;
        this.pump();
        return;
      case 'upstream-call':
        void this.call(m);
        return;
    }
  }

  private async call(m: Extract<FollowerMessage, { type: 'upstream-call' }>): Promise<void> {
    let response: Response;
    try {
      const c = await this.connected();
      const r = await c.request(m.req).catch((e: unknown) => {
        // The node we follow is no CAL now (removed, say): follow another,
        // so that the retry of this request reaches one.
        if (e instanceof DoozerError && e.code === 'READONLY') this.lost(c, 'it is no longer a CAL');
        throw e;
      });
      if (this.client === c) this.lastHeard = Date.now();
      response = { ...r, tag: m.tag };
    } catch (e) {
      response = e instanceof DoozerError
        ? { tag: m.tag, errCode: ErrCode[e.code], ...(e.detail ? { errDetail: e.detail } : {}) }
        : { tag: m.tag, errCode: ErrCode.OTHER, errDetail: (e as Error).message };
    }
    this.opts.system.send(m.replyTo, { type: 'reply', tag: m.tag, response });
  }

  private async connected(): Promise<Client> {
    for (let i = 0; i < 100 && !this.closed; i++) {
      if (this.client) return this.client;
      this.ensureConnected();
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('no CAL reachable to forward the request to');
  }

  private ensureConnected(): void {
    if (this.client || this.connecting || this.closed || this.cals.length === 0) return;
    this.connecting = true;
    const addr = this.cals[this.calIndex++ % this.cals.length]!;
    Client.dial(addr, { connectTimeoutMs: 1000, ...this.opts.dial })
      .then((c) => {
        this.connecting = false;
        if (this.closed) return void c.close();
        log.info(`following ${addr} from rev ${this.nextNeeded}`);
        this.client = c;
        this.lastHeard = Date.now();
        // Re-ask everything not yet received on the new connection.
        this.nextAsk = this.nextNeeded;
        this.pump();
      })
      .catch((e: Error) => {
        this.connecting = false;
        log.debug(`cannot follow ${addr}: ${e.message}`);
        setTimeout(() => this.ensureConnected(), 100);
      });
  }

  private lost(c: Client, why: string): void {
    if (this.client !== c || this.closed) return;
    log.warn(`lost the CAL I follow (${c.address}): ${why}; following another`);
    this.client = undefined;
    void c.close();
    this.ensureConnected();
  }

  private pump(): void {
    const c = this.client;
    if (!c || !this.active) return;
    while (this.nextAsk < this.until && this.nextAsk < this.nextNeeded + PIPELINE) {
      const rev = this.nextAsk++;
      c.wait('/**', rev).then(
        (ev) => this.onChange(ev.rev, ev.path, ev.flags, ev.value),
        (e: Error) => {
          if (e instanceof DoozerError && e.code === 'TOO_LATE') void this.resnapshot(c);
          else this.lost(c, e.message);
        },
      );
    }
  }

  private onChange(rev: number, path: string, flags: number, value: Uint8Array): void {
    this.lastHeard = Date.now();
    // Never past `until`: from there on this node's own consensus decides (see the slave-watcher's followLimit).
    if (rev < this.nextNeeded || rev >= this.until || this.received.has(rev)) return;
    this.opts.system.send(STORE, { type: 'apply', seqn: rev, mutation: mutationFromChange(path, flags, value) });
    this.received.add(rev);
    while (this.received.delete(this.nextNeeded)) this.nextNeeded++;
    this.pump();
  }

  /** We fell behind the CAL's history: copy its store again. */
  private async resnapshot(c: Client): Promise<void> {
    if (this.client !== c) return;
    this.client = undefined; // stop using this connection's stale WAITs
    // A CAL that goes silent mid-copy would hold the copy (and this follower) forever:
    // closing the connection fails its pending WALKs, and we start over elsewhere.
    const deadline = setTimeout(() => void c.close(), RESNAPSHOT_DEADLINE_MS);
    try {
      const snapshot = await copySnapshot(c);
      log.warn(`fell behind the history of ${c.address}: loaded a fresh snapshot at rev ${snapshot.rev}`);
      this.opts.system.send(STORE, { type: 'load-snapshot', snapshot });
      this.nextAsk = this.nextNeeded = snapshot.rev + 1;
      this.received.clear();
    } catch (e) {
      log.warn(`re-snapshot from ${c.address} failed: ${(e as Error).message}`);
    } finally {
      clearTimeout(deadline);
    }
    void c.close();
    this.ensureConnected();
  }
}

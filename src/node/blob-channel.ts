// The blob service (docs/protocol.md "Large values"): in a cluster whose CALs
// all list `blobs` in /ctl/node/<id>/features, a SET too large for one
// consensus datagram (up to 1 MiB of value) is written like this:
//
//   1. the CAL a client writes through hashes the body (SHA-256), holds it,
//      and pushes it to every other CAL over the client protocol (BLOB_PUT,
//      with the cluster's secret and TLS, like attach and follow);
//   2. once a majority of CALs (itself included) hold the body, it proposes
//      the reference `blob:<digest>:<len>:<rev>:<path>=` (blob-ref.ts), which
//      fits a datagram, through the proposer as any write;
//   3. every node's store replaces a chosen reference by the mutation it
//      stands for before applying that seqn (blob-resolver.ts): the body is
//      here already, or this service fetches it from a CAL by digest
//      (BLOB_GET; answered from the peer's cache, or from its store at that
//      seqn), retrying until it has it; the store applies nothing after that
//      seqn meanwhile.
//
// Slaves copy values over the client protocol (WAIT) as before and never see
// references. A cluster with any original CAL keeps the one-datagram limit,
// with an error naming it. Runs on the main thread (it does network I/O) as
// an endpoint, like the follower.
import { Client } from '../client/client.js';
import type { PeerDial } from './peer-dial.js';
import { logger } from '../runtime/log.js';
import { DoozerError } from '../wire/errors.js';
import type { ActorSystem } from '../runtime/system.js';
import type { Message } from '../runtime/message.js';
import { ErrCode, type Request, type Response } from '../wire/client-codec.js';
import { BLOBS, BlobVerb, type BlobBodyMessage, type BlobServiceMessage } from '../actors/blob-messages.js';
import { STORE, type ReplyMessage, type StoreCalsMessage } from '../actors/store/messages.js';
import { PROPOSER, type ProposedMessage, type ProposeMessage } from '../actors/proposer-messages.js';
import { calListOf, type CtlCal } from '../actors/store/ctl.js';
import { blobDigest, encodeBlobRef, splitSet } from '../actors/store/blob-ref.js';
import { MAX_BIG_VALUE_BYTES, MAX_MUTATION_BYTES } from '../wire/limits.js';
import { BlobCache, type BlobCacheOptions } from './blob-cache.js';
import { BlobDisk } from '../storage/blob-disk.js';
import { sharedDb } from '../storage/database.js';

const log = logger('blobs');

/** How long a write waits for a majority of CALs to hold its body. */
const PUSH_TIMEOUT_MS = 15_000;
/** How long one fetch from one peer may take. */
const FETCH_TIMEOUT_MS = 5_000;
/** How long a peer's fetch waits for this node's store to answer from its history. */
const STORE_READ_TIMEOUT_MS = 2_000;
const SWEEP_MS = 2_000;
const HEX = /^[0-9a-f]{64}$/;
const OVERLOADED = 'node overloaded: retry later';

/** The error of a too-large write in a cluster with a CAL that takes no large values (an original doozerd node). */
export function mixedClusterTooLarge(mutationBytes: number, cal: Pick<CtlCal, 'id' | 'addr' | 'version'>): string {
  return `value too large: the write (rev, path and value) is ${mutationBytes} bytes, over the ${MAX_MUTATION_BYTES}-byte limit ` +
    `of a cluster with original doozerd nodes (CAL ${cal.id} at ${cal.addr} runs ${JSON.stringify(cal.version ?? '')}); ` +
    `values up to ${MAX_BIG_VALUE_BYTES} bytes (1 MiB) need every CAL to run doozerd-ts`;
}

/** The error of a value over 1 MiB. */
export function bigValueTooLarge(bodyBytes: number): string {
  return `value too large: the value is ${bodyBytes} bytes; the limit is ${MAX_BIG_VALUE_BYTES} bytes (1 MiB)`;
}

export interface BlobServiceOptions {
  system: ActorSystem;
  nodeId: string;
  /** Secret and TLS for dialing peers (src/node/peer-dial.ts). */
  dial?: PeerDial;
  cache?: BlobCacheOptions;
  /** -data directory: bodies this node holds are stored there before it says it holds them (src/storage/blob-disk.ts). */
  dataDir?: string;
}

/** Counters for tests and logs. */
export interface BlobStats {
  writes: number;
  pushed: number;
  fetched: number;
  served: number;
}

export class BlobService {
  readonly cache: BlobCache;
  readonly stats: BlobStats = { writes: 0, pushed: 0, fetched: 0, served: 0 };
  /** Open connections to peers, by address. */
  private readonly peers = new Map<string, Promise<Client>>();
  /** Answers this service waits for (store reads, CAL lists, proposer answers), by tag. */
  private readonly waiting = new Map<number, (m: Message) => void>();
  /** Digests being fetched for the store. */
  private readonly fetching = new Set<string>();
  private nextTag = 1;
  private closed = false;
  private readonly unregister: () => void;
  private readonly sweeper: NodeJS.Timeout;

  private readonly disk: BlobDisk | undefined;

  constructor(private readonly opts: BlobServiceOptions) {
    this.disk = opts.dataDir ? new BlobDisk(sharedDb(opts.dataDir, 'ordered')) : undefined;
    this.cache = new BlobCache({ ...opts.cache, ...(this.disk ? { onDrop: (d: string) => this.disk!.drop(d) } : {}) });
    // Bodies held before a restart: a reference this node voted for may still need one.
    const kept = this.disk?.all() ?? [];
    // Checked as any body from the network: a damaged row is dropped, never applied (a peer still has the body).
    for (const b of kept) if (blobDigest(b.body) !== b.digest || !this.cache.put(b.digest, b.body)) this.disk!.drop(b.digest);
    if (kept.length) log.info(`holding ${kept.length} large-value bodies kept in ${opts.dataDir}`);
    this.unregister = opts.system.registerEndpoint(BLOBS, (m) => this.onMessage(m));
    this.sweeper = setInterval(() => this.cache.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unregister();
    clearInterval(this.sweeper);
    const peers = [...this.peers.values()];
    this.peers.clear();
    await Promise.all(peers.map((p) => p.then((c) => c.close(), () => undefined)));
  }

  private onMessage(msg: Message): void {
    switch (msg.type) {
      case 'blob-write':
        void this.write(msg as Extract<BlobServiceMessage, { type: 'blob-write' }>);
        return;
      case 'blob-need':
        void this.need(msg as Extract<BlobServiceMessage, { type: 'blob-need' }>);
        return;
      case 'blob-peer':
        void this.peer(msg as Extract<BlobServiceMessage, { type: 'blob-peer' }>);
        return;
      case 'reply':
      case 'store-cals':
      case 'proposed': {
        const tag = (msg as { tag?: number }).tag;
        const w = tag === undefined ? undefined : this.waiting.get(tag);
        if (w) {
          this.waiting.delete(tag!);
          w(msg);
        }
        return;
      }
      default:
        log.warn(`ignoring unknown message ${msg.type}`);
    }
  }

  /** Sends `build(tag)` to `to`; resolves with the answer carrying that tag, or undefined after `timeoutMs` (0: no limit). */
  private ask<T>(to: string, build: (tag: number) => Message, timeoutMs: number): Promise<T | undefined> {
    const tag = this.nextTag++;
    return new Promise((resolve) => {
      const timer = timeoutMs > 0 ? setTimeout(() => (this.waiting.delete(tag), resolve(undefined)), timeoutMs) : undefined;
      this.waiting.set(tag, (m) => (clearTimeout(timer), resolve(m as T)));
      if (!this.opts.system.send(to, build(tag))) {
        this.waiting.delete(tag);
        clearTimeout(timer);
        resolve(undefined);
      }
    });
  }

  /** The CAL list (spec/consensus.md) as this node's store has it now. */
  private async cals(): Promise<CtlCal[] | undefined> {
    const r = await this.ask<StoreCalsMessage>(STORE, (tag) => ({ type: 'cals', replyTo: BLOBS, tag }), STORE_READ_TIMEOUT_MS);
    return r && calListOf(r.cals);
  }

  /** Holds a body: in the cache, and with -data on disk first. False if it cannot (full cache, failing disk). */
  private hold(digest: string, body: Uint8Array, pin: boolean): boolean {
    if (this.cache.get(digest)) return this.cache.put(digest, body, pin);
    try {
      this.disk?.put(digest, body);
    } catch (e) {
      log.warn(`cannot store a large-value body in ${this.opts.dataDir}: ${(e as Error).message}`);
      return false;
    }
    if (this.cache.put(digest, body, pin)) return true;
    this.disk?.drop(digest);
    return false;
  }

  // --- writes (a client's SET through this node) ---

  private async write(m: Extract<BlobServiceMessage, { type: 'blob-write' }>): Promise<void> {
    const answer = (a: ProposedMessage): void => void this.opts.system.send(m.replyTo, { ...a, tag: m.tag } satisfies ProposedMessage);
    const fail = (text: string): void => answer({ type: 'proposed', tag: m.tag, err: { code: 'OTHER', text } });
    const split = splitSet(m.mutation);
    if (!split) return fail('bad mutation');
    const cals = await this.cals();
    if (!cals) return fail(OVERLOADED);
    const other = cals.find((c) => !c.blobs);
    if (other) return fail(mixedClusterTooLarge(m.mutation.length, other));
    if (split.body.length > MAX_BIG_VALUE_BYTES) return fail(bigValueTooLarge(split.body.length));
    const digest = blobDigest(split.body);
    const ref = encodeBlobRef(digest, split.body.length, split.header);
    if (ref.length > MAX_MUTATION_BYTES) {
      return fail(pathTooLong(split.header, split.body.length, ref.length - split.header.length));
    }
    if (!this.hold(digest, split.body, true)) return fail(`${OVERLOADED} (${this.cache.bytes} bytes of large values in flight, or the -data disk refuses them)`);
    this.stats.writes++;
    try {
      const self = cals.some((c) => c.id === this.opts.nodeId);
      // Not a CAL: the proposer answers READONLY; nothing to push.
      if (self) await this.push(digest, split.body, cals.filter((c) => c.id !== this.opts.nodeId), Math.floor(cals.length / 2));
      const r = await this.ask<ProposedMessage>(PROPOSER, (tag) => ({ type: 'propose', mutation: ref, replyTo: BLOBS, tag } satisfies ProposeMessage), 0);
      if (!r) return fail(OVERLOADED);
      answer(r);
    } catch (e) {
      fail((e as Error).message);
    } finally {
      this.cache.unpin(digest);
    }
  }

  /** Resolves once `need` of `to` hold the body; rejects (naming who failed) when they cannot. Keeps pushing to the rest. */
  private push(digest: string, body: Uint8Array, to: CtlCal[], need: number): Promise<void> {
    if (need <= 0) {
      for (const c of to) void this.call(c.addr, { verb: BlobVerb.BLOB_PUT, path: digest, value: body }, PUSH_TIMEOUT_MS).catch(() => undefined);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      let acks = 0;
      const errors: string[] = [];
      let done = false;
      const finish = (e?: Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (e) reject(e);
        else resolve();
      };
      const failure = (why: string): Error =>
        new Error(`could not copy the value to a majority of CALs (${acks + 1} of ${need + 1} hold it; ${why}): the write was not made; retry`);
      const timer = setTimeout(() => finish(failure(`no answer within ${PUSH_TIMEOUT_MS / 1000} s`)), PUSH_TIMEOUT_MS);
      for (const c of to) {
        this.call(c.addr, { verb: BlobVerb.BLOB_PUT, path: digest, value: body }, PUSH_TIMEOUT_MS).then(
          () => {
            this.stats.pushed++;
            if (++acks >= need) finish();
          },
          (e: Error) => {
            errors.push(`${c.addr}: ${e.message}`);
            if (errors.length > to.length - need) finish(failure(errors.join('; ')));
          },
        );
      }
    });
  }

  // --- the store waits for a body ---

  private async need(m: Extract<BlobServiceMessage, { type: 'blob-need' }>): Promise<void> {
    if (this.fetching.has(m.digest)) return;
    const have = this.cache.get(m.digest);
    if (have) return this.deliver(m.digest, have);
    this.fetching.add(m.digest);
    try {
      let last = '';
      for (let attempt = 1; !this.closed; attempt++) {
        const cals = (await this.cals()) ?? [];
        const peers = cals.filter((c) => c.id !== this.opts.nodeId);
        // Start at a different peer each time round.
        for (let i = 0; i < peers.length && !this.closed; i++) {
          const held = this.cache.get(m.digest); // pushed meanwhile
          if (held) return this.deliver(m.digest, held);
          const p = peers[(i + attempt) % peers.length]!;
          try {
            const r = await this.call(p.addr, { verb: BlobVerb.BLOB_GET, path: m.path, rev: m.seqn, value: Buffer.from(m.digest) }, FETCH_TIMEOUT_MS);
            const body = r.value;
            if (body && body.length === m.len && blobDigest(body) === m.digest) {
              this.stats.fetched++;
              log.info(`seqn ${m.seqn}: fetched the ${m.len}-byte value of ${m.path} (blob ${m.digest.slice(0, 12)}) from ${p.addr}`);
              this.hold(m.digest, body, false);
              return this.deliver(m.digest, body);
            }
            last = `${p.addr}: a body with another digest`;
          } catch (e) {
            last = `${p.addr}: ${(e as Error).message}`;
          }
        }
        const held = this.cache.get(m.digest);
        if (held) return this.deliver(m.digest, held);
        // The store went past that seqn without it (it loaded a snapshot): nothing waits for it any more.
        const at = await this.ask<ReplyMessage>(STORE, (tag) => ({ type: 'rev', replyTo: BLOBS, tag }), STORE_READ_TIMEOUT_MS);
        if (at?.response.rev !== undefined && at.response.rev >= m.seqn) return;
        if (attempt % 10 === 0) {
          log.warn(`seqn ${m.seqn}: still fetching the ${m.len}-byte value of ${m.path} (blob ${m.digest.slice(0, 12)}) from ${peers.length} CALs; last: ${last || 'no CAL to ask'}`);
        }
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * attempt)));
      }
    } finally {
      this.fetching.delete(m.digest);
    }
  }

  private deliver(digest: string, body: Uint8Array): void {
    this.opts.system.send(STORE, { type: 'blob-body', digest, body } satisfies BlobBodyMessage);
    this.cache.delivered(digest);
  }

  // --- requests from peers (BLOB_PUT, BLOB_GET through a client session) ---

  private async peer(m: Extract<BlobServiceMessage, { type: 'blob-peer' }>): Promise<void> {
    const respond = (r: Omit<Response, 'tag'>): void => void this.opts.system.send(m.replyTo, { type: 'reply', tag: m.tag, response: { ...r, tag: m.tag } } satisfies ReplyMessage);
    const req = m.req;
    if (req.verb === BlobVerb.BLOB_PUT) {
      const digest = req.path ?? '';
      const body = req.value ?? new Uint8Array(0);
      if (!HEX.test(digest) || body.length > MAX_BIG_VALUE_BYTES || blobDigest(body) !== digest) {
        return respond({ errCode: ErrCode.OTHER, errDetail: 'blob refused: its SHA-256 is not the digest given (or it is over 1 MiB)' });
      }
      if (!this.hold(digest, body, false)) return respond({ errCode: ErrCode.OTHER, errDetail: `${OVERLOADED} (blob cache full, or the -data disk refuses it)` });
      return respond({});
    }
    const digest = Buffer.from(req.value ?? new Uint8Array(0)).toString('latin1');
    const held = this.cache.get(digest);
    if (held) {
      this.stats.served++;
      return respond({ value: held });
    }
    if (req.rev !== undefined && req.path !== undefined && HEX.test(digest)) {
      // Applied here and still in the history: the value at that seqn.
      const r = await this.ask<ReplyMessage>(STORE, (tag) => ({ type: 'read', op: 'get', path: req.path!, rev: req.rev!, replyTo: BLOBS, tag }), STORE_READ_TIMEOUT_MS);
      const value = r?.response.value;
      if (value && r.response.errCode === undefined && blobDigest(value) === digest) {
        this.stats.served++;
        return respond({ value });
      }
    }
    respond({ errCode: ErrCode.NOENT, errDetail: `no body with digest ${digest.slice(0, 12)} here` });
  }

  // --- connections to peers ---

  /** One request to the node at `addr` over a kept connection; a lost connection is dialed again next time. */
  private async call(addr: string, req: Omit<Request, 'tag'>, timeoutMs: number): Promise<Response> {
    let p = this.peers.get(addr);
    if (!p) {
      p = Client.dial(addr, { connectTimeoutMs: 2000, ...this.opts.dial });
      this.peers.set(addr, p);
      p.catch(() => this.peers.get(addr) === p && this.peers.delete(addr));
    }
    const c = await p;
    try {
      return await c.request(req, { timeoutMs });
    } catch (e) {
      // No answer (timeout, connection lost): drop the connection, and with
      // it the bodies still queued for a peer that does not read them (a
      // paused process), so they never pile up; the next call dials again.
      if (!(e instanceof DoozerError) && this.peers.get(addr) === p) {
        this.peers.delete(addr);
        void c.close();
      }
      throw e;
    }
  }
}

/**
 * The refusal of a SET whose path fits neither route: with a small value the
 * whole `<rev>:<path>=<body>` must fit MAX_MUTATION_BYTES; with a value too
 * large for that, the rev and path must fit beside the blob reference
 * (`refExtra` bytes). Names the path's length and the real limit on it for
 * this rev and value; quotes no path (it may be huge).
 */
export function pathTooLong(header: Uint8Array, bodyLen: number, refExtra: number): string {
  const colon = header.indexOf(0x3a);
  const pathBytes = header.length - colon - 2; // "<rev>:" before, "=" after
  const revPart = header.length - pathBytes;
  const withSmall = MAX_MUTATION_BYTES - revPart - bodyLen;
  const withLarge = MAX_MUTATION_BYTES - refExtra - revPart;
  const limit = Math.max(withSmall, withLarge);
  return `path too long: the path is ${pathBytes} bytes; with this rev and a ${bodyLen}-byte value a path can be at most ${limit} bytes (a write's rev, path and value must fit ${MAX_MUTATION_BYTES} bytes; with a larger value the path can be at most ${withLarge} bytes)`;
}

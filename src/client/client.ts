// The doozer client library: one Client = one connection to one node.
//
//   const c = await Client.dial('doozer:?ca=127.0.0.1:8046');
//   const rev = await c.set('/app/x', 0, 'hello');
//   const { value } = await c.get('/app/x');
//   for await (const ev of c.watch('/app/**', rev + 1)) { ... }
//   await c.close();
//
// Server errors are thrown as DoozerError with the protocol's code name
// (REV_MISMATCH, NOENT, ...); transport problems as ConnectionError.
import { Verb, FLAG_DEL, FLAG_SET, REV_DIR } from '../wire/client-codec.js';
import type { Request, Response } from '../wire/client-codec.js';
import { DoozerError } from '../wire/errors.js';
import { AbortedError, Connection, ConnectionError, responseError } from './connection.js';
import type { ConnectOptions, RequestOptions } from './connection.js';
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { formatAddress, parseAddress, parseTarget, UriError } from './uri.js';
import type { Address, DoozerUri } from './uri.js';

export interface DialOptions extends ConnectOptions {
  /**
   * Name-service URI (`doozer:?ca=host:port...`) used to resolve `cn=`: the
   * nodes of cluster cn are the bodies of /ctl/ns/<cn>/* there. (The doozer
   * CLI passes -b or $DOOZER_BOOT_URI here.)
   */
  boot?: string;
  /** Secret to present with ACCESS; overrides the URI's `sk`. */
  secret?: string;
}

export interface GetResult {
  /** The body; empty for a missing file. */
  value: Buffer;
  /** The file's rev; 0 when the file is missing. */
  rev: number;
}

export interface StatResult {
  /** File: body length. Directory: number of entries. Missing: 0. */
  len: number;
  /** File: its rev. Directory: -2 (REV_DIR). Missing: 0 (REV_MISSING). */
  rev: number;
}

/** A change reported by WAIT, or a file reported by WALK (flags = 4). */
export interface WaitEvent {
  path: string;
  /** Revision of the change (WAIT), or the file's rev (WALK). */
  rev: number;
  value: Buffer;
  flags: number;
  /** The file was written. */
  isSet: boolean;
  /** The file was deleted. */
  isDel: boolean;
}
export type WalkEntry = WaitEvent;

export interface WatchOptions {
  /** Stops the watch: the iterator ends (a pending next() resolves done). */
  signal?: AbortSignal;
  /**
   * WAITs kept in flight, at consecutive revs. Default: for `/**`, whose
   * WAITs each answer exactly their own rev, 32, doubling up to 1024 each
   * time the newest WAIT is answered before older ones were taken (the
   * watcher is a window behind, or the writes came in a burst); 1 for
   * other globs, where several WAITs would mostly answer the same event.
   * Given, it is fixed. More keeps up with faster writers: one round trip
   * brings up to `window` events.
   */
  window?: number;
}

/** WAITs in flight a `/**` watch starts with (by default). */
export const WATCH_WINDOW_ALL = 32;
/** Up to how many WAITs a `/**` watch keeps in flight (by default) while it is behind the writers. */
export const WATCH_WINDOW_MAX = 1024;

/** The async iterator returned by Client.watch. */
export interface Watch extends AsyncIterableIterator<WaitEvent> {
  /** Stops watching; a pending next() resolves with done. */
  stop(): void;
  /** The rev the next WAIT will ask from. */
  readonly nextRev: number;
}

function toBuffer(v: Uint8Array | undefined): Buffer {
  if (v === undefined) return Buffer.alloc(0);
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function toBytes(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

function toEvent(r: Response): WaitEvent {
  const flags = r.flags ?? 0;
  return {
    path: r.path ?? '',
    rev: r.rev ?? 0,
    value: toBuffer(r.value),
    flags,
    isSet: (flags & FLAG_SET) !== 0,
    isDel: (flags & FLAG_DEL) !== 0,
  };
}

function checkInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v)) throw new TypeError(`${name} must be an integer, got ${v}`);
}

/** `req` read at `rev` when one is given (it must be an integer: TypeError otherwise); without, the node reads now. */
function atRev(req: Omit<Request, 'tag'>, rev: number | undefined): Omit<Request, 'tag'> {
  if (rev !== undefined) {
    checkInt('rev', rev);
    req.rev = rev;
  }
  return req;
}

const CN_RE = /^[A-Za-z0-9.-]+$/;

export class Client {
  /** Wraps an open connection (Client.dial is the usual way in). */
  constructor(readonly connection: Connection) {}

  /** `host:port` of the node this client talks to. */
  get address(): string {
    return this.connection.address;
  }

  /**
   * Connects to a doozer URI (`doozer:?ca=...&sk=...`) or a bare
   * `host[:port]`. Tries each `ca` address in order, then the addresses
   * `cn=` resolves to in the name service `opts.boot`. With a secret
   * (`sk=` or opts.secret), sends ACCESS right after connecting.
   */
  static async dial(target: string, opts: DialOptions = {}): Promise<Client> {
    const uri = parseTarget(target);
    const addrs: Address[] = [...uri.addrs];
    if (uri.cn !== undefined) {
      if (opts.boot !== undefined && opts.boot !== '') {
        addrs.push(...(await Client.lookupCluster(uri.cn, opts.boot, opts)));
      } else if (addrs.length === 0) {
        throw new UriError(
          `cannot resolve cn=${uri.cn}: no name service to look it up in; pass its URI as the boot option, e.g. Client.dial(${JSON.stringify(target)}, { boot: 'doozer:?ca=127.0.0.1:8046' }), or add ca=host:port to the URI`,
        );
      }
    }
    if (addrs.length === 0) {
      throw new UriError(`no address in ${JSON.stringify(target)}: add ca=host[:port], e.g. doozer:?ca=127.0.0.1:8046`);
    }
    const conn = await Client.connectAny(addrs, { ...opts, tls: opts.tls ?? uriTls(uri) });
    const client = new Client(conn);
    const secret = opts.secret ?? uri.sk;
    if (secret !== undefined) {
      try {
        await client.access(secret);
      } catch (e) {
        await client.close();
        if (e instanceof DoozerError) {
          throw new DoozerError(
            e.code,
            `the secret (sk=) was refused by ${conn.address}: ${e.detail ?? e.code}; check DOOZER_RWSECRET/DOOZER_ROSECRET on the server`,
          );
        }
        throw e;
      }
    }
    return client;
  }

  /** Connects to the first address that answers. */
  static async connectAny(addrs: Address[], opts: ConnectOptions = {}): Promise<Connection> {
    const errors: ConnectionError[] = [];
    for (const a of addrs) {
      try {
        return await Connection.connect(a, opts);
      } catch (e) {
        if (!(e instanceof ConnectionError)) throw e;
        errors.push(e);
      }
    }
    if (errors.length === 1) throw errors[0]!;
    const list = errors.map((e) => e.message.replace(/^cannot connect to /, '')).join('; ');
    throw new ConnectionError(
      `cannot connect to any of ${errors.length} addresses: ${list}`,
      addrs.map(formatAddress).join(','),
      errors[errors.length - 1]?.errno,
      errors[errors.length - 1]?.info,
    );
  }

  /**
   * Looks up the addresses of cluster `cn` in a name service: the bodies of
   * `/ctl/ns/<cn>/*` there.
   */
  static async lookupCluster(cn: string, boot: string, opts: ConnectOptions = {}): Promise<Address[]> {
    if (!CN_RE.test(cn)) {
      throw new UriError(`bad cluster name cn=${JSON.stringify(cn)}: use letters, digits, '.' and '-'`);
    }
    const ns = await Client.dial(boot, opts);
    try {
      const entries = await ns.walkAll(`/ctl/ns/${cn}/*`);
      const out: Address[] = [];
      for (const e of entries) {
        const text = e.value.toString('utf8').trim();
        if (text === '') continue;
        try {
          out.push(parseAddress(text));
        } catch {
          // A garbled entry: skip it, others may work.
        }
      }
      if (out.length === 0) {
        throw new UriError(
          `cluster ${JSON.stringify(cn)} is not registered in the name service at ${ns.address} (no addresses under /ctl/ns/${cn}/)`,
        );
      }
      return out;
    } finally {
      await ns.close();
    }
  }

  /** Sends a raw request (tag chosen here); an error response throws DoozerError. */
  request(req: Omit<Request, 'tag'>, opts?: RequestOptions): Promise<Response> {
    return this.connection.call(req, opts);
  }

  /** Body and rev of a file, as of `rev` (default: now). Missing: empty body, rev 0. */
  async get(path: string, rev?: number): Promise<GetResult> {
    const req = atRev({ verb: Verb.GET, path }, rev);
    const r = await this.request(req);
    return { value: toBuffer(r.value), rev: r.rev ?? 0 };
  }

  /**
   * Writes a whole body if `rev` >= the file's rev (0: create only if
   * missing; -1: unconditionally). Returns the rev of the write.
   */
  async set(path: string, rev: number, value: string | Uint8Array): Promise<number> {
    checkInt('rev', rev);
    const r = await this.request({ verb: Verb.SET, path, rev, value: toBytes(value) });
    return r.rev ?? 0;
  }

  /** Deletes a file if `rev` >= its rev (-1: unconditionally). Missing files are fine. */
  async del(path: string, rev: number): Promise<void> {
    checkInt('rev', rev);
    await this.request({ verb: Verb.DEL, path, rev });
  }

  /** The node's current store rev. */
  async rev(): Promise<number> {
    const r = await this.request({ verb: Verb.REV });
    return r.rev ?? 0;
  }

  /** Runs one consensus round that changes nothing. */
  async nop(): Promise<void> {
    await this.request({ verb: Verb.NOP });
  }

  /** This node's id. */
  async self(): Promise<string> {
    const r = await this.request({ verb: Verb.SELF });
    return toBuffer(r.value).toString('utf8');
  }

  /** File: {len: body length, rev}. Directory: {len: entries, rev: -2}. Missing: {0, 0}. */
  async stat(path: string, rev?: number): Promise<StatResult> {
    const req = atRev({ verb: Verb.STAT, path }, rev);
    const r = await this.request(req);
    return { len: r.len ?? 0, rev: r.rev ?? 0 };
  }

  /** The offset-th entry name of a directory (RANGE past the end). */
  async getdir(path: string, offset: number, rev?: number): Promise<string> {
    checkInt('offset', offset);
    const req = atRev({ verb: Verb.GETDIR, path, offset }, rev);
    const r = await this.request(req);
    return r.path ?? '';
  }

  /** All entry names of a directory, in byte order, read at one rev (default: now). */
  async getdirAll(path: string, rev?: number): Promise<string[]> {
    const at = rev ?? (await this.rev());
    const st = await this.stat(path, at);
    if (st.rev !== REV_DIR) {
      // Let the server name the problem (NOENT or NOTDIR).
      await this.getdir(path, 0, at);
      throw new DoozerError('NOTDIR', `${path} is not a directory`);
    }
    return pipelined(st.len, (i) => this.getdir(path, i, at));
  }

  /** The offset-th file matching a glob (depth-first, byte order); RANGE past the end. */
  async walk(glob: string, offset: number, rev?: number, opts: RequestOptions = {}): Promise<WalkEntry> {
    checkInt('offset', offset);
    const req = atRev({ verb: Verb.WALK, path: glob, offset }, rev);
    return toEvent(await this.request(req, opts));
  }

  /**
   * Every file matching a glob, in walk order, read at one rev. With `rev`
   * given, a rev the node's history dropped meanwhile throws TOO_LATE; without
   * it, see walkSnapshot (retried at a later rev).
   */
  async walkAll(glob: string, rev?: number): Promise<WalkEntry[]> {
    if (rev === undefined) return (await this.walkSnapshot(glob)).entries;
    return this.walkAt(glob, rev, 16);
  }

  /**
   * Every file matching `glob` as of one rev, and that rev: a consistent copy
   * even of a busy cluster. Walks the current store; if the node's history
   * (-hist) drops that rev before the walk is done, walks again, in one
   * pipelined burst sized from what the last try saw, at a slightly later
   * rev (2, 4, 8, ... ahead), which the node answers the moment its store
   * gets there (a future rev waits, spec/protocol.md). If the cluster goes
   * quiet before it gets there (the writes that outran the walk stopped), the
   * node's rev stands still for `quietMs` (default 300): that walk is
   * abandoned and the next one is at the current rev, which nothing moves
   * now. Without that a copy started under load could wait for writes nobody
   * makes (a follower that fell behind stayed stuck at its old rev).
   * Throws DoozerError TOO_LATE after `tries` attempts (default 12), with a
   * detail saying to raise -hist.
   */
  async walkSnapshot(glob: string, opts: { tries?: number; quietMs?: number } = {}): Promise<{ rev: number; entries: WalkEntry[] }> {
    const tries = opts.tries ?? 12;
    const quietMs = opts.quietMs ?? 300;
    let burst = 16;
    let ahead = 0;
    for (let attempt = 1; ; attempt++) {
      const now = await this.rev();
      const at = now + ahead;
      const seen: WalkEntry[] = [];
      const walking = new AbortController();
      setMaxListeners(0, walking.signal); // one listener per WALK in flight (up to 4096), by design
      try {
        if (ahead > 0) void this.abortWhenQuiet(at, quietMs, walking);
        return { rev: at, entries: await this.walkAt(glob, at, burst, seen, walking.signal) };
      } catch (e) {
        const quiet = e instanceof AbortedError;
        if (!quiet && !(e instanceof DoozerError && e.code === 'TOO_LATE')) throw e;
        if (attempt >= tries) {
          throw new DoozerError('TOO_LATE', `could not copy ${glob} at one rev in ${tries} tries: the node's history (-hist) is shorter than a copy takes under this write load; raise -hist on the CALs`);
        }
        burst = Math.min(Math.max(burst, 2 * seen.length + 16), 4096);
        ahead = quiet ? 0 : Math.min(2 ** attempt, 256);
      } finally {
        walking.abort();
      }
    }
  }

  /**
   * Aborts `walking` if the node's rev stays below `at` and unchanged for
   * `quietMs` (asked every quietMs); returns once the rev reaches `at` or
   * `walking` is aborted by its owner.
   */
  private async abortWhenQuiet(at: number, quietMs: number, walking: AbortController): Promise<void> {
    let last = -1;
    while (!walking.signal.aborted) {
      await new Promise((r) => setTimeout(r, quietMs).unref());
      if (walking.signal.aborted) return;
      const rev = await this.request({ verb: Verb.REV }, { timeoutMs: 10 * quietMs }).then((r) => r.rev ?? 0, () => undefined);
      if (rev === undefined || rev >= at) return;
      if (rev === last) return void walking.abort();
      last = rev;
    }
  }

  /** walkAll at `rev`, `window` WALKs in flight at first; entries so far go to `out`; `signal` abandons it (AbortedError). */
  private async walkAt(glob: string, at: number, window: number, out: WalkEntry[] = [], signal?: AbortSignal): Promise<WalkEntry[]> {
    for (;;) {
      const base = out.length;
      const batch = await Promise.allSettled(
        Array.from({ length: window }, (_, i) => this.walk(glob, base + i, at, { signal })),
      );
      for (const b of batch) {
        if (b.status === 'fulfilled') {
          out.push(b.value);
          continue;
        }
        const e: unknown = b.reason;
        if (e instanceof DoozerError && e.code === 'RANGE') return out;
        throw e;
      }
      window = Math.min(window * 2, 4096);
    }
  }

  /**
   * The first change at or after `rev` to a file matching `glob`. Answers at
   * once from history, or when the change happens. `opts.signal` abandons it
   * (rejects with AbortedError).
   */
  async wait(glob: string, rev: number, opts: RequestOptions = {}): Promise<WaitEvent> {
    checkInt('rev', rev);
    // A WAIT may rightly take forever: no request timeout unless asked for.
    return toEvent(await this.request({ verb: Verb.WAIT, path: glob, rev }, { ...opts, timeoutMs: opts.timeoutMs ?? 0 }));
  }

  /**
   * Every change to files matching `glob`, in order, starting at `fromRev`
   * (default: the next change). Each WAIT asks from the previous event's
   * rev + 1, so nothing is skipped. `break` or stop() ends it.
   */
  watch(glob: string, fromRev?: number, opts: WatchOptions = {}): Watch {
    if (fromRev !== undefined) checkInt('fromRev', fromRev);
    const window = opts.window;
    if (window !== undefined && (!Number.isSafeInteger(window) || window < 1)) throw new TypeError(`window must be a positive integer, got ${window}`);
    // Given: that many WAITs, always. Default: /** starts at WATCH_WINDOW_ALL and grows while the watcher is behind.
    if (window !== undefined) return new WatchIterator(this, glob, fromRev, opts.signal, window, window);
    return glob === '/**'
      ? new WatchIterator(this, glob, fromRev, opts.signal, WATCH_WINDOW_ALL, WATCH_WINDOW_MAX)
      : new WatchIterator(this, glob, fromRev, opts.signal, 1, 1);
  }

  /** Presents a secret. Wrong secret: DoozerError OTHER "permission denied". */
  async access(secret: string | Uint8Array): Promise<void> {
    await this.request({ verb: Verb.ACCESS, value: toBytes(secret) });
  }

  /** Closes the connection; pending requests reject with ConnectionError. */
  close(): Promise<void> {
    return this.connection.close();
  }
}

/**
 * The TLS option a URI asks for: undefined (plain), true (TLS, system CAs),
 * or { ca } with the PEM file of `tlsca=`. Throws UriError when that file
 * cannot be read.
 */
export function uriTls(uri: DoozerUri): ConnectOptions['tls'] {
  if (!uri.tls) return undefined;
  if (uri.tlsca === undefined) return true;
  try {
    return { ca: readFileSync(uri.tlsca) };
  } catch (e) {
    throw new UriError(`cannot read the TLS CA file tlsca=${uri.tlsca}: ${(e as Error).message}`);
  }
}

/** Runs fn(0..count-1) with at most `window` requests in flight; results in order. */
async function pipelined<T>(count: number, fn: (i: number) => Promise<T>, window = 256): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
  return out;
}

/** One WAIT of a watch: its rev and, once it came, its answer (or why none will come). */
interface WatchSlot {
  rev: number;
  answer: Response | undefined;
  error: Error | undefined;
}

const WATCH_DONE: IteratorResult<WaitEvent> = Object.freeze({ done: true, value: undefined });

/**
 * A watch: WAITs at consecutive revs from `rev` (up to `window` in flight),
 * their answers taken in the order they were asked. WAIT(k) answers the first
 * matching change at or after k, so after an answer at rev e every change up
 * to e has been seen: the next useful WAIT is at e + 1, and an answer older
 * than that (a WAIT sent at k <= e, for a glob that matched nothing in
 * between) is the same event again and is skipped.
 *
 * The window grows (doubling, up to `maxWindow`) whenever the newest WAIT
 * is answered while older ones are still untaken: the whole window came back
 * in about one round trip (the watcher is that far behind, or the writes came
 * in a burst), and one round trip should bring more. WAITs go out through
 * Connection.submit (callbacks, no promise per WAIT); an event already here
 * is returned without waiting.
 */
class WatchIterator implements Watch {
  /** Next rev to be delivered (every matching change before it was). */
  private rev: number | undefined;
  /** Highest rev a WAIT was sent for. */
  private asked = 0;
  /** WAITs sent and not yet taken, oldest first, from index `head`. */
  private slots: (WatchSlot | undefined)[] = [];
  private head = 0;
  private done = false;
  private window: number;
  /** The next() waiting for an answer, and its promise (later next() calls queue behind it). */
  private waiter: { resolve(r: IteratorResult<WaitEvent>): void; reject(e: unknown): void } | undefined;
  private busy: Promise<IteratorResult<WaitEvent>> | undefined;
  private starting = false;

  constructor(
    private readonly client: Client,
    private readonly glob: string,
    fromRev: number | undefined,
    signal: AbortSignal | undefined,
    initialWindow: number,
    private readonly maxWindow: number,
  ) {
    this.rev = fromRev;
    this.window = initialWindow;
    if (signal) {
      if (signal.aborted) this.stop();
      else signal.addEventListener('abort', () => this.stop(), { once: true });
    }
  }

  get nextRev(): number {
    return this.rev ?? NaN;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<WaitEvent>> {
    // Calls are serialised: a second next() waits for the first.
    if (this.busy) return this.busy.then(() => this.next(), () => this.next());
    let r: IteratorResult<WaitEvent> | undefined;
    try {
      r = this.take();
    } catch (e) {
      this.stop();
      return Promise.reject(e);
    }
    if (r) return Promise.resolve(r);
    const p = new Promise<IteratorResult<WaitEvent>>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
    this.busy = p;
    if (this.rev === undefined) this.start();
    return p;
  }

  /** Learns the next rev (a watch from "now"), then serves the waiting next(). */
  private start(): void {
    if (this.starting) return;
    this.starting = true;
    this.client.rev().then(
      (now) => {
        this.starting = false;
        this.rev ??= now + 1;
        this.wake();
      },
      (e: unknown) => {
        this.starting = false;
        this.fail(e);
      },
    );
  }

  /** Serves the waiting next() if it can be now (an answer came, or the watch stopped). */
  private wake(): void {
    if (!this.waiter) return;
    let r: IteratorResult<WaitEvent> | undefined;
    try {
      r = this.take();
    } catch (e) {
      this.fail(e);
      return;
    }
    if (!r) return;
    const w = this.waiter;
    this.waiter = undefined;
    this.busy = undefined;
    w.resolve(r);
  }

  private fail(e: unknown): void {
    const w = this.waiter;
    this.waiter = undefined;
    this.busy = undefined;
    if (!w) return;
    if (e instanceof AbortedError || this.done) {
      this.stop();
      w.resolve(WATCH_DONE);
      return;
    }
    this.stop();
    w.reject(e);
  }

  /** The next event if it is here, WATCH_DONE once stopped, undefined to wait; throws the WAIT's error (the caller stops the watch). */
  private take(): IteratorResult<WaitEvent> | undefined {
    for (;;) {
      if (this.done) return WATCH_DONE;
      if (this.rev === undefined) return undefined;
      this.fill();
      const slot = this.slots[this.head]!;
      if (slot.answer === undefined && slot.error === undefined) return undefined;
      this.slots[this.head++] = undefined;
      if (this.head > 1024 && this.head * 2 > this.slots.length) {
        this.slots = this.slots.slice(this.head);
        this.head = 0;
      }
      if (slot.error) throw slot.error;
      const r = slot.answer!;
      if (r.errCode !== undefined) {
        throw responseError(r, { verb: Verb.WAIT, path: this.glob, rev: slot.rev }, this.client.connection.address);
      }
      const ev = toEvent(r);
      if (ev.rev < this.rev) continue; // seen already (asked at a rev the previous answer covered)
      this.rev = ev.rev + 1;
      return { done: false, value: ev };
    }
  }

  /** Tops the WAITs in flight up to `window`, at the revs after the last one asked. */
  private fill(): void {
    let k = Math.max(this.asked + 1, this.rev!);
    const conn = this.client.connection;
    while (this.slots.length - this.head < this.window) {
      const slot: WatchSlot = { rev: k, answer: undefined, error: undefined };
      this.slots.push(slot);
      const sent = conn.submit(
        { verb: Verb.WAIT, path: this.glob, rev: k },
        (r) => {
          slot.answer = r;
          // The newest WAIT answered before its elders were taken: the whole window came back in about
          // one round trip (the watcher is at least that far behind, or the writes came in a burst).
          if (this.window < this.maxWindow && slot === this.slots[this.slots.length - 1]) this.window = Math.min(this.window * 2, this.maxWindow);
          if (this.waiter && slot === this.slots[this.head]) this.wake();
        },
        (e) => {
          slot.error = e;
          if (this.waiter && slot === this.slots[this.head]) this.wake();
        },
      );
      if (!sent) slot.error = conn.closedReason ?? new ConnectionError(`connection to ${conn.address} is closed`, conn.address);
      this.asked = k++;
    }
  }

  stop(): void {
    if (this.done) return;
    this.done = true;
    this.wake();
  }

  return(): Promise<IteratorResult<WaitEvent>> {
    this.stop();
    return Promise.resolve(WATCH_DONE);
  }
}

// The bodies of large values a node holds outside its store (docs/protocol.md
// "Large values"): its own writes in flight, bodies pushed by other CALs for
// writes not yet applied here, and, for a short while after its store applied
// them, bodies peers may still fetch. Bounded in bytes and in time: the store
// and its history hold applied values, so the cache only bridges the gap
// between a push and the apply.

export interface BlobCacheOptions {
  /** Total bytes held at most (default 128 MiB). */
  maxBytes?: number;
  /** How long a body is kept after the store took it (default 10 s). */
  keepDeliveredMs?: number;
  /** How long a pushed body is kept if no store asks for it (its write was never chosen; default 120 s). */
  keepUndeliveredMs?: number;
  now?: () => number;
  /** Called with the digest of each body dropped (the -data copy goes with it). */
  onDrop?: (digest: string) => void;
}

interface Entry {
  body: Uint8Array;
  /** Own writes in flight are kept until unpinned, whatever the clock. */
  pinned: number;
  delivered: boolean;
  expires: number;
}

export class BlobCache {
  private readonly entries = new Map<string, Entry>();
  private held = 0;
  readonly maxBytes: number;
  private readonly keepDeliveredMs: number;
  private readonly keepUndeliveredMs: number;
  private readonly now: () => number;
  private readonly onDrop: ((digest: string) => void) | undefined;

  constructor(opts: BlobCacheOptions = {}) {
    this.onDrop = opts.onDrop;
    this.maxBytes = opts.maxBytes ?? 128 * 1024 * 1024;
    this.keepDeliveredMs = opts.keepDeliveredMs ?? 10_000;
    this.keepUndeliveredMs = opts.keepUndeliveredMs ?? 120_000;
    this.now = opts.now ?? Date.now;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Holds `body` under `digest` (the caller checked the digest). `pin`: an
   * own write in flight, kept until `unpin`. Returns false, holding nothing,
   * when it does not fit even after dropping expired and delivered bodies
   * (the push is refused; the writer retries or fails its client).
   */
  put(digest: string, body: Uint8Array, pin = false): boolean {
    const e = this.entries.get(digest);
    if (e) {
      if (pin) e.pinned++;
      if (!e.delivered) e.expires = Math.max(e.expires, this.now() + this.keepUndeliveredMs);
      return true;
    }
    if (this.held + body.length > this.maxBytes) this.sweep(body.length);
    if (this.held + body.length > this.maxBytes) return false;
    this.entries.set(digest, { body, pinned: pin ? 1 : 0, delivered: false, expires: this.now() + this.keepUndeliveredMs });
    this.held += body.length;
    return true;
  }

  get(digest: string): Uint8Array | undefined {
    return this.entries.get(digest)?.body;
  }

  /** The node's store took the body: keep it only a little longer, for peers that still fetch it. */
  delivered(digest: string): void {
    const e = this.entries.get(digest);
    if (!e || e.delivered) return;
    e.delivered = true;
    e.expires = this.now() + this.keepDeliveredMs;
  }

  /** An own write finished (applied or failed): its body may go when it expires. */
  unpin(digest: string): void {
    const e = this.entries.get(digest);
    if (e && e.pinned > 0) e.pinned--;
  }

  /**
   * Drops expired unpinned bodies; with `need`, then drops delivered ones,
   * oldest first, until `need` more bytes fit.
   */
  sweep(need = 0): void {
    const t = this.now();
    for (const [d, e] of this.entries) {
      if (e.pinned === 0 && e.expires <= t) this.drop(d, e);
    }
    if (need === 0) return;
    for (const [d, e] of this.entries) {
      if (this.held + need <= this.maxBytes) return;
      if (e.pinned === 0 && e.delivered) this.drop(d, e);
    }
  }

  private drop(digest: string, e: Entry): void {
    this.entries.delete(digest);
    this.held -= e.body.length;
    this.onDrop?.(digest);
  }
}

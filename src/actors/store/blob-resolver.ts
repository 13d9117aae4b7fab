// The store actor's side of large values (docs/protocol.md "Large values"): a
// chosen blob reference is replaced by the mutation it stands for before the
// store applies its seqn. The body comes from the node's blob service
// (src/node/blob-channel.ts), which has it already (pushed by the proposing
// CAL) or fetches it from a peer; until then the store applies nothing after
// that seqn (in order, never skipping).
import type { ActorContext } from '../../runtime/actor.js';
import { BLOBS, type BlobServiceMessage } from '../blob-messages.js';
import { decodeBlobRef, expandBlobRef, isBlobRef, setFailsWithoutBody } from './blob-ref.js';
import { decodeMutation } from './mutation.js';
import type { Store } from './store.js';

/** How often a body still missing is asked for again (the blob service keeps trying on its own; this covers a lost request). */
const ASK_AGAIN_MS = 5000;

export class BlobResolver {
  /** Bodies received for references not yet applied, by digest. */
  private readonly bodies = new Map<string, Uint8Array>();
  /** Digest → when it was last asked for. */
  private readonly asked = new Map<string, number>();

  /** `ctx.now()`: the runtime's clock (ms), never the wall clock (the simulator runs the same actors). */
  constructor(private readonly ctx: Pick<ActorContext, 'send' | 'log' | 'now'>) {}

  /**
   * The mutation to apply at `seqn` (the store is at seqn - 1): `m` itself
   * unless it is a blob reference; for a reference header + body once the
   * body is here (undefined until then: it is asked for), or the header alone
   * when the write fails whatever its body (same event, same error).
   */
  resolve(store: Store, seqn: number, m: Uint8Array): Uint8Array | undefined {
    if (!isBlobRef(m)) return m;
    const ref = decodeBlobRef(m);
    if (!ref) return m; // malformed: applied as a bad mutation, the same on every node
    if (setFailsWithoutBody(store, ref.header)) return ref.header;
    const body = this.bodies.get(ref.digest);
    if (body) {
      this.bodies.delete(ref.digest);
      this.asked.delete(ref.digest);
      return expandBlobRef(ref, body);
    }
    const last = this.asked.get(ref.digest);
    if (last === undefined || this.ctx.now() - last >= ASK_AGAIN_MS) {
      this.asked.set(ref.digest, this.ctx.now());
      const d = decodeMutation(ref.header);
      const path = d.kind === 'set' ? d.path : '/';
      this.ctx.send(BLOBS, { type: 'blob-need', digest: ref.digest, len: ref.len, seqn, path } satisfies BlobServiceMessage);
      if (last === undefined) this.ctx.log.debug(`seqn ${seqn}: waiting for the body of blob ${ref.digest.slice(0, 12)} (${ref.len} bytes)`);
    }
    return undefined;
  }

  /**
   * A body arrived (`blob-body`): kept if it was asked for. True if so. The
   * blob service checked its digest already (it checks every body that comes
   * from the network), so the store's thread does not hash it again.
   */
  received(digest: string, body: Uint8Array): boolean {
    if (!this.asked.has(digest) || this.bodies.has(digest)) return false;
    this.bodies.set(digest, body);
    return true;
  }

  /** Whether a reference is waiting for its body (the store re-asks on its clean timer). */
  get waiting(): boolean {
    return this.asked.size > 0;
  }
}

// Bodies of large values on the -data disk (table `blob`, docs/protocol.md
// "Large values"): a node stores a pushed body (and its own write's) before
// it says it holds it, so a CAL that voted for a blob reference still has
// the body after a crash, even before its store applied that seqn (after
// that the chosen log and snapshots hold the whole value). Written with
// "ordered" commits: no fsync of its own, yet on disk before the vote for
// the reference, which is committed (fsynced) later in the same write-ahead
// log. A row goes when the node's cache drops the body.
import type { Db } from './database.js';

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export class BlobDisk {
  private readonly ins;
  private readonly del;

  constructor(private readonly db: Db) {
    db.exec('CREATE TABLE IF NOT EXISTS blob (digest TEXT PRIMARY KEY, body BLOB NOT NULL)');
    this.ins = db.prepare('INSERT OR IGNORE INTO blob (digest, body) VALUES (?, ?)');
    this.del = db.prepare('DELETE FROM blob WHERE digest = ?');
  }

  /** Stores `body` under `digest`. Throws the SQLite error (disk full: the push is refused). */
  put(digest: string, body: Uint8Array): void {
    this.ins.run(digest, buf(body));
  }

  /** Forgets `digest` (errors are ignored: the row goes with the next start's expiry). */
  drop(digest: string): void {
    try {
      this.del.run(digest);
    } catch {
      // a disk that refuses writes: the row stays until it accepts them
    }
  }

  /** Every stored body (at start: bodies held before a crash). */
  all(): { digest: string; body: Uint8Array }[] {
    return (this.db.prepare('SELECT digest, body FROM blob').all() as { digest: string; body: Buffer }[]).map((r) => ({ digest: r.digest, body: new Uint8Array(r.body) }));
  }
}

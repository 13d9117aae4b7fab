// The chosen values in seqn order (table `chosen`) and the store snapshot
// that bounds them (table `snapshot_file`, meta `snapshot_rev`). The store
// actor appends every value it applies; every `snapshotEvery` revs it
// replaces the snapshot with its files at the current rev and drops the log
// and acceptor rows the snapshot covers. Restart = snapshot + log replay.
import type { Db } from './database.js';

/** A file of a snapshot: path, body and the rev it was last set at. */
export interface SnapshotFile {
  path: string;
  body: Uint8Array;
  rev: number;
}

/** What a restarted node's store starts from. */
export interface StoredState {
  /** Snapshot at `rev` (rev 0 and no files: none yet). */
  rev: number;
  files: SnapshotFile[];
  /** Chosen values after `rev`, contiguous, in seqn order. */
  log: { seqn: number; mutation: Uint8Array }[];
}

const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export class ChosenLog {
  private readonly appendAll;
  private readonly replaceSnapshot;

  constructor(private readonly db: Db) {
    const ins = db.prepare('INSERT OR REPLACE INTO chosen (seqn, mutation) VALUES (?, ?)');
    this.appendAll = db.transaction((entries: readonly { seqn: number; mutation: Uint8Array }[]) => {
      for (const e of entries) ins.run(e.seqn, buf(e.mutation));
    });
    const insFile = db.prepare('INSERT INTO snapshot_file (path, body, rev) VALUES (?, ?, ?)');
    const setRev = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('snapshot_rev', ?)");
    this.replaceSnapshot = db.transaction((rev: number, files: readonly SnapshotFile[]) => {
      db.prepare('DELETE FROM snapshot_file').run();
      for (const f of files) insFile.run(f.path, buf(f.body), f.rev);
      setRev.run(String(rev));
      db.prepare('DELETE FROM chosen WHERE seqn <= ?').run(rev);
      db.prepare('DELETE FROM acceptor WHERE seqn <= ?').run(rev);
    });
  }

  /** Append applied values in one fsynced transaction. Throws the SQLite error (e.g. SQLITE_FULL). */
  append(entries: readonly { seqn: number; mutation: Uint8Array }[]): void {
    if (entries.length > 0) this.appendAll(entries);
  }

  /** Replace the snapshot by `files` at `rev`, and drop what it covers, in one transaction. */
  snapshot(rev: number, files: readonly SnapshotFile[]): void {
    this.replaceSnapshot(rev, files);
  }

  /** The last `limit` logged values (any order): what a restarted node can answer catch-up requests with. */
  recent(limit: number): { seqn: number; mutation: Uint8Array }[] {
    const rows = this.db.prepare('SELECT seqn, mutation FROM chosen ORDER BY seqn DESC LIMIT ?').all(limit) as { seqn: number; mutation: Buffer }[];
    return rows.map((r) => ({ seqn: r.seqn, mutation: new Uint8Array(r.mutation) }));
  }

  /** The snapshot and the contiguous log after it. */
  load(): StoredState {
    const meta = this.db.prepare("SELECT value FROM meta WHERE key = 'snapshot_rev'").get() as { value: string } | undefined;
    const rev = meta ? Number(meta.value) : 0;
    const files = (this.db.prepare('SELECT path, body, rev FROM snapshot_file ORDER BY path').all() as { path: string; body: Buffer; rev: number }[]).map((f) => ({
      path: f.path,
      body: new Uint8Array(f.body),
      rev: f.rev,
    }));
    const log: StoredState['log'] = [];
    let next = rev + 1;
    for (const r of this.db.prepare('SELECT seqn, mutation FROM chosen WHERE seqn > ? ORDER BY seqn').iterate(rev) as IterableIterator<{ seqn: number; mutation: Buffer }>) {
      if (r.seqn !== next) break; // a gap: the rest is re-learned from peers
      log.push({ seqn: r.seqn, mutation: new Uint8Array(r.mutation) });
      next++;
    }
    return { rev, files, log };
  }
}

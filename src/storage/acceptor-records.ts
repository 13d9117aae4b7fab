// The acceptors' promises and votes on disk (table `acceptor`, one row per
// instance). The acceptor actor saves every changed acceptor in one
// transaction and syncs it to disk before it lets out any message that
// depends on it (spec/consensus.md: an acceptor never forgets a promise or a
// vote): on a 'deferred' connection (database.ts) save() writes the WAL and
// sync() makes it durable without blocking the event loop.
import { syncWal, type Db } from './database.js';

/** One instance's acceptor, as the Paxos core reports it. */
export interface AcceptorRecord {
  seqn: number;
  rnd: number;
  vrnd: number;
  vval: Uint8Array;
}

export class AcceptorRecords {
  private readonly upsert;
  private readonly saveAll;

  constructor(private readonly db: Db) {
    this.upsert = db.prepare('INSERT OR REPLACE INTO acceptor (seqn, rnd, vrnd, vval) VALUES (?, ?, ?, ?)');
    this.saveAll = db.transaction((records: readonly AcceptorRecord[]) => {
      for (const r of records) this.upsert.run(r.seqn, r.rnd, r.vrnd, Buffer.from(r.vval.buffer, r.vval.byteOffset, r.vval.byteLength));
    });
  }

  /**
   * Write `records` in one transaction. On an 'fsync' connection the commit
   * is on disk when this returns; on a 'deferred' one only once sync()
   * reports success. Throws the SQLite error (e.g. SQLITE_FULL).
   */
  save(records: readonly AcceptorRecord[]): void {
    if (records.length > 0) this.saveAll(records);
  }

  /** Make every save() so far durable (fdatasync of the WAL on libuv's thread pool); `done(null)` once it is, else `done(error)`. */
  sync(done: (err: Error | null) => void): void {
    syncWal(this.db, done);
  }

  /**
   * Highest seqn whose round 1 this node's acceptor granted to a proposer
   * (AcceptorCore.grantFast), stored with an fsynced commit before the lease
   * leaves (meta `fast_granted`). Throws the SQLite error.
   */
  saveFastGrants(upTo: number): void {
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('fast_granted', ?)").run(String(upTo));
  }

  /** What saveFastGrants stored; undefined in a data directory written before it existed (or new). */
  loadFastGrants(): number | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'fast_granted'").get() as { value: string } | undefined;
    const n = row ? Number(row.value) : NaN;
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  }

  /** Every stored record, by seqn. */
  load(): AcceptorRecord[] {
    const rows = this.db.prepare('SELECT seqn, rnd, vrnd, vval FROM acceptor ORDER BY seqn').all() as { seqn: number; rnd: number; vrnd: number; vval: Buffer }[];
    return rows.map((r) => ({ seqn: r.seqn, rnd: r.rnd, vrnd: r.vrnd, vval: new Uint8Array(r.vval) }));
  }
}

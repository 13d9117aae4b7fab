// The node's data file (docs/durability.md): one SQLite database,
// DIR/doozerd.db, in WAL mode. Commits are fsynced before they return
// (synchronous=FULL), or, for the acceptor's connection, by an asynchronous
// fdatasync of the WAL (syncWal) that its messages wait for; a torn last
// transaction is discarded by SQLite's own recovery (WAL frame checksums).
// This module opens it, creates or checks the schema, and keeps one
// connection per thread, path and commit kind (actors of one thread share
// it; SQLite serialises writers of different threads).
import type Database from 'better-sqlite3';
import { closeSync, fdatasync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Name of the data file inside the -data directory. */
export const DB_FILE = 'doozerd.db';
/** What meta.format must say. */
export const FORMAT = 'doozerd-data';
/** Schema version this code reads and writes. */
export const FORMAT_VERSION = 1;

export type Db = Database.Database;

/** A data directory that is corrupt, foreign or of another version. The message names the file. */
export class DataDirError extends Error {}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS acceptor (seqn INTEGER PRIMARY KEY, rnd INTEGER NOT NULL, vrnd INTEGER NOT NULL, vval BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS chosen (seqn INTEGER PRIMARY KEY, mutation BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS snapshot_file (path TEXT PRIMARY KEY, body BLOB NOT NULL, rev INTEGER NOT NULL);
`;

const connections = new Map<string, Db>();

/**
 * better-sqlite3, loaded on first use: it is an optional dependency (a
 * native module), so the client library and in-memory nodes work where it
 * is not installed. Throws DataDirError saying how to install it.
 */
function sqlite(): typeof Database {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  } catch (e) {
    throw new DataDirError(`-data needs the better-sqlite3 package, which is not installed (${(e as Error).message.split('\n')[0]}): run npm install better-sqlite3@12`);
  }
}

/** Path of the data file of directory `dir`. */
export function dbPath(dir: string): string {
  return join(dir, DB_FILE);
}

/**
 * Open (creating if `create`) the data file of `dir` and check it is ours.
 * Throws DataDirError naming the file when it is not a SQLite database, is
 * damaged, or holds another program's data or another format version.
 */
export function openDb(dir: string, create: boolean): Db {
  const file = dbPath(dir);
  const Sqlite = sqlite();
  let db: Db;
  try {
    db = new Sqlite(file, { fileMustExist: !create });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 10000');
  } catch (e) {
    throw new DataDirError(`${file}: cannot open as a doozerd data file (${(e as Error).message}); restore it from a backup (doozer dump) or point -data at another directory`);
  }
  try {
    const ok = db.pragma('quick_check', { simple: true });
    if (ok !== 'ok') throw new Error(String(ok));
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    if (tables.size === 0) {
      if (!create) throw new Error('it holds no tables');
      db.exec(SCHEMA);
      const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      db.transaction(() => {
        put.run('format', FORMAT);
        put.run('version', String(FORMAT_VERSION));
      })();
    } else {
      const meta = tables.has('meta') ? readMeta(db) : new Map<string, string>();
      if (meta.get('format') !== FORMAT) throw new Error('it is not a doozerd data file (no doozerd-data format mark)');
      if (meta.get('version') !== String(FORMAT_VERSION)) throw new Error(`its format version is ${meta.get('version')}, this doozerd reads version ${FORMAT_VERSION}`);
      db.exec(SCHEMA);
    }
  } catch (e) {
    db.close();
    if (e instanceof DataDirError) throw e;
    throw new DataDirError(`${file}: refusing to use it: ${(e as Error).message}; restore it from a backup (doozer dump) or point -data at another directory`);
  }
  return db;
}

/** The meta table as a map (format, version, node_id, cluster, snapshot_rev). */
export function readMeta(db: Db): Map<string, string> {
  return new Map((db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
}

/** Set meta entries in one transaction. */
export function writeMeta(db: Db, entries: Record<string, string>): void {
  const put = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  db.transaction(() => {
    for (const [k, v] of Object.entries(entries)) put.run(k, v);
  })();
}

/**
 * How a connection commits.
 * - 'fsync': every commit is fsynced before it returns (synchronous=FULL;
 *   the boot's writes).
 * - 'deferred': commits are written to the WAL but not fsynced
 *   (synchronous=OFF, and this connection never checkpoints:
 *   wal_autocheckpoint=0); the caller makes them durable with syncWal(),
 *   an fdatasync of the WAL file on libuv's thread pool, so the event loop
 *   goes on while the disk works (the acceptor's promises and votes: their
 *   messages wait for that sync).
 * - 'ordered': commits are not fsynced themselves (synchronous=NORMAL); they
 *   reach the disk with the next sync of the WAL (any connection's: the WAL
 *   is one sequential file) or the next checkpoint, in order (the chosen log
 *   and snapshots: a shortcut for restarts, never what makes a write
 *   durable). This connection runs the automatic checkpoints, which fsync
 *   the WAL before copying it into the database file and that file before
 *   the WAL is reused, so no commit of a 'deferred' connection is ever
 *   overwritten before it is on disk.
 */
export type Sync = 'fsync' | 'deferred' | 'ordered';

const SYNCS: readonly Sync[] = ['deferred', 'fsync', 'ordered'];

/**
 * This thread's connection to the data file of `dir` with commits of kind
 * `sync` (opened on first use; the file must exist: the node's boot created
 * and checked it).
 */
export function sharedDb(dir: string, sync: Sync = 'fsync'): Db {
  const key = `${sync}:${dir}`;
  let db = connections.get(key);
  if (!db || !db.open) {
    db = openDb(dir, false);
    if (sync === 'ordered') db.pragma('synchronous = NORMAL');
    if (sync === 'deferred') {
      db.pragma('synchronous = OFF');
      db.pragma('wal_autocheckpoint = 0');
    }
    connections.set(key, db);
  }
  return db;
}

/** Open descriptors of WAL files, by path (see syncWal). */
const walFds = new Map<string, number>();

/**
 * Make every commit written so far to the data file of `db` durable: one
 * fdatasync of its WAL file (`<file>-wal`), run on libuv's thread pool.
 * Calls `done` (on this thread, from the event loop) with null once the data
 * is on disk, or with the error. The WAL file exists as long as a connection
 * is open (SQLite removes it only when the last one closes) and is reused
 * in place, never replaced, so its descriptor is opened once and kept.
 */
export function syncWal(db: Db, done: (err: Error | null) => void): void {
  const path = `${db.name}-wal`;
  let fd = walFds.get(path);
  if (fd === undefined) {
    try {
      fd = openSync(path, 'r+');
    } catch (e) {
      queueMicrotask(() => done(e as Error));
      return;
    }
    walFds.set(path, fd);
  }
  fdatasync(fd, (e) => done(e));
}

/** Close this thread's connections to `dir`, if any (node shutdown, tests). The 'deferred' one first, so the last close (which checkpoints) syncs. */
export function closeSharedDb(dir: string): void {
  for (const sync of SYNCS) {
    const key = `${sync}:${dir}`;
    const db = connections.get(key);
    connections.delete(key);
    if (db?.open) db.close();
  }
  const path = `${dbPath(dir)}-wal`;
  const fd = walFds.get(path);
  walFds.delete(path);
  if (fd !== undefined) {
    try {
      closeSync(fd);
    } catch {
      // already closed: nothing to release
    }
  }
}

// The node's data file (docs/durability.md): one SQLite database,
// DIR/doozerd.db, in WAL mode with synchronous=FULL, so every commit is
// fsynced before it returns and a torn last transaction is discarded by
// SQLite's own recovery. This module opens it, creates or checks the schema,
// and keeps one connection per thread and path (actors of one thread share
// it; SQLite serialises writers of different threads).
import type Database from 'better-sqlite3';
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
 * How a connection commits. 'fsync': every commit is fsynced before it
 * returns (acceptor states). 'ordered': commits are not fsynced themselves
 * (synchronous=NORMAL); they reach the disk with the next fsynced commit of
 * any connection (the WAL is one sequential file) or the next checkpoint, in
 * order (the chosen log and snapshots: a shortcut for restarts, never what
 * makes a write durable).
 */
export type Sync = 'fsync' | 'ordered';

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
    connections.set(key, db);
  }
  return db;
}

/** Close this thread's connections to `dir`, if any (node shutdown, tests). */
export function closeSharedDb(dir: string): void {
  for (const sync of ['fsync', 'ordered'] as const) {
    const key = `${sync}:${dir}`;
    const db = connections.get(key);
    connections.delete(key);
    if (db?.open) db.close();
  }
}

// A -data directory: created if missing, locked against a second process
// (DIR/doozerd.lock holds the owner's PID), and its data file opened and
// checked (database.ts). A directory that holds other files but no data file
// is refused, so a typo cannot scatter our files into someone else's data.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { closeSharedDb, DataDirError, DB_FILE, openDb, readMeta, type Db } from './database.js';

export const LOCK_FILE = 'doozerd.lock';

/** What the node keeps about itself (meta table). */
export interface NodeIdentity {
  nodeId: string;
  cluster: string;
}

export interface DataDir {
  dir: string;
  /** The main thread's connection (boot, restore; actors open their own). */
  db: Db;
  /** Identity stored by an earlier run, or undefined for a new directory. */
  identity: NodeIdentity | undefined;
  /** Close the connection and remove the lock. */
  close(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take DIR/doozerd.lock for this process; throws DataDirError if a live process holds it. */
function lock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new DataDirError(`${file}: cannot create the lock file: ${(e as Error).message}`);
    }
    let pid = NaN;
    try {
      pid = Number(readFileSync(file, 'utf8').trim());
    } catch {
      // vanished meanwhile: try again
    }
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new DataDirError(`data directory ${dir} is in use by another doozerd (pid ${pid}, lock file ${file}); stop it first or give this node another -data`);
    }
    if (attempt >= 3) throw new DataDirError(`${file}: cannot take the lock (it keeps changing); is another doozerd starting on ${dir}?`);
    // A stale lock of a process that died (kill -9, power cut): take it over.
    try {
      unlinkSync(file);
    } catch {
      // someone else removed it
    }
  }
}

/**
 * Open the -data directory `dir` (creating it), lock it and check its data
 * file. Throws DataDirError (message names the file) when it is locked by a
 * live process, corrupt, foreign or of another format version.
 */
export function openDataDir(dir: string): DataDir {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new DataDirError(`-data ${dir}: cannot create the directory: ${(e as Error).message}`);
  }
  const isNew = !existsSync(join(dir, DB_FILE));
  if (isNew) {
    const others = readdirSync(dir).filter((f) => f !== LOCK_FILE);
    if (others.length > 0) {
      throw new DataDirError(`-data ${dir}: the directory holds other files (${others.slice(0, 3).join(', ')}) but no ${DB_FILE}; it is not a doozerd data directory: give an empty or new directory`);
    }
  }
  const unlock = lock(dir);
  let db: Db;
  try {
    db = openDb(dir, isNew);
  } catch (e) {
    unlock();
    throw e;
  }
  const meta = readMeta(db);
  const nodeId = meta.get('node_id');
  const cluster = meta.get('cluster');
  return {
    dir,
    db,
    identity: nodeId !== undefined && cluster !== undefined ? { nodeId, cluster } : undefined,
    close() {
      closeSharedDb(dir);
      if (db.open) db.close();
      unlock();
    },
  };
}

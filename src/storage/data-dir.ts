// A -data directory: created if missing, locked against a second process
// (DIR/doozerd.lock holds the owner's PID and start time), and its data file opened and
// checked (database.ts). A directory that holds other files but no data file
// is refused, so a typo cannot scatter our files into someone else's data.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { closeSharedDb, DataDirError, DB_FILE, openDb, readMeta, type Db } from './database.js';

export const LOCK_FILE = 'doozerd.lock';

/** What the node keeps about itself (meta table). */
export interface NodeIdentity {
  nodeId: string;
  cluster: string;
  /** The address (-l) it last started at; undefined in data from before it was kept. */
  addr?: string;
}

export interface DataDir {
  dir: string;
  /** The main thread's connection (boot, restore; actors open their own). */
  db: Db;
  /** Identity stored by an earlier run, or undefined for a new directory. */
  identity: NodeIdentity | undefined;
  /** The directory held no data file before this open (it was made now). */
  isNew: boolean;
  /** Close the connection and remove the lock. */
  close(): void;
  /**
   * Close, and remove what this open made: the data file (with its WAL and
   * index), the lock and the directories created. Only for a new directory
   * (isNew) whose start failed, so no half-made data dir is left behind.
   */
  discard(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What /proc says about a process (undefined: not readable, e.g. no /proc). */
export interface ProcInfo {
  /** The text of /proc/PID/stat. */
  stat: string | undefined;
  /** The text of /proc/PID/cmdline (arguments separated by NUL). */
  cmdline: string | undefined;
}

function readProc(pid: number): ProcInfo {
  const read = (f: string): string | undefined => {
    try {
      return readFileSync(`/proc/${pid}/${f}`, 'utf8');
    } catch {
      return undefined;
    }
  };
  return { stat: read('stat'), cmdline: read('cmdline') };
}

/** State letter and start time (clock ticks after boot) from a /proc/PID/stat text, or undefined if it does not parse. */
export function parseProcStat(stat: string): { state: string; start: string } | undefined {
  // "pid (comm) S ppid ... starttime ...": comm may hold spaces and parentheses.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return f.length > 19 && f[0] ? { state: f[0], start: f[19]! } : undefined;
}

/** Whether a /proc/PID/cmdline text is a doozerd node (bin/doozerd, or node running our main). */
export function looksLikeDoozerd(cmdline: string): boolean {
  const args = cmdline.split('\0').filter((a) => a !== '');
  return args.some((a) => /(^|\/)doozerd[^/]*$/.test(a) || /(^|\/)dist\/node\/main\.js$/.test(a)) || /doozerd/.test(args[0] ?? '');
}

/**
 * Why the lock of `pid` (started at clock tick `recordedStart`, when the lock
 * records it) is stale, or undefined when a live doozerd holds it
 * (docs/durability.md "The directory"). Stale: the pid is ours or no
 * process; a zombie (state Z: killed, not yet reaped); a process started at
 * another time than recorded (the pid was reused); or, when the lock records
 * no start time (an older lock), a process that is not a doozerd (its
 * cmdline). Without /proc, only "no process" counts.
 */
export function staleLockReason(pid: number, recordedStart: string | undefined, isAlive: boolean, proc: ProcInfo, self = process.pid): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return 'no valid pid in it';
  if (pid === self) return 'it names this process';
  if (!isAlive) return `process ${pid} is gone`;
  const st = proc.stat === undefined ? undefined : parseProcStat(proc.stat);
  if (st?.state === 'Z') return `process ${pid} is dead (a zombie not yet reaped)`;
  if (st && recordedStart !== undefined) {
    // The start time is exact: the same pid and start time is the process that wrote the lock (even a program embedding a node).
    return st.start !== recordedStart ? `pid ${pid} now belongs to a process started later` : undefined;
  }
  if (proc.cmdline !== undefined && proc.cmdline !== '' && !looksLikeDoozerd(proc.cmdline)) return `pid ${pid} now belongs to another program (${proc.cmdline.split('\0')[0]})`;
  return undefined;
}

/** This process's start time from /proc (undefined without /proc). */
function ownStart(): string | undefined {
  const stat = readProc(process.pid).stat;
  return stat === undefined ? undefined : parseProcStat(stat)?.start;
}

/** Take DIR/doozerd.lock for this process; throws DataDirError if a live process holds it. */
function lock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      const start = ownStart();
      writeSync(fd, start === undefined ? `${process.pid}\n` : `${process.pid} ${start}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim().split(' ')[0] === String(process.pid)) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new DataDirError(`${file}: cannot create the lock file: ${(e as Error).message}`);
    }
    let pid = NaN;
    let recordedStart: string | undefined;
    try {
      const [p, st] = readFileSync(file, 'utf8').trim().split(' ');
      pid = Number(p);
      recordedStart = st;
    } catch {
      // vanished meanwhile: try again
    }
    const stale = Number.isNaN(pid) ? 'unreadable' : staleLockReason(pid, recordedStart, alive(pid), readProc(pid));
    if (stale === undefined) {
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
  let madeFrom: string | undefined;
  try {
    madeFrom = mkdirSync(dir, { recursive: true });
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
  const addr = meta.get('addr');
  const close = (): void => {
    closeSharedDb(dir);
    if (db.open) db.close();
    unlock();
  };
  return {
    dir,
    db,
    identity: nodeId !== undefined && cluster !== undefined ? { nodeId, cluster, ...(addr !== undefined ? { addr } : {}) } : undefined,
    isNew,
    close,
    discard() {
      close();
      if (!isNew) return;
      for (const f of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, `${DB_FILE}-journal`]) rmSync(join(dir, f), { force: true });
      if (madeFrom === undefined) return;
      // The directories mkdir made, deepest first, while empty.
      const top = resolve(madeFrom);
      for (let d = resolve(dir); ; d = dirname(d)) {
        try {
          rmdirSync(d);
        } catch {
          return;
        }
        if (d === top || dirname(d) === d) return;
      }
    },
  };
}

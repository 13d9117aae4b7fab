// The -data directory: lock, refusal of corrupt and foreign data, and the
// acceptor records, chosen log and snapshot round trips.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { openDataDir, LOCK_FILE, looksLikeDoozerd, parseProcStat, staleLockReason } from '../../../src/storage/data-dir.js';
import { DataDirError, writeMeta } from '../../../src/storage/database.js';
import { AcceptorRecords } from '../../../src/storage/acceptor-records.js';
import { ChosenLog } from '../../../src/storage/chosen-log.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'doozerd-data-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

describe('data directory', () => {
  it('creates a new directory, keeps the identity, and locks it', () => {
    const dir = join(tmp(), 'new');
    const d = openDataDir(dir);
    expect(d.identity).toBeUndefined();
    writeMeta(d.db, { node_id: 'N1', cluster: 'c' });
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim().split(' ')[0]).toBe(String(process.pid));
    d.close();
    const again = openDataDir(dir);
    expect(again.identity).toEqual({ nodeId: 'N1', cluster: 'c' });
    again.close();
  });

  /** A live process whose cmdline looks like a doozerd node (an argument named .../bin/doozerd). */
  function fakeDoozerd(): ReturnType<typeof spawn> {
    return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', '/opt/doozerd/bin/doozerd']);
  }
  const startOf = (pid: number): string => parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))!.start;

  it('refuses a directory locked by a live doozerd, takes over a stale lock', async () => {
    const dir = tmp();
    const child = fakeDoozerd();
    try {
      writeFileSync(join(dir, LOCK_FILE), `${child.pid}\n`);
      expect(() => openDataDir(dir)).toThrow(new RegExp(`in use by another doozerd \\(pid ${child.pid}, lock file .*${LOCK_FILE}\\)`));
      writeFileSync(join(dir, LOCK_FILE), `${child.pid} ${startOf(child.pid!)}\n`);
      expect(() => openDataDir(dir)).toThrow(/in use by another doozerd/);
      // The same pid with another start time: the pid was reused, the lock is stale.
      writeFileSync(join(dir, LOCK_FILE), `${child.pid} 1\n`);
      openDataDir(dir).close();
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    writeFileSync(join(dir, LOCK_FILE), `${child.pid}\n`);
    const d = openDataDir(dir); // the holder died: stale lock
    // The new lock records our pid and start time.
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(`${process.pid} ${startOf(process.pid)}`);
    d.close();
  });

  it('takes over a lock whose pid now belongs to another program (sleep)', async () => {
    const dir = tmp();
    const child = spawn('sleep', ['60']);
    try {
      await new Promise((r) => child.once('spawn', r));
      writeFileSync(join(dir, LOCK_FILE), `${child.pid}\n`);
      openDataDir(dir).close();
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('stale-lock rules: gone, zombie, reused pid, another program; a live doozerd holds it', () => {
    const stat = (state: string, start = '4242'): string =>
      `77 (node (x) y) ${state} 1 77 77 0 -1 4194560 100 0 0 0 5 1 0 0 20 0 11 0 ${start} 1000 50 18446744073709551615`;
    const doozerd = 'node\0--max-semi-space-size=4\0/srv/doozerd/bin/doozerd\0-l\x00127.0.0.1:8046\0';
    expect(parseProcStat(stat('S'))).toEqual({ state: 'S', start: '4242' });
    expect(staleLockReason(77, '4242', true, { stat: stat('S'), cmdline: doozerd }, 1)).toBeUndefined();
    expect(staleLockReason(77, undefined, true, { stat: stat('R'), cmdline: doozerd }, 1)).toBeUndefined();
    expect(staleLockReason(77, undefined, true, { stat: undefined, cmdline: undefined }, 1)).toBeUndefined(); // no /proc: alive is all we know
    expect(staleLockReason(77, '4242', false, { stat: undefined, cmdline: undefined }, 1)).toMatch(/gone/);
    expect(staleLockReason(77, '4242', true, { stat: stat('Z'), cmdline: '' }, 1)).toMatch(/zombie/);
    expect(staleLockReason(77, '4242', true, { stat: stat('S', '9999'), cmdline: doozerd }, 1)).toMatch(/started later/);
    expect(staleLockReason(77, undefined, true, { stat: stat('S'), cmdline: 'sleep\x0060\0' }, 1)).toMatch(/another program \(sleep\)/);
    // Recorded start time matches: that is the lock's writer, whatever its cmdline (a program embedding a node).
    expect(staleLockReason(77, '4242', true, { stat: stat('S'), cmdline: 'node\0myapp.js\0' }, 1)).toBeUndefined();
    expect(staleLockReason(77, '4242', true, { stat: stat('S', '1'), cmdline: 'sleep\x0060\0' }, 1)).toMatch(/started later/);
    expect(staleLockReason(1, undefined, true, { stat: stat('S'), cmdline: doozerd }, 1)).toMatch(/this process/);
    expect(staleLockReason(0, undefined, true, { stat: undefined, cmdline: undefined }, 1)).toMatch(/no valid pid/);
    expect(looksLikeDoozerd('/usr/bin/node\0/app/node_modules/doozerd-ts/bin/doozerd\0')).toBe(true);
    expect(looksLikeDoozerd('node\0/repo/dist/node/main.js\0')).toBe(true);
    expect(looksLikeDoozerd('node\0server.js\0')).toBe(false);
    expect(looksLikeDoozerd('sleep\x0060\0')).toBe(false);
  });

  it('refuses a corrupt data file, naming it', () => {
    const dir = tmp();
    openDataDir(dir).close();
    writeFileSync(join(dir, 'doozerd.db'), Buffer.alloc(8192, 0x41));
    rmSync(join(dir, 'doozerd.db-wal'), { force: true });
    expect(() => openDataDir(dir)).toThrow(DataDirError);
    expect(() => openDataDir(dir)).toThrow(/doozerd\.db: .*(not a database|refusing)/);
  });

  it('refuses a foreign directory and a foreign SQLite file', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'member'), 'etcd data');
    expect(() => openDataDir(dir)).toThrow(/holds other files \(member\) but no doozerd\.db/);
    const dir2 = tmp();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(dir2, 'doozerd.db'));
    db.exec('CREATE TABLE t (x)');
    db.close();
    expect(() => openDataDir(dir2)).toThrow(/doozerd\.db: refusing to use it: it is not a doozerd data file/);
  });
});

describe('records', () => {
  it('acceptor states round-trip', () => {
    const d = openDataDir(tmp());
    const r = new AcceptorRecords(d.db);
    r.save([{ seqn: 3, rnd: 2, vrnd: 0, vval: new Uint8Array() }, { seqn: 4, rnd: 5, vrnd: 5, vval: b('v') }]);
    r.save([{ seqn: 3, rnd: 7, vrnd: 7, vval: b('w') }]);
    expect(r.load().map((x) => ({ ...x, vval: Buffer.from(x.vval).toString() }))).toEqual([
      { seqn: 3, rnd: 7, vrnd: 7, vval: 'w' },
      { seqn: 4, rnd: 5, vrnd: 5, vval: 'v' },
    ]);
    d.close();
  });

  it('the chosen log replays contiguously after the snapshot, which drops what it covers', () => {
    const d = openDataDir(tmp());
    const log = new ChosenLog(d.db);
    const acc = new AcceptorRecords(d.db);
    log.append([1, 2, 3, 5].map((seqn) => ({ seqn, mutation: b(`m${seqn}`) })));
    let s = log.load();
    expect(s.rev).toBe(0);
    expect(s.log.map((e) => e.seqn)).toEqual([1, 2, 3]); // 5 is after a gap
    acc.save([2, 3, 4].map((seqn) => ({ seqn, rnd: 1, vrnd: 1, vval: b('x') })));
    log.snapshot(3, [{ path: '/a', body: b('A'), rev: 2 }]);
    log.append([{ seqn: 4, mutation: b('m4') }]);
    s = log.load();
    expect(s.rev).toBe(3);
    expect(s.files.map((f) => [f.path, Buffer.from(f.body).toString(), f.rev])).toEqual([['/a', 'A', 2]]);
    expect(s.log.map((e) => e.seqn)).toEqual([4, 5]);
    expect(acc.load().map((a) => a.seqn)).toEqual([4]);
    d.close();
  });
});

// The web view's store mirror against a scripted store (no process): snapshot
// then events, and a fresh snapshot when the stream has a gap or stops.
import { AppliedFreshness, STALE_PULSES } from '../../src/net/http/cal-freshness.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../src/runtime/message.js';
import type { ActorSystem } from '../../src/runtime/system.js';
import type { StoreEvent } from '../../src/actors/store/store.js';
import { StoreMirror } from '../../src/net/http/mirror.js';
import { statusView, treeRows, filesUnder, viewBody } from '../../src/net/http/view-model.js';

class FakeSystem implements ActorSystem {
  readonly endpoints = new Map<string, (m: Message) => void>();
  readonly sent: { to: string; msg: Message & Record<string, unknown> }[] = [];
  spawn(): void {}
  spawnSupervisor(): void {}
  stop(): void {}
  onExit(): void {}
  stats(): [] {
    return [];
  }
  stopAll(): void {}
  send<M extends Message>(to: string, msg: M): boolean {
    this.sent.push({ to, msg: msg as unknown as Message & Record<string, unknown> });
    return true;
  }
  registerEndpoint(name: string, deliver: (msg: Message) => void): () => void {
    this.endpoints.set(name, deliver);
    return () => this.endpoints.delete(name);
  }
  /** The last snapshot request and its endpoint. */
  lastSnapshot(): { replyTo: string; subscribe: boolean } {
    const s = this.sent.filter((x) => x.msg.type === 'snapshot').at(-1)!;
    return s.msg as unknown as { replyTo: string; subscribe: boolean };
  }
  deliver(to: string, msg: Message): void {
    this.endpoints.get(to)?.(msg);
  }
}

const b = (s: string): Uint8Array => Buffer.from(s);
const ev = (seqn: number, path: string, body: string, flags: 0 | 4 | 8 = 4): StoreEvent => ({ seqn, path, body: b(body), flags, mutation: b('') });

describe('StoreMirror', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts from a snapshot (subscribing in the same step) and applies events in order', () => {
    const sys = new FakeSystem();
    const m = new StoreMirror(sys);
    const seen: string[] = [];
    m.listen({ reset: () => seen.push(`reset@${m.rev}`), event: (e) => seen.push(`${e.seqn}:${e.path}`) });
    m.start();
    const req = sys.lastSnapshot();
    expect(req.subscribe).toBe(true);
    sys.deliver(req.replyTo, { type: 'store-snapshot', tag: 0, rev: 7, files: [{ path: '/a', body: b('1'), rev: 3 }] } as Message);
    sys.deliver(req.replyTo, { type: 'store-event', event: ev(7, '/old', 'x') } as Message); // not after the snapshot: ignored
    sys.deliver(req.replyTo, { type: 'store-event', event: ev(8, '/b', '2') } as Message);
    sys.deliver(req.replyTo, { type: 'store-event', event: ev(9, '/a', '', 8) } as Message);
    sys.deliver(req.replyTo, { type: 'store-event', event: ev(10, '/', '', 0) } as Message);
    expect(seen).toEqual(['reset@7', '8:/b', '9:/a', '10:/']);
    expect(m.rev).toBe(10);
    expect([...m.files.keys()]).toEqual(['/b']);
    m.stop();
  });

  it('takes a new snapshot when the stream skips a rev', () => {
    const sys = new FakeSystem();
    const m = new StoreMirror(sys);
    m.start();
    const first = sys.lastSnapshot().replyTo;
    sys.deliver(first, { type: 'store-snapshot', tag: 0, rev: 5, files: [] } as Message);
    sys.deliver(first, { type: 'store-event', event: ev(7, '/b', '2') } as Message);
    const second = sys.lastSnapshot().replyTo;
    expect(second).not.toBe(first);
    expect(sys.endpoints.has(first)).toBe(false);
    expect(sys.sent.some((s) => s.msg.type === 'unsubscribe' && s.msg.subscriber === first)).toBe(true);
    expect(m.ready).toBe(false);
    sys.deliver(second, { type: 'store-snapshot', tag: 0, rev: 7, files: [{ path: '/b', body: b('2'), rev: 7 }] } as Message);
    expect(m.ready).toBe(true);
    expect(m.rev).toBe(7);
    m.stop();
  });

  it('takes a new snapshot when the store moves on but its events stop (store restarted)', () => {
    vi.useFakeTimers();
    const sys = new FakeSystem();
    const m = new StoreMirror(sys);
    m.start();
    const first = sys.lastSnapshot().replyTo;
    sys.deliver(first, { type: 'store-snapshot', tag: 0, rev: 5, files: [] } as Message);
    const answerRev = (rev: number): void => {
      const q = sys.sent.filter((s) => s.msg.type === 'rev').at(-1)!;
      sys.deliver(first, { type: 'reply', tag: q.msg.tag, response: { rev } } as Message);
    };
    vi.advanceTimersByTime(2000);
    answerRev(5); // in step
    vi.advanceTimersByTime(2000);
    answerRev(9); // behind: could be events in flight
    expect(sys.lastSnapshot().replyTo).toBe(first);
    vi.advanceTimersByTime(2000);
    answerRev(12); // still behind rev 9 a whole interval later: stalled
    expect(sys.lastSnapshot().replyTo).not.toBe(first);
    m.stop();
  });
});

describe('view model', () => {
  it('shows UTF-8 text as text and anything else as hex with its length', () => {
    expect(viewBody(b('héllo\n\tworld'))).toEqual({ s: 'héllo\n\tworld' });
    expect(viewBody(Uint8Array.from([0xff, 0x00]))).toEqual({ x: 'ff00', n: 2 });
    expect(viewBody(b('a\u0000b'))).toEqual({ x: '610062', n: 3 });
    expect(viewBody(b(''))).toEqual({ s: '' });
  });

  it('builds tree rows in display order with directory rows before their contents', () => {
    const files = new Map(
      ['/a/b-c', '/a/b/x', '/a/b/y/z', '/a/b0', '/top'].map((p, i) => [p, { body: b(String(i)), rev: i + 1 }] as const),
    );
    const rows = treeRows(filesUnder(files, '/'), '/');
    expect(rows.map((r) => `${'  '.repeat(r.depth)}${r.name}`)).toEqual([
      'a/', '  b-c', '  b/', '    x', '    y/', '      z', '  b0', 'top',
    ]);
    const sub = treeRows(filesUnder(files, '/a/b/'), '/a/b/');
    expect(sub.map((r) => r.key)).toEqual(['/a/b/x', '/a/b/y/', '/a/b/y/z']);
  });

  it('derives the status strip from /ctl', () => {
    const f = (s: string): { body: Uint8Array; rev: number } => ({ body: b(s), rev: 1 });
    const files = new Map([
      ['/ctl/name', f('prod')],
      ['/ctl/cal/10', f('')],
      ['/ctl/cal/0', f('AAAA')],
      ['/ctl/cal/1', f('BBBB')],
      ['/ctl/node/AAAA/addr', f('10.0.0.1:8046')],
      ['/ctl/node/AAAA/applied', f('99')],
      ['/ctl/node/BBBB/addr', f('10.0.0.2:8046')],
    ]);
    expect(statusView(files, 'BBBB')).toEqual({
      cluster: 'prod',
      nodeId: 'BBBB',
      role: 'CAL',
      cals: [
        { slot: '0', id: 'AAAA', addr: '10.0.0.1:8046', applied: '99', stale: false },
        { slot: '1', id: 'BBBB', addr: '10.0.0.2:8046', applied: '', stale: false },
        { slot: '10', id: '', addr: '', applied: '', stale: false },
      ],
    });
    expect(statusView(files, 'CCCC').role).toBe('slave');
  });

  it('marks a CAL stale when its applied rev has not moved for 3 pulses', () => {
    const f = (s: string): { body: Uint8Array; rev: number } => ({ body: b(s), rev: 1 });
    let now = 0;
    const fresh = new AppliedFreshness(STALE_PULSES * 1000, () => now);
    const files = new Map([
      ['/ctl/cal/0', f('AAAA')],
      ['/ctl/cal/1', f('BBBB')],
      ['/ctl/node/AAAA/applied', f('10')],
      ['/ctl/node/BBBB/applied', f('10')],
    ]);
    const stale = (): boolean[] => statusView(files, 'AAAA', fresh).cals.map((c) => c.stale);
    expect(stale()).toEqual([false, false]);
    now = 2999;
    files.set('/ctl/node/AAAA/applied', f('13'));
    expect(stale()).toEqual([false, false]);
    now = 3000;
    expect(stale()).toEqual([false, true]); // BBBB: still 10 after 3 pulses
    files.set('/ctl/node/BBBB/applied', f('14'));
    expect(stale()).toEqual([false, false]); // moving again
    now = 5999;
    expect(stale()).toEqual([true, false]); // AAAA: 13 since t=2999; BBBB: 14 since t=3000
  });
});

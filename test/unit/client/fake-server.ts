// A tiny doozer-speaking TCP server for client and CLI unit tests, on
// 127.0.0.1 and an ephemeral port. Either give it a raw handler (full
// control over what is answered and when), or use memoryStore() for a small
// in-memory store that is good enough to drive the client and the CLI.
import net from 'node:net';
import { decodeRequest, encodeResponse, ErrCode, FLAG_DEL, FLAG_SET, Verb } from '../../../src/wire/client-codec.js';
import type { Request, Response } from '../../../src/wire/client-codec.js';
import { FrameReader, frame } from '../../../src/wire/framing.js';
import { globRegExp } from '../../../src/check/watch.js';

export interface FakeConn {
  /** Sends a response (tag included by the caller). */
  reply(r: Response): void;
  /** Sends raw bytes. */
  raw(b: Uint8Array): void;
  /** Drops the connection. */
  destroy(): void;
  socket: net.Socket;
}

export type Handler = (req: Request, conn: FakeConn) => void;

export interface FakeServer {
  port: number;
  address: string;
  uri: string;
  /** Every request received, in arrival order. */
  requests: Request[];
  connections: net.Socket[];
  close(): Promise<void>;
}

export async function startFakeServer(handler: Handler): Promise<FakeServer> {
  const requests: Request[] = [];
  const connections: net.Socket[] = [];
  const server = net.createServer((socket) => {
    connections.push(socket);
    const reader = new FrameReader();
    const conn: FakeConn = {
      reply: (r) => {
        if (!socket.destroyed) socket.write(frame(encodeResponse(r)));
      },
      raw: (b) => {
        if (!socket.destroyed) socket.write(b);
      },
      destroy: () => socket.destroy(),
      socket,
    };
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        const req = decodeRequest(f);
        requests.push(req);
        handler(req, conn);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    uri: `doozer:?ca=127.0.0.1:${port}`,
    requests,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of connections) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface FileEntry {
  value: Buffer;
  rev: number;
}
interface Ev {
  rev: number;
  path: string;
  value: Buffer;
  flags: number;
}

const PATH_RE = /^\/$|^(\/[A-Za-z0-9.-]+)+$/;

/** The glob as a RegExp (the checker's globRegExp), or undefined when it holds a character no path may hold. */
export function globToRegExp(glob: string): RegExp | undefined {
  return /^[A-Za-z0-9.\-/*?]*$/.test(glob) ? globRegExp(glob) : undefined;
}

/**
 * A small in-memory store: GET SET DEL REV NOP SELF STAT GETDIR WALK WAIT
 * ACCESS, at the current rev only (a rev in GET etc. is accepted and
 * ignored), with the protocol's error codes for the common cases.
 */
export function memoryStore(opts: { id?: string; secret?: string; readonly?: boolean } = {}) {
  const files = new Map<string, FileEntry>();
  const events: Ev[] = [];
  const waiters: Array<{ re: RegExp; from: number; tag?: number; conn: FakeConn }> = [];
  let rev = 1;
  const granted = new WeakSet<FakeConn>();

  const isDir = (p: string): boolean => {
    const prefix = p === '/' ? '/' : p + '/';
    for (const k of files.keys()) if (k.startsWith(prefix)) return true;
    return false;
  };
  const entries = (p: string): string[] => {
    const prefix = p === '/' ? '/' : p + '/';
    const names = new Set<string>();
    for (const k of files.keys()) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split('/')[0]!);
    return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  };
  const walkOrder = (): string[] => {
    const out: string[] = [];
    const visit = (p: string): void => {
      for (const name of entries(p)) {
        const child = p === '/' ? `/${name}` : `${p}/${name}`;
        if (files.has(child)) out.push(child);
        else visit(child);
      }
    };
    visit('/');
    return out;
  };
  const emit = (ev: Ev): void => {
    events.push(ev);
    for (let i = 0; i < waiters.length; ) {
      const w = waiters[i]!;
      const match = ev.flags === 0 ? w.re.test('/') && w.re.source === '^\\/.*$' : w.re.test(ev.path);
      if (ev.rev >= w.from && match) {
        waiters.splice(i, 1);
        w.conn.reply({ tag: w.tag, path: ev.path, rev: ev.rev, value: ev.value, flags: ev.flags });
      } else i++;
    }
  };

  const handler: Handler = (req, conn) => {
    const tag = req.tag;
    const err = (code: keyof typeof ErrCode, detail?: string): void =>
      conn.reply({ tag, errCode: ErrCode[code], errDetail: detail });
    const needSecret = opts.secret !== undefined && !granted.has(conn);
    const reads: number[] = [Verb.GET, Verb.STAT, Verb.GETDIR, Verb.WALK, Verb.WAIT];
    const writes: number[] = [Verb.SET, Verb.DEL, Verb.NOP];
    if (needSecret && (reads.includes(req.verb ?? 0) || writes.includes(req.verb ?? 0))) {
      return err('OTHER', 'permission denied');
    }
    if (opts.readonly && writes.includes(req.verb ?? 0)) return err('READONLY');
    switch (req.verb) {
      case Verb.REV:
        return conn.reply({ tag, rev });
      case Verb.SELF:
        return conn.reply({ tag, value: Buffer.from(opts.id ?? 'FAKEFAKEFAKEFAKE') });
      case Verb.ACCESS:
        if (opts.secret !== undefined && Buffer.from(req.value ?? []).toString() === opts.secret) {
          granted.add(conn);
          return conn.reply({ tag });
        }
        return err('OTHER', 'permission denied');
      case Verb.NOP:
        rev++;
        emit({ rev, path: '/', value: Buffer.alloc(0), flags: 0 });
        return conn.reply({ tag });
      case Verb.GET: {
        if (req.path === undefined) return err('MISSING_ARG');
        if (!PATH_RE.test(req.path)) return err('BAD_PATH');
        if (isDir(req.path)) return err('ISDIR');
        const f = files.get(req.path);
        return conn.reply({ tag, value: f?.value ?? Buffer.alloc(0), rev: f?.rev ?? 0 });
      }
      case Verb.STAT: {
        if (req.path === undefined) return err('MISSING_ARG');
        if (!PATH_RE.test(req.path)) return err('BAD_PATH');
        if (isDir(req.path)) return conn.reply({ tag, rev: -2, len: entries(req.path).length });
        const f = files.get(req.path);
        return conn.reply({ tag, rev: f?.rev ?? 0, len: f?.value.length ?? 0 });
      }
      case Verb.SET:
      case Verb.DEL: {
        if (req.path === undefined || req.rev === undefined) return err('MISSING_ARG');
        if (!PATH_RE.test(req.path) || req.path === '/') return err('BAD_PATH');
        if (isDir(req.path)) return err('ISDIR');
        const parts = req.path.split('/');
        for (let i = 2; i < parts.length; i++) {
          if (files.has(parts.slice(0, i).join('/'))) return err('NOTDIR');
        }
        const cur = files.get(req.path)?.rev ?? 0;
        if (req.rev !== -1 && req.rev < cur) {
          rev++;
          return err('REV_MISMATCH');
        }
        rev++;
        if (req.verb === Verb.SET) {
          const value = Buffer.from(req.value ?? []);
          files.set(req.path, { value, rev });
          emit({ rev, path: req.path, value, flags: FLAG_SET });
          return conn.reply({ tag, rev });
        }
        files.delete(req.path);
        emit({ rev, path: req.path, value: Buffer.alloc(0), flags: FLAG_DEL });
        return conn.reply({ tag });
      }
      case Verb.GETDIR: {
        if (req.path === undefined || req.offset === undefined) return err('MISSING_ARG');
        if (files.has(req.path)) return err('NOTDIR');
        if (!isDir(req.path)) return err('NOENT');
        const names = entries(req.path);
        if (req.offset < 0 || req.offset >= names.length) return err('RANGE');
        return conn.reply({ tag, path: names[req.offset]! });
      }
      case Verb.WALK: {
        if (req.path === undefined || req.offset === undefined) return err('MISSING_ARG');
        const re = globToRegExp(req.path);
        if (!re) return err('OTHER', `invalid glob pattern: ${req.path}`);
        const matches = walkOrder().filter((p) => re.test(p));
        if (req.offset < 0 || req.offset >= matches.length) return err('RANGE');
        const p = matches[req.offset]!;
        const f = files.get(p)!;
        return conn.reply({ tag, path: p, rev: f.rev, value: f.value, flags: FLAG_SET });
      }
      case Verb.WAIT: {
        if (req.path === undefined || req.rev === undefined) return err('MISSING_ARG');
        const re = globToRegExp(req.path);
        if (!re) return err('OTHER', `invalid glob pattern: ${req.path}`);
        const from = req.rev;
        const hit = events.find(
          (e) => e.rev >= from && (e.flags === 0 ? re.source === '^\\/.*$' : re.test(e.path)),
        );
        if (hit) return conn.reply({ tag, path: hit.path, rev: hit.rev, value: hit.value, flags: hit.flags });
        waiters.push({ re, from, tag, conn });
        return;
      }
      default:
        return err('UNKNOWN_VERB');
    }
  };
  return {
    handler,
    files,
    events,
    get rev() {
      return rev;
    },
    /** Applies a write as if another client made it. */
    set(path: string, value: string): number {
      rev++;
      const v = Buffer.from(value);
      files.set(path, { value: v, rev });
      emit({ rev, path, value: v, flags: FLAG_SET });
      return rev;
    },
    del(path: string): number {
      rev++;
      files.delete(path);
      emit({ rev, path, value: Buffer.alloc(0), flags: FLAG_DEL });
      return rev;
    },
    pendingWaits: () => waiters.length,
  };
}

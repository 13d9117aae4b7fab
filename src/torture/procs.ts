// Real bin/doozerd processes for the fuzzers and the torture run: start one
// on a chosen address, wait until it answers REV, keep the tail of its
// stderr, signal it by PID. (The test suite has its own helpers in
// test/helpers; this is the small subset the torture tools need at run time.)
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Client } from '../client/client.js';

/** The repository root (dist/torture/procs.js -> ../../). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DOOZERD_BIN = join(REPO_ROOT, 'bin/doozerd');

export interface Doozerd {
  host: string;
  port: number;
  /** host:port, the -l address. */
  addr: string;
  pid: number;
  child: ChildProcess;
  /** Last 64 KiB of stderr. */
  stderr(): string;
  /** undefined while running. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

const live = new Set<Doozerd>();
let hooked = false;

/** Starts `node bin/doozerd -l host:port -w false ...args`, resolves when it answers REV (answersRev; deadline `readyMs`, default 15 s). */
export async function startDoozerd(host: string, port: number, args: string[] = [], readyMs = 15_000, env: Record<string, string> = {}): Promise<Doozerd> {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const d of live) {
        try {
          process.kill(d.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    });
  }
  const addr = `${host}:${port}`;
  const child = spawn(process.execPath, [DOOZERD_BIN, '-l', addr, '-w', 'false', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    err = (err + s).slice(-65536);
  });
  let status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
    child.once('error', () => {
      status ??= { code: null, signal: null };
      resolve(status);
    });
  });
  const d: Doozerd = {
    host, port, addr, pid: child.pid ?? -1, child, exited,
    stderr: () => err,
    exit: () => status,
    async kill() {
      if (!status) {
        try {
          process.kill(d.pid, 'SIGCONT');
          process.kill(d.pid, 'SIGKILL');
        } catch {
          // gone
        }
        await exited;
      }
      live.delete(d);
    },
  };
  live.add(d);
  const deadline = Date.now() + readyMs;
  for (;;) {
    if (status) throw new Error(`doozerd ${addr} exited at start (code ${status.code}, signal ${status.signal}):\n${err.slice(-2000)}`);
    if (await answersRev(host, port)) return d;
    if (Date.now() > deadline) {
      await d.kill();
      throw new Error(`doozerd ${addr} did not answer REV within ${readyMs} ms:\n${err.slice(-2000)}`);
    }
    await sleep(30);
  }
}

/** Kills every doozerd started here. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((d) => d.kill()));
}

export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(t);
      s.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Whether the node at host:port answers REV within `timeoutMs`: it serves
 * clients. (Its port accepts from the first moment of its start, before it
 * serves: src/net/client-port.ts; REV needs no secret, spec/protocol.md.)
 */
export async function answersRev(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  let client: Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const asked = (async (): Promise<boolean> => {
    client = await Client.dial(`${host}:${port}`, { connectTimeoutMs: timeoutMs });
    await client.rev();
    return true;
  })().catch(() => false);
  try {
    return await Promise.race([asked, late]);
  } finally {
    clearTimeout(timer);
    void asked.then(() => client?.close().catch(() => undefined));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A port that is free now for TCP and UDP on `host` (random, 20000-32000, checked by binding). */
export async function freePort(host: string): Promise<number> {
  const dgram = await import('node:dgram');
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const tcpOk = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
    });
    if (!tcpOk) continue;
    const udpOk = await new Promise<boolean>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => {
        s.close();
        resolve(false);
      });
      s.bind({ address: host, port, exclusive: true }, () => s.close(() => resolve(true)));
    });
    if (udpOk) return port;
  }
  throw new Error(`no free port on ${host}`);
}

/** Waits for `probe` to return a value other than undefined/false, polling every `everyMs`; throws after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

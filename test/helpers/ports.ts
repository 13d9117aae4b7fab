// Ports for tests: pick free ones, wait until one answers.
import dgram from 'node:dgram';
import net from 'node:net';
import { DEADLINE } from './deadlines.js';

/** Test ports come from here (see freePort): below the kernel's ephemeral
 * range (32768+), so no outgoing connection can take one. */
const RANGE_LOW = 20_000;
const RANGE_HIGH = 32_000;
/** The range is cut into this many slices, one per vitest worker (maxWorkers
 * is 2; 4 slices leave room for -maxWorkers 4). */
const SLICES = 4;

/** This vitest worker's slice number (0-based) from VITEST_POOL_ID (1-based); 0 outside vitest. */
export function portSlice(): number {
  const id = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? 1);
  return Number.isInteger(id) && id >= 1 ? (id - 1) % SLICES : 0;
}

/** Two workers never pick from the same slice, so they cannot race for a port;
 * inside a worker `handedOut` keeps every port ever handed out, so a stopped
 * node's port is never given to another node (a test may restart a node on
 * its own port, nobody else can take it meanwhile). */
const SLICE_SIZE = Math.floor((RANGE_HIGH - RANGE_LOW) / SLICES);
const TEST_PORT_LOW = RANGE_LOW + portSlice() * SLICE_SIZE;
const TEST_PORT_HIGH = TEST_PORT_LOW + SLICE_SIZE;

/** Ports handed out by this process, so two calls never return the same one. */
const handedOut = new Set<number>();

function listenTcp(host: string, port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ host, port, exclusive: true }, () => resolve(srv));
  });
}

function closeTcp(srv: net.Server): Promise<void> {
  return new Promise((resolve) => srv.close(() => resolve()));
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind({ address: host, port, exclusive: true }, () => sock.close(() => resolve(true)));
  });
}

export interface FreePortOptions {
  /** Also require the UDP port of the same number to be free (doozerd uses
   * its -l port for TCP and UDP). Default true. */
  udp?: boolean;
}

/**
 * A port that is free right now on `host` (TCP, and UDP unless udp: false),
 * picked at random below the ephemeral range and checked by binding it.
 */
export async function freePort(host = '127.0.0.1', opts: FreePortOptions = {}): Promise<number> {
  const checkUdp = opts.udp ?? true;
  for (let attempt = 0; attempt < 200; attempt++) {
    // Random within this worker's slice: other vitest runs on the machine
    // rarely pick the same one, and the bind check below catches the rest.
    const port = TEST_PORT_LOW + Math.floor(Math.random() * (TEST_PORT_HIGH - TEST_PORT_LOW));
    if (handedOut.has(port)) continue;
    const srv = await listenTcp(host, port);
    if (!srv) continue;
    await closeTcp(srv);
    if (checkUdp && !(await udpFree(host, port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found on ${host} in ${TEST_PORT_LOW}-${TEST_PORT_HIGH} after 200 attempts`);
}

/** `n` distinct free ports. */
export async function freePorts(n: number, host = '127.0.0.1', opts: FreePortOptions = {}): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) out.push(await freePort(host, opts));
  return out;
}

/** True if a TCP connection to host:port succeeds within timeoutMs. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export interface WaitForPortOptions {
  /** Give up after this long (default DEADLINE.start). */
  timeoutMs?: number;
  /** Delay between attempts (default 25 ms). */
  intervalMs?: number;
  /** Called between attempts: return a string to abort with that reason
   * (e.g. "process exited with code 1"), anything else to keep waiting. */
  check?: () => string | undefined;
  /** Extra text for the timeout error (e.g. the process's stderr). */
  describe?: () => string;
}

/** Resolves once host:port accepts TCP connections; rejects at the deadline. */
export async function waitForPort(port: number, host = '127.0.0.1', opts: WaitForPortOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? DEADLINE.start;
  const intervalMs = opts.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stop = opts.check?.();
    if (stop !== undefined) {
      throw new Error(`gave up waiting for ${host}:${port}: ${stop}${opts.describe ? `\n${opts.describe()}` : ''}`);
    }
    if (await canConnect(port, host, Math.max(100, Math.min(1000, deadline - Date.now())))) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `${host}:${port} did not accept connections within ${timeoutMs} ms${opts.describe ? `\n${opts.describe()}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

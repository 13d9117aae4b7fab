// Real processes for e2e tests: start doozerd nodes (or any command), wait
// until they answer (a doozerd: REV; anything else: its TCP port accepts;
// deadline, no fixed sleeps), collect their
// output for failure messages, stop them by PID. Also runs the doozer CLI.
//
//   const node = await startDoozerd();                 // -l 127.0.0.1:<free> -w false
//   const peer = await startDoozerd({ args: ['-a', node.addr] });
//   const r = await runDoozer(['-a', node.uri, 'rev']);  // { code, stdout, stderr }
//   await stopAll();                                    // in afterAll
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEADLINE } from './deadlines.js';
import { freePort, waitForPort } from './ports.js';
import { answersRev } from '../../src/torture/procs.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DOOZERD_BIN = join(REPO_ROOT, 'bin/doozerd');
export const DOOZER_BIN = join(REPO_ROOT, 'bin/doozer');

/** Keep at most this much of each output stream (the tail). */
const OUTPUT_CAP = 1024 * 1024;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  /** A short name for messages, e.g. "doozerd 127.0.0.1:41234". */
  name: string;
  pid: number;
  child: ChildProcess;
  /** Everything written to stdout / stderr so far (last 1 MiB). */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<ExitStatus>;
  /** undefined while running. */
  exitStatus(): ExitStatus | undefined;
  /** Name, pid, exit status and the tail of stderr: for assertion messages. */
  describe(): string;
  /** Sends `signal` (default SIGKILL) by PID and waits for the exit;
   * SIGTERM escalates to SIGKILL after `graceMs` (default DEADLINE.exit). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitStatus>;
}

export interface StartProcessOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  name?: string;
  /** Wait until this TCP port accepts connections before resolving. */
  readyPort?: number;
  readyHost?: string;
  /** Deadline for readiness (default 15 s). */
  readyTimeoutMs?: number;
}

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Never leave nodes behind, even if a test run dies without afterAll.
  process.once('exit', () => {
    for (const p of live) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

function tail(text: string, lines = 30): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/** Starts any command; optionally waits for its TCP port. */
export async function startProcess(
  command: string,
  args: readonly string[],
  opts: StartProcessOptions = {},
): Promise<ManagedProcess> {
  installExitHook();
  const child = spawn(command, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (s: string) => {
    out = (out + s).slice(-OUTPUT_CAP);
  });
  child.stderr!.on('data', (s: string) => {
    err = (err + s).slice(-OUTPUT_CAP);
  });
  let status: ExitStatus | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('error', (e) => {
      spawnError = e;
      status ??= { code: null, signal: null };
      resolve(status);
    });
    child.once('exit', (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
  });
  const name = opts.name ?? [command, ...args].join(' ');
  const proc: ManagedProcess = {
    name,
    pid: child.pid ?? -1,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    exitStatus: () => status,
    describe() {
      const st = status
        ? `exited (code ${status.code}, signal ${status.signal})${spawnError ? `: ${spawnError.message}` : ''}`
        : 'running';
      const e = tail(err);
      return `${name} (pid ${proc.pid}) ${st}${e ? `\n--- stderr (tail) ---\n${e}` : '\n(stderr empty)'}`;
    },
    async stop(signal: NodeJS.Signals = 'SIGKILL', graceMs: number = DEADLINE.exit) {
      if (status) {
        live.delete(proc);
        return status;
      }
      try {
        process.kill(proc.pid, signal);
      } catch {
        // Already gone.
      }
      let timer: NodeJS.Timeout | undefined;
      if (signal !== 'SIGKILL') {
        timer = setTimeout(() => {
          try {
            process.kill(proc.pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }, graceMs);
      }
      const st = await exited;
      if (timer) clearTimeout(timer);
      live.delete(proc);
      return st;
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  if (spawnError || child.pid === undefined) {
    await exited;
    throw new Error(`cannot start ${proc.describe()}`);
  }
  if (opts.readyPort !== undefined) {
    try {
      await waitForPort(opts.readyPort, opts.readyHost ?? '127.0.0.1', {
        timeoutMs: opts.readyTimeoutMs ?? DEADLINE.start,
        check: () => (status ? `the process exited (code ${status.code}, signal ${status.signal})` : undefined),
        describe: () => proc.describe(),
      });
    } catch (e) {
      await proc.stop('SIGKILL');
      throw e;
    }
  }
  return proc;
}

export interface DoozerdOptions {
  /** Host of -l (default 127.0.0.1). */
  host?: string;
  /** Port of -l (default: a free one). */
  port?: number;
  /** -w value; default 'false' (no web view). */
  web?: string | false;
  /** More doozerd flags, e.g. ['-a', addr] or ['-c', 'ls', '-b', uri]. */
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Wait for the client port (default true). */
  waitReady?: boolean;
  readyTimeoutMs?: number;
}

export interface DoozerdProcess extends ManagedProcess {
  host: string;
  port: number;
  /** `host:port` (the -l address). */
  addr: string;
  /** `doozer:?ca=host:port`. */
  uri: string;
}

/** Starts `node bin/doozerd -l host:port -w false [args]` and waits for its port. */
export async function startDoozerd(opts: DoozerdOptions = {}): Promise<DoozerdProcess> {
  if (!existsSync(DOOZERD_BIN)) throw new Error(`${DOOZERD_BIN} does not exist yet`);
  ensureBuilt();
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(host));
  const addr = `${host}:${port}`;
  const web = opts.web === undefined || opts.web === false ? 'false' : opts.web;
  const args = [DOOZERD_BIN, '-l', addr, '-w', web, ...(opts.args ?? [])];
  // Its port accepts from the first moment of its start (src/net/client-port.ts):
  // ready is when it answers REV. (Over TLS a plain REV gets no answer: the port it is.)
  const tls = (opts.args ?? []).includes('-tlscert');
  const proc = await startProcess(process.execPath, args, {
    env: opts.env,
    name: `doozerd ${addr}${opts.args?.length ? ' ' + opts.args.join(' ') : ''}`,
    readyPort: opts.waitReady === false || !tls ? undefined : port,
    readyHost: host,
    readyTimeoutMs: opts.readyTimeoutMs,
  });
  if (opts.waitReady !== false && !tls) await waitForRev(proc, host, port, opts.readyTimeoutMs ?? DEADLINE.start);
  return Object.assign(proc, { host, port, addr, uri: `doozer:?ca=${addr}` });
}

/** Waits until `proc` answers REV on host:port; stops it and throws, describing it, if it exits or `timeoutMs` passes first. */
async function waitForRev(proc: ManagedProcess, host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = proc.exitStatus();
    if (st) throw new Error(`gave up waiting for ${host}:${port} to answer: the process exited (code ${st.code}, signal ${st.signal})\n${proc.describe()}`);
    if (await answersRev(host, port, Math.max(100, Math.min(1000, deadline - Date.now())))) return;
    if (Date.now() >= deadline) {
      await proc.stop('SIGKILL');
      throw new Error(`${host}:${port} did not answer REV within ${timeoutMs} ms\n${proc.describe()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Stops every process started here that is still running (SIGKILL by default). */
export async function stopAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(signal)));
}

export interface CliResult extends ExitStatus {
  stdout: string;
  stderr: string;
  /** stdout as bytes. */
  out: Buffer;
}

export interface RunOptions {
  /** Bytes for stdin (default: empty, closed). */
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  /** Kill it after this long (default 20 s); the result then has signal SIGKILL. */
  timeoutMs?: number;
}

/** Runs `node bin/doozer args...` to completion. */
export function runDoozer(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  ensureBuilt();
  return runCommand(process.execPath, [DOOZER_BIN, ...args], opts);
}

/** Runs `file args...` to completion (stdin from opts.input, no DOOZER_URI/DOOZER_BOOT_URI unless given). */
export function runCommand(file: string, args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, DOOZER_URI: undefined, DOOZER_BOOT_URI: undefined, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? DEADLINE.answer * 2);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const o = Buffer.concat(out);
      resolve({ code, signal, out: o, stdout: o.toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Starts `node bin/doozer args...` without waiting (for watch / wait). */
export function spawnDoozer(args: readonly string[], opts: Omit<RunOptions, 'timeoutMs'> = {}): Promise<ManagedProcess> {
  ensureBuilt();
  return startProcess(process.execPath, [DOOZER_BIN, ...args], {
    env: { DOOZER_URI: undefined, DOOZER_BOOT_URI: undefined, ...opts.env },
    name: `doozer ${args.join(' ')}`,
  });
}

/** Resolves when `proc`'s stdout satisfies `pred`; rejects at the deadline or on exit. */
export async function waitForOutput(
  proc: ManagedProcess,
  pred: (stdout: string) => boolean,
  timeoutMs: number = DEADLINE.answer,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = proc.stdout();
    if (pred(text)) return text;
    if (proc.exitStatus()) throw new Error(`output never matched before exit; stdout:\n${text}\n${proc.describe()}`);
    if (Date.now() > deadline) {
      throw new Error(`output did not match within ${timeoutMs} ms; stdout:\n${text}\n${proc.describe()}`);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, 50);
      function done(): void {
        clearTimeout(t);
        proc.child.stdout?.off('data', done);
        resolve();
      }
      proc.child.stdout?.once('data', done);
    });
  }
}

// ---- build freshness -------------------------------------------------------

function newestMtime(dir: string, ext: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const rel of readdirSync(dir, { recursive: true }) as string[]) {
    if (!rel.endsWith(ext)) continue;
    const m = statSync(join(dir, rel)).mtimeMs;
    if (m > newest) newest = m;
  }
  return newest;
}

let builtChecked = false;

/**
 * Makes sure dist/ is built and not older than src/ (runs `tsc` once if
 * needed; type errors elsewhere do not stop the emit). Safe to call from
 * several test files at once: a lock directory serialises the builds.
 */
export function ensureBuilt(): void {
  if (builtChecked) return;
  const src = join(REPO_ROOT, 'src');
  const dist = join(REPO_ROOT, 'dist');
  const fresh = (): boolean =>
    existsSync(join(dist, 'cli/main.js')) && newestMtime(dist, '.js') >= newestMtime(src, '.ts');
  if (!fresh()) {
    const lock = join(tmpdir(), `doozerd-ts-build-${REPO_ROOT.replace(/[^A-Za-z0-9]/g, '_')}.lock`);
    const deadline = Date.now() + 180_000;
    let haveLock = false;
    for (;;) {
      try {
        mkdirSync(lock);
        haveLock = true;
        break;
      } catch {
        // Someone else is building: wait, and maybe it made dist fresh.
        if (Date.now() > deadline) break;
        try {
          if (Date.now() - statSync(lock).mtimeMs > 180_000) rmdirSync(lock);
        } catch {
          // Lock vanished: retry.
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
      }
    }
    try {
      if (!fresh()) {
        try {
          execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
            cwd: REPO_ROOT,
            stdio: 'pipe',
          });
        } catch {
          // Type errors still emit; checked below.
        }
      }
    } finally {
      if (haveLock) {
        try {
          rmdirSync(lock);
        } catch {
          // Gone already.
        }
      }
    }
    if (!existsSync(join(dist, 'cli/main.js'))) {
      throw new Error('dist/cli/main.js is missing after `tsc -p tsconfig.json`: run `npm run build` and check its errors');
    }
  }
  builtChecked = true;
}

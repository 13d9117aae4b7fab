// The original Go doozerd and doozer (black boxes, ../shared/ref/README.md):
// where they are, and how to start and run them like our own binaries.
//
//   const REF = refBin();                       // undefined on a machine without them
//   describe.skipIf(!REF)(...)                  // skipIfNoRef() says why once (never skips in CI)
//   const seed = await startOriginalDoozerd();  // -l 127.0.0.1:<free> -w false, output to a file
//   const r = await runOriginalDoozer(['-a', seed.uri, 'rev']);
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT, runCommand, startProcess, type CliResult, type DoozerdOptions, type DoozerdProcess, type RunOptions } from './doozerd-process.js';
import { freePort } from './ports.js';

/** The directory holding the original `doozerd` and `doozer`, or undefined when absent. */
export function refBin(): string | undefined {
  const dir = process.env.DOOZER_REF_BIN ?? resolve(REPO_ROOT, '../shared/ref/bin');
  return existsSync(join(dir, 'doozerd')) && existsSync(join(dir, 'doozer')) ? dir : undefined;
}

/**
 * True when tests needing the original binaries must skip: they are absent and
 * this is not CI. In CI (CI=true) their absence throws: those tests never skip there.
 */
export function skipWithoutRef(): boolean {
  if (refBin()) return false;
  if (process.env.CI) throw new Error('CI=true but the original doozerd/doozer are missing: set DOOZER_REF_BIN or provide ../shared/ref/bin');
  console.warn('skipping tests against the original doozerd: set DOOZER_REF_BIN to its bin directory to run them');
  return true;
}

function requireRef(): string {
  const dir = refBin();
  if (!dir) throw new Error('original doozerd binaries not found (DOOZER_REF_BIN or ../shared/ref/bin)');
  return dir;
}

/**
 * Starts the original doozerd with `-l host:port -w false [args]`, its (very
 * chatty) output going to a log file, and waits for its client port.
 */
export async function startOriginalDoozerd(opts: DoozerdOptions = {}): Promise<DoozerdProcess & { logFile: string }> {
  const bin = join(requireRef(), 'doozerd');
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(host));
  const addr = `${host}:${port}`;
  const web = opts.web === undefined || opts.web === false ? 'false' : opts.web;
  const logFile = join(mkdtempSync(join(tmpdir(), 'orig-doozerd-')), 'log');
  const args = ['-l', addr, '-w', web, ...(opts.args ?? [])];
  // A shell redirect keeps the original's many log lines out of the test's pipes;
  // `exec` keeps the PID the original's own, so stop() signals it directly.
  const cmd = `exec ${[bin, ...args].map(sh).join(' ')} >>${sh(logFile)} 2>&1`;
  const proc = await startProcess('/bin/sh', ['-c', cmd], {
    env: opts.env,
    name: `original doozerd ${addr}${opts.args?.length ? ' ' + opts.args.join(' ') : ''}`,
    readyPort: opts.waitReady === false ? undefined : port,
    readyHost: host,
    readyTimeoutMs: opts.readyTimeoutMs,
  });
  return Object.assign(proc, { host, port, addr, uri: `doozer:?ca=${addr}`, logFile });
}

/** Runs the original `doozer` CLI to completion (same result shape as runDoozer). */
export function runOriginalDoozer(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return runCommand(join(requireRef(), 'doozer'), args, opts);
}

function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

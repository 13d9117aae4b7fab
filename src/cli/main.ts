// The doozer command: `doozer [flags] <command> [flags] [args]` (cluster.md).
// Parses flags, dispatches to one module per command, maps failures to one
// stderr line and the documented exit status: 0 success, 1 rev mismatch,
// 2 other errors (a flag or rev that does not parse too, as the original),
// 127 wrong number of arguments or unknown command.
import type { Client } from '../client/client.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, RequestTimeoutError } from '../client/connection.js';
import { DoozerError } from '../wire/errors.js';
import { Verb } from '../wire/client-codec.js';
import { logLevelProblem } from '../runtime/log.js';
import { VERSION } from '../wire/version.js';
import { add } from './add.js';
import { calAddresses } from './cals.js';
import { connect, type Connected } from './connect.js';
import type { CliIO, Command, Context } from './context.js';
import { ArgError, parseRev, UsageError } from './context.js';
import { del } from './del.js';
import { dump } from './dump.js';
import { parseDuration } from './duration.js';
import { EXIT_ERROR, EXIT_OK, EXIT_USAGE, explain } from './explain.js';
import type { ExplainInfo } from './explain.js';
import { find } from './find.js';
import { get } from './get.js';
import { nop } from './nop.js';
import { rev } from './rev.js';
import { self } from './self.js';
import { set } from './set.js';
import { stat } from './stat.js';
import { readBody } from './stdin.js';
import { touch } from './touch.js';
import { wait } from './wait.js';
import { watch } from './watch.js';
import { shortText } from '../wire/short-text.js';

/** The longest timer Node runs as asked (2^31-1 ms). */
const MAX_TIMER_MS = 0x7fffffff;
export const DEFAULT_URI = 'doozer:?ca=127.0.0.1:8046';
/** How long a request (and connecting) may take without -t. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export const commands: readonly Command[] = [get, set, add, del, stat, find, rev, nop, self, touch, wait, watch, dump];
const byName = new Map(commands.map((c) => [c.name, c]));

/** Flags that take a value, and boolean ones. All may come before the command
 * or right after its name, except -v/-version (before the command only). */
const VALUE_FLAGS = new Set(['a', 'b', 'r', 't', 'tlsca']);
const BOOL_FLAGS = new Set(['tls', 'h', 'help', 'v', 'version']);
const BEFORE_ONLY = new Set(['v', 'version']);

const HELP_HINT = 'run "doozer help" for usage';

export function usage(): string {
  const lines = ['Usage: doozer [flags] <command> [args]', '', 'Commands:'];
  for (const c of commands) {
    const left = `  ${c.name}${c.synopsis ? ' ' + c.synopsis : ''}`;
    lines.push(left.length < 26 ? left.padEnd(26) + c.summary : `${left}\n${''.padEnd(26)}${c.summary}`);
  }
  lines.push(
    '',
    'Flags (before the command, or right after its name):',
    '  -a uri       doozer URI to connect to: doozer:?ca=host[:port]&ca=...&sk=secret',
    `               (default $DOOZER_URI, else ${DEFAULT_URI})`,
    '  -b uri       name service to resolve cn=name in -a (default $DOOZER_BOOT_URI)',
    '  -r rev       read the store as of this rev; wait/watch: first rev to report',
    `  -t duration  give up on an unanswered request after this long (default ${DEFAULT_TIMEOUT_MS / 1000}s; 0: never);`,
    '               wait: give up waiting after this long (default: never). e.g. 5s, 100ms',
    '  -tls         connect over TLS (or tls=1 in the URI)',
    '  -tlsca file  trust the CA certificate(s) in this PEM file; implies -tls (or tlsca=file)',
    '  -v, -version print the version',
    '  -h, help     show this help; doozer help <command> for one command',
    '',
    'Revs: set/del write only if the file\'s rev is <= <rev>; 0 means create only',
    '(the file must be missing), -1 means whatever the file\'s rev.',
    'set and add read the body from stdin: printf \'\' | doozer set /ctl/cal/1 0',
    'wait/watch print "<path> <rev> <set|del> <len>", a newline, the body, a newline.',
    'Globs: ? one character, * within one path component, ** across components.',
    'Exit status: 0 success, 1 rev mismatch, 2 other errors, 127 wrong arguments.',
    '',
  );
  return lines.join('\n');
}

export interface ParsedArgs {
  a?: string;
  b?: string;
  r?: string;
  t?: string;
  tlsca?: string;
  tls?: boolean;
  help: boolean;
  version: boolean;
  command?: string;
  args: string[];
}

function parseBool(name: string, value: string): boolean {
  if (/^(1|t|true)$/i.test(value)) return true;
  if (/^(0|f|false)$/i.test(value)) return false;
  throw new ArgError(`invalid boolean value ${JSON.stringify(value)} for -${name}`);
}

/**
 * Go-style flags (-a x, -a=x, --a x, -tls, -tls=false) before the command and
 * right after its name; then positional arguments (which may start with '-'
 * when numeric: del /a -1). Throws ArgError (exit 2) for an unknown flag or a
 * missing value.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { help: false, version: false, args: [] };
  const rec = out as unknown as Record<string, string | boolean>;
  let i = 0;
  const takeFlags = (afterCommand: boolean): void => {
    while (i < argv.length) {
      const arg = argv[i]!;
      if (arg === '--') {
        i++;
        return;
      }
      if (!arg.startsWith('-') || arg === '-' || (afterCommand && /^[+-]\d/.test(arg))) return;
      const body = arg.replace(/^--?/, '');
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const where = afterCommand ? ` for ${out.command}` : '';
      if (BOOL_FLAGS.has(name) && !(afterCommand && BEFORE_ONLY.has(name))) {
        const v = eq >= 0 ? parseBool(name, body.slice(eq + 1)) : true;
        if (name === 'h' || name === 'help') out.help = v;
        else if (name === 'v' || name === 'version') out.version = v;
        else rec[name] = v;
        i++;
        continue;
      }
      if (!VALUE_FLAGS.has(name)) throw new ArgError(`unknown flag ${arg}${where}`);
      if (eq >= 0) {
        rec[name] = body.slice(eq + 1);
        i++;
      } else {
        if (i + 1 >= argv.length) throw new ArgError(`flag -${name} needs a value`);
        rec[name] = argv[i + 1]!;
        i += 2;
      }
    }
  };
  takeFlags(false);
  if (i < argv.length) {
    out.command = argv[i++]!;
    if (byName.has(out.command)) takeFlags(true);
  }
  out.args = argv.slice(i);
  return out;
}

function processIO(): CliIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, stdinFd: 0 };
}

class StdoutClosed extends Error {}

function commandUsage(c: Command): string {
  return `doozer [flags] ${c.name}${c.synopsis ? ' ' + c.synopsis : ''}`;
}

/** Runs the doozer command; resolves with the exit status. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const say = (s: string): void => {
    io.stderr.write(s.endsWith('\n') ? s : s + '\n');
  };
  // One line, and where to get help: never the whole help text.
  const usageError = (msg: string, help = HELP_HINT): number => {
    say(`doozer: ${msg}; ${help}`);
    return EXIT_USAGE;
  };
  const argError = (msg: string, help = HELP_HINT): number => {
    say(`doozer: ${msg}; ${help}`);
    return EXIT_ERROR;
  };

  const badLog = logLevelProblem(io.env);
  if (badLog) {
    say(`doozer: ${badLog}`);
    return EXIT_ERROR;
  }
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (e instanceof ArgError) return argError(e.message);
    throw e;
  }
  if (parsed.version) {
    io.stdout.write(`doozer ${VERSION}\n`);
    return EXIT_OK;
  }
  if (parsed.command === 'help' || (parsed.help && parsed.command === undefined)) {
    const topic = parsed.command === 'help' ? parsed.args[0] : undefined;
    if (parsed.command === 'help' && parsed.args.length > 1) return usageError('help takes one command name');
    const c = topic === undefined ? undefined : byName.get(topic);
    if (topic !== undefined && !c) return usageError(`no such command ${JSON.stringify(topic)}`);
    io.stdout.write(c ? `usage: ${commandUsage(c)}\n  ${c.summary}\n` : usage());
    return EXIT_OK;
  }
  if (parsed.command === undefined) return usageError('no command given');
  const cmd = byName.get(parsed.command);
  if (!cmd) {
    return usageError(`unknown command ${JSON.stringify(parsed.command)} (commands: ${commands.map((c) => c.name).join(', ')})`);
  }
  const cmdHelp = `run "doozer help ${cmd.name}" for more`;
  if (parsed.help) {
    io.stdout.write(`usage: ${commandUsage(cmd)}\n  ${cmd.summary}\n`);
    return EXIT_OK;
  }
  const args = parsed.args;
  if (args.length < cmd.minArgs || args.length > cmd.maxArgs) {
    const what = args.length < cmd.minArgs ? 'missing argument' : 'too many arguments';
    return usageError(`${cmd.name}: ${what} (usage: ${commandUsage(cmd)})`, cmdHelp);
  }
  let revFlag: number | undefined;
  let tMs: number | undefined;
  try {
    if (parsed.r !== undefined) {
      revFlag = parseRev(parsed.r, '-r');
      if (revFlag === -1) revFlag = undefined; // The original's default: "not given".
    }
    if (parsed.t !== undefined) {
      try {
        tMs = parseDuration(parsed.t);
        // Longer than a Node timer can run (2^31-1 ms, about 24.8 days; a
        // longer one fires at once): no limit, as -t 0.
        if (tMs > MAX_TIMER_MS) tMs = 0;
      } catch (e) {
        throw new ArgError(`-t: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    if (e instanceof ArgError) return argError(e.message);
    throw e;
  }
  // -t: the request timeout (0: none), and wait's own timeout. wait and
  // watch never time out their WAIT on the request timeout.
  let requestTimeoutMs = tMs ?? DEFAULT_TIMEOUT_MS;
  if (cmd.name === 'wait') requestTimeoutMs = tMs ? Math.min(tMs, DEFAULT_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS;
  const connectTimeoutMs = requestTimeoutMs > 0 ? requestTimeoutMs : Math.max(DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS);

  const uriSource = parsed.a !== undefined ? '-a' : io.env.DOOZER_URI ? 'DOOZER_URI' : 'the default URI';
  const uri = parsed.a ?? (io.env.DOOZER_URI || DEFAULT_URI);
  const boot = parsed.b ?? (io.env.DOOZER_BOOT_URI || undefined);
  const stop = new AbortController();
  let stdoutClosed = false;
  const onStdoutError = (): void => {
    stdoutClosed = true;
    stop.abort();
  };
  io.stdout.on('error', onStdoutError);

  let connected: Connected | undefined;
  let dialing: Promise<Client> | undefined;
  const info: ExplainInfo = {
    command: cmd.name,
    args,
    rev: revFlag,
    writes: cmd.writes ?? false,
    timeoutText: parsed.t ?? `${DEFAULT_TIMEOUT_MS / 1000}s`,
    tls: Boolean(parsed.tls || parsed.tlsca),
  };
  const ctx: Context = {
    args,
    rev: revFlag,
    timeoutMs: cmd.name === 'wait' && tMs ? tMs : undefined,
    timeoutText: parsed.t,
    signal: stop.signal,
    client() {
      dialing ??= connect({
        uri,
        uriSource,
        ...(boot === undefined ? {} : { boot, bootSource: parsed.b !== undefined ? '-b' : 'DOOZER_BOOT_URI' }),
        ...(parsed.tls === undefined ? {} : { tls: parsed.tls }),
        ...(parsed.tlsca === undefined ? {} : { tlsca: parsed.tlsca }),
        connectTimeoutMs,
        requestTimeoutMs,
      }).then((c) => {
        connected = c;
        info.secretGiven = c.secretGiven;
        info.tls = c.tls;
        return c.client;
      });
      return dialing;
    },
    async out(data) {
      if (stdoutClosed) throw new StdoutClosed();
      if (!io.stdout.write(data)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            io.stdout.off('drain', done);
            stop.signal.removeEventListener('abort', done);
            resolve();
          };
          io.stdout.on('drain', done);
          stop.signal.addEventListener('abort', done);
        });
      }
      if (stdoutClosed) throw new StdoutClosed();
    },
    warn: say,
    async readStdin() {
      if (io.stdin.isTTY) say('doozer: reading the body from stdin (end it with Ctrl-D)');
      return readBody(io, `doozer ${cmd.name} ${args.join(' ')}`);
    },
  };

  try {
    await cmd.run(ctx);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof StdoutClosed || stdoutClosed) return EXIT_OK; // Reader went away (| head).
    if (e instanceof UsageError) return usageError(`${cmd.name}: ${e.message}`, cmdHelp);
    if (e instanceof ArgError) return argError(`${cmd.name} ${shortText(args[0] ?? '')}: ${e.message}`, cmdHelp);
    const client = connected?.client;
    if (client && !client.connection.closed) {
      // Learn what makes the message useful, quickly and best-effort.
      if (e instanceof DoozerError && e.code === 'READONLY') {
        info.calAddrs = await calAddresses(client).catch(() => undefined);
      }
      if (e instanceof RequestTimeoutError && revFlag !== undefined) {
        info.currentRev = await client.connection
          .call({ verb: Verb.REV }, { timeoutMs: 2000 })
          .then((r) => r.rev ?? 0)
          .catch(() => undefined);
      }
    }
    const { message, exitCode } = explain(e, info);
    say(message);
    return exitCode;
  } finally {
    io.stdout.off('error', onStdoutError);
    stop.abort();
    if (connected) await connected.client.close();
    else if (dialing) await dialing.then((c) => c.close(), () => undefined);
  }
}

/** Entry point for bin/doozer: runs main on process.argv and sets the exit status. */
export async function run(): Promise<void> {
  // A reader that goes away (| head) must not crash us after main returns.
  process.stdout.on('error', () => undefined);
  const code = await main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`doozer: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 2;
  });
  process.exitCode = code;
}

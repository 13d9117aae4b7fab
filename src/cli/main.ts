// The doozer command: `doozer [-a uri] [-b boot-uri] [-r rev] <command> [args]`
// (cluster.md). Parses flags, dispatches to one module per command, maps
// failures to a stderr line and the documented exit status.
import { Client } from '../client/client.js';
import { add } from './add.js';
import type { CliIO, Command, Context } from './context.js';
import { parseRev, UsageError } from './context.js';
import { del } from './del.js';
import { parseDuration } from './duration.js';
import { EXIT_OK, EXIT_USAGE, explain } from './explain.js';
import { find } from './find.js';
import { get } from './get.js';
import { nop } from './nop.js';
import { rev } from './rev.js';
import { self } from './self.js';
import { set } from './set.js';
import { stat } from './stat.js';
import { touch } from './touch.js';
import { wait } from './wait.js';
import { watch } from './watch.js';

export const DEFAULT_URI = 'doozer:?ca=127.0.0.1:8046';

export const commands: readonly Command[] = [get, set, add, del, stat, find, rev, nop, self, touch, wait, watch];
const byName = new Map(commands.map((c) => [c.name, c]));

/** Global flags that take a value, and the ones commands may add. */
const GLOBAL_VALUE_FLAGS = new Set(['a', 'b', 'r', 't']);
const HELP_FLAGS = new Set(['h', 'help']);

export function usage(): string {
  const lines = [
    'Usage: doozer [-a uri] [-b boot-uri] [-r rev] <command> [args]',
    '',
    'Commands:',
  ];
  for (const c of commands) {
    const left = `  ${c.name}${c.synopsis ? ' ' + c.synopsis : ''}`;
    lines.push(left.length < 26 ? left.padEnd(26) + c.summary : `${left}\n${''.padEnd(26)}${c.summary}`);
  }
  lines.push(
    '',
    'Flags:',
    '  -a uri       doozer URI to connect to: doozer:?ca=host[:port]&ca=...&sk=secret',
    `               (default $DOOZER_URI, else ${DEFAULT_URI})`,
    '  -b uri       name service to resolve cn=name in -a (default $DOOZER_BOOT_URI)',
    '  -r rev       read the store as of this rev; wait/watch: first rev to report',
    '  -t duration  wait: give up after this long, e.g. 5s, 100ms (exit 2)',
    '  -h, help     show this help',
    '',
    'Revs: set/del write only if the file\'s rev is <= <rev>; 0 means create only',
    '(the file must be missing), -1 means whatever the file\'s rev.',
    'set and add read the body from stdin: printf \'\' | doozer set /ctl/cal/1 0',
    'wait/watch print "<path> <rev> <set|del> <len>", a newline, the body, a newline.',
    'Globs: ? one character, * within one path component, ** across components.',
    'Exit status: 0 success, 1 rev mismatch, 2 other errors, 127 usage errors.',
    '',
  );
  return lines.join('\n');
}

export interface ParsedArgs {
  a?: string;
  b?: string;
  r?: string;
  t?: string;
  help: boolean;
  command?: string;
  args: string[];
}

/**
 * Flags come before the command (Go style: -a x, -a=x, --a x); a command's
 * own flags (and the global ones) may also come right after its name.
 * Positional arguments may start with '-' when numeric (revs: del /a -1).
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { help: false, args: [] };
  let i = 0;
  const takeFlags = (allowed: Set<string>): void => {
    while (i < argv.length) {
      const arg = argv[i]!;
      if (arg === '--') {
        i++;
        return;
      }
      if (!arg.startsWith('-') || arg === '-' || (out.command !== undefined && /^-\d/.test(arg))) return;
      const body = arg.replace(/^--?/, '');
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      if (HELP_FLAGS.has(name)) {
        out.help = true;
        i++;
        continue;
      }
      if (!allowed.has(name)) {
        const where = out.command ? ` for ${out.command}` : '';
        throw new UsageError(`unknown flag ${arg}${where}`);
      }
      let value: string;
      if (eq >= 0) {
        value = body.slice(eq + 1);
        i++;
      } else {
        if (i + 1 >= argv.length) throw new UsageError(`flag -${name} needs a value`);
        value = argv[i + 1]!;
        i += 2;
      }
      (out as unknown as Record<string, string>)[name] = value;
    }
  };
  takeFlags(GLOBAL_VALUE_FLAGS);
  if (i < argv.length) {
    out.command = argv[i++]!;
    const cmd = byName.get(out.command);
    if (cmd) takeFlags(new Set(['a', 'b', 'r', ...(cmd.flags ?? [])]));
  }
  out.args = argv.slice(i);
  return out;
}

function processIO(): CliIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

class StdoutClosed extends Error {}

function commandUsage(c: Command): string {
  return `usage: doozer [-a uri] [-r rev] ${c.name}${c.synopsis ? ' ' + c.synopsis : ''}`;
}

/** Runs the doozer command; resolves with the exit status. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const say = (s: string): void => {
    io.stderr.write(s.endsWith('\n') ? s : s + '\n');
  };
  const usageError = (msg: string): number => {
    say(`doozer: ${msg}`);
    io.stderr.write('\n' + usage());
    return EXIT_USAGE;
  };

  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) return usageError(e.message);
    throw e;
  }
  if (parsed.command === 'help' || (parsed.help && parsed.command === undefined)) {
    const topic = parsed.command === 'help' ? parsed.args[0] : undefined;
    const c = topic === undefined ? undefined : byName.get(topic);
    if (topic !== undefined && !c) return usageError(`no such command ${JSON.stringify(topic)}`);
    io.stdout.write(c ? `${commandUsage(c)}\n  ${c.summary}\n` : usage());
    return EXIT_OK;
  }
  if (parsed.command === undefined) return usageError('no command given');
  const cmd = byName.get(parsed.command);
  if (!cmd) return usageError(`unknown command ${JSON.stringify(parsed.command)}`);
  if (parsed.help) {
    io.stdout.write(`${commandUsage(cmd)}\n  ${cmd.summary}\n`);
    return EXIT_OK;
  }
  const args = parsed.args;
  if (args.length < cmd.minArgs || args.length > cmd.maxArgs) {
    const what = args.length < cmd.minArgs ? 'missing argument' : 'too many arguments';
    say(`doozer: ${cmd.name}: ${what}; ${commandUsage(cmd)}`);
    io.stderr.write('\n' + usage());
    return EXIT_USAGE;
  }
  let revFlag: number | undefined;
  let timeoutMs: number | undefined;
  try {
    if (parsed.r !== undefined) revFlag = parseRev(parsed.r, '-r');
    if (parsed.t !== undefined) {
      if (cmd.name !== 'wait') throw new UsageError(`-t applies only to wait`);
      try {
        timeoutMs = parseDuration(parsed.t);
      } catch (e) {
        throw new UsageError(`-t: ${(e as Error).message}`);
      }
      if (timeoutMs === 0) timeoutMs = undefined; // -t 0: no timeout.
    }
  } catch (e) {
    if (e instanceof UsageError) return usageError(e.message);
    throw e;
  }

  const uri = parsed.a ?? (io.env.DOOZER_URI || DEFAULT_URI);
  const boot = parsed.b ?? (io.env.DOOZER_BOOT_URI || undefined);
  const stop = new AbortController();
  let stdoutClosed = false;
  const onStdoutError = (): void => {
    stdoutClosed = true;
    stop.abort();
  };
  io.stdout.on('error', onStdoutError);

  let client: Client | undefined;
  let dialing: Promise<Client> | undefined;
  const ctx: Context = {
    args,
    rev: revFlag,
    timeoutMs,
    timeoutText: parsed.t,
    signal: stop.signal,
    client() {
      dialing ??= Client.dial(uri, boot === undefined ? {} : { boot }).then((c) => (client = c));
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
      const chunks: Buffer[] = [];
      for await (const chunk of io.stdin) {
        chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
      }
      return Buffer.concat(chunks);
    },
  };

  try {
    await cmd.run(ctx);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof StdoutClosed || stdoutClosed) return EXIT_OK; // Reader went away (| head).
    if (e instanceof UsageError) {
      say(`doozer: ${cmd.name}: ${e.message}; ${commandUsage(cmd)}`);
      io.stderr.write('\n' + usage());
      return EXIT_USAGE;
    }
    const { message, exitCode } = explain(e, cmd.name, args, revFlag);
    say(message);
    return exitCode;
  } finally {
    io.stdout.off('error', onStdoutError);
    stop.abort();
    if (client) await client.close();
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

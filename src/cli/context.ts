// What every doozer command gets: its arguments, the global flags, a lazily
// dialled client, and the process streams (injectable, so commands can be
// tested in-process).
import type { Client } from '../client/client.js';

export interface CliIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  /** The file descriptor behind `stdin`, when it is a real one (0 for the
   * process): lets the body reader refuse a closed stdin or a directory. */
  stdinFd?: number;
}

export interface Context {
  /** Positional arguments after the command name (count already checked). */
  args: string[];
  /** -r: rev for reads, or the first rev for wait/watch (undefined: now / the next change). */
  rev?: number;
  /** wait's -t in ms (undefined: wait forever). */
  timeoutMs?: number;
  /** The -t text as given, for messages. */
  timeoutText?: string;
  /** Connects on first use (so usage errors never need a server). */
  client(): Promise<Client>;
  /** Writes to stdout, honouring backpressure. */
  out(data: string | Uint8Array): Promise<void>;
  /** Writes one line to stderr. */
  warn(line: string): void;
  /** Reads the body from stdin to its end; throws CliError (exit 2) when
   * stdin cannot be read (closed, a directory, a read error). */
  readStdin(): Promise<Buffer>;
  /** Aborted when the command should stop (stdout closed, signal). */
  signal: AbortSignal;
}

export interface Command {
  name: string;
  /** Argument synopsis, e.g. "<path> <rev>". */
  synopsis: string;
  /** One-line description for the usage text. */
  summary: string;
  /** Positional argument count. */
  minArgs: number;
  maxArgs: number;
  /** Writes (needs a writable node and, with secrets, the read-write one). */
  writes?: boolean;
  run(ctx: Context): Promise<void>;
}

/** A wrong number of arguments, an unknown or missing command: exit 127. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A flag or argument that does not parse (bad -r, unknown flag, rev "abc"): exit 2, like the original. */
export class ArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgError';
  }
}

/** A failure the command already explained: exit with `code` and this message. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Parses a rev the way the original does (Go's ParseInt): decimal, optional
 * sign (`+5`, `-1`, `007`). Throws ArgError (exit 2) otherwise.
 */
export function parseRev(text: string, what = 'rev'): number {
  if (!/^[+-]?\d+$/.test(text)) {
    throw new ArgError(`${what} ${JSON.stringify(text)} is not a number (a rev is an integer such as 42, 0 or -1)`);
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new ArgError(`${what} ${text} is out of range`);
  return n;
}

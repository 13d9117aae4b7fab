// What every doozer command gets: its arguments, the global flags, a lazily
// dialled client, and the process streams (injectable, so commands can be
// tested in-process).
import type { Client } from '../client/client.js';

export interface CliIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
}

export interface Context {
  /** Positional arguments after the command name (count already checked). */
  args: string[];
  /** -r: rev for reads, or the first rev for wait/watch. */
  rev?: number;
  /** -t: wait timeout in ms (undefined: no timeout). */
  timeoutMs?: number;
  /** The -t text as given, for messages. */
  timeoutText?: string;
  /** Connects on first use (so usage errors never need a server). */
  client(): Promise<Client>;
  /** Writes to stdout, honouring backpressure. */
  out(data: string | Uint8Array): Promise<void>;
  /** Writes one line to stderr. */
  warn(line: string): void;
  /** Reads stdin to its end. */
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
  /** Command-only flags it accepts after its name (global flags are always accepted). */
  flags?: string[];
  run(ctx: Context): Promise<void>;
}

/** A command-line mistake: exit 127 with the usage text. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
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

/** Parses a decimal int64-ish rev (may be negative). */
export function parseRev(text: string, what = 'rev'): number {
  if (!/^-?\d+$/.test(text)) throw new UsageError(`${what} must be an integer, got ${JSON.stringify(text)}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what} ${text} is out of range`);
  return n;
}

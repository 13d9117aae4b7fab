// Reading a body from stdin, refusing what cannot be read: the CLI never
// writes what it did not read (a closed stdin or a directory as stdin used
// to store an empty body).
import { fstatSync, readFileSync, readlinkSync } from 'node:fs';
import { CliError } from './context.js';
import { MAX_BIG_VALUE_BYTES } from '../wire/limits.js';
import type { CliIO } from './context.js';

const O_ACCMODE = 3;
const O_RDWR = 2;

/**
 * What is wrong with file descriptor `fd` as a body source, or undefined when
 * it can be read. Node replaces a closed fd 0 with /dev/null opened
 * read-write before any code runs; a shell's `</dev/null` opens it read-only,
 * so on Linux (/proc/self/fdinfo) a read-write /dev/null means "closed".
 */
export function stdinProblem(fd: number): string | undefined {
  let st;
  try {
    st = fstatSync(fd);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EBADF' ? 'stdin is closed' : `stdin cannot be used: ${(e as Error).message}`;
  }
  if (st.isDirectory()) return 'stdin is a directory';
  if (st.isCharacterDevice()) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (target === '/dev/null' && flags && (parseInt(flags[1]!, 8) & O_ACCMODE) === O_RDWR) return 'stdin is closed';
    } catch {
      // No /proc (not Linux): cannot tell; read it.
    }
  }
  return undefined;
}

/** The refusal of a body over the largest value a node takes (MAX_BIG_VALUE_BYTES, 1 MiB). */
export function valueTooLarge(bytes: number): string {
  return `value too large: ${bytes} bytes, the limit is 1 MiB (${MAX_BIG_VALUE_BYTES} bytes); nothing was written`;
}

/**
 * Reads stdin to its end. Throws CliError (exit 2) naming the problem when
 * stdin is closed, a directory, or fails mid-read, or when the body is over
 * MAX_BIG_VALUE_BYTES (refused here: the node would drop the connection);
 * `example` is the command to show as the way to give a body.
 */
export async function readBody(io: CliIO, example: string): Promise<Buffer> {
  const hint = `nothing was written. Give the body on stdin, e.g. printf 'hello' | ${example} (an empty body: printf '' | ${example})`;
  if (io.stdinFd !== undefined) {
    const problem = stdinProblem(io.stdinFd);
    if (problem) throw new CliError(`cannot read the body: ${problem}; ${hint}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of io.stdin) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
      total += b.length;
      // Past the limit: count the rest (for the message) without keeping it.
      if (total <= MAX_BIG_VALUE_BYTES) chunks.push(b);
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CliError(`cannot read the body from stdin: ${err.code && !err.message.startsWith(err.code) ? `${err.code}: ` : ''}${err.message}; ${hint}`);
  }
  if (total > MAX_BIG_VALUE_BYTES) throw new CliError(valueTooLarge(total));
  return Buffer.concat(chunks);
}

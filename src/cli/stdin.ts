// Reading a body from stdin, refusing what cannot be read: the CLI never
// writes what it did not read (a closed stdin or a directory as stdin used
// to store an empty body).
import { fstatSync, readFileSync, readlinkSync } from 'node:fs';
import { CliError } from './context.js';
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

/**
 * Reads stdin to its end. Throws CliError (exit 2) naming the problem when
 * stdin is closed, a directory, or fails mid-read; `example` is the command
 * to show as the way to give a body.
 */
export async function readBody(io: CliIO, example: string): Promise<Buffer> {
  const hint = `nothing was written. Give the body on stdin, e.g. printf 'hello' | ${example} (an empty body: printf '' | ${example})`;
  if (io.stdinFd !== undefined) {
    const problem = stdinProblem(io.stdinFd);
    if (problem) throw new CliError(`cannot read the body: ${problem}; ${hint}`);
  }
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of io.stdin) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CliError(`cannot read the body from stdin: ${err.code && !err.message.startsWith(err.code) ? `${err.code}: ` : ''}${err.message}; ${hint}`);
  }
  return Buffer.concat(chunks);
}

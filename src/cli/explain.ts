// Turns any failure into one stderr line that says what went wrong and what
// to do, plus the exit status (cluster.md: 1 rev mismatch, 2 other errors).
import { AbortedError, ConnectionError } from '../client/connection.js';
import { UriError } from '../client/uri.js';
import { DoozerError } from '../errors.js';
import { CliError } from './context.js';

export const EXIT_OK = 0;
export const EXIT_REV_MISMATCH = 1;
export const EXIT_ERROR = 2;
export const EXIT_USAGE = 127;

export interface Explained {
  message: string;
  exitCode: number;
}

const URI_HINT = 'set DOOZER_URI or use -a, e.g. -a doozer:?ca=127.0.0.1:8046';

function explainServer(e: DoozerError, what: string, target: string, rev: number | undefined): string {
  const detail = e.detail ? ` (${e.detail})` : '';
  switch (e.code) {
    case 'REV_MISMATCH':
      return `rev mismatch: ${target} has changed since the rev you gave; read its current rev (doozer stat ${target}) and retry, or use rev -1 to overwrite`;
    case 'READONLY':
      return 'this node is read-only (a slave, or a CAL not yet writable); send writes to a CAL: see /ctl/cal/* and /ctl/node/<id>/addr';
    case 'TOO_LATE':
      return `${rev === undefined ? 'that rev' : `rev ${rev}`} is older than the history this node keeps; use a newer -r (doozer rev prints the current one)`;
    case 'BAD_PATH':
      return `bad path ${JSON.stringify(target)}: a path is / or /name/name..., names made of letters, digits, '.' and '-'`;
    case 'ISDIR':
      return what === 'get'
        ? `${target} is a directory; list it with: doozer find ${target}`
        : `${target} is a directory`;
    case 'NOTDIR':
      return `${target}: a parent of it is a file, not a directory`;
    case 'NOENT':
      return `${target}: no such file or directory`;
    case 'RANGE':
      return `out of range${detail}`;
    case 'MISSING_ARG':
      return `the server says an argument is missing${detail}`;
    case 'UNKNOWN_VERB':
      return `the server does not know this request${detail}; is it an older doozerd?`;
    case 'TAG_IN_USE':
      return `the server says a request tag is in use${detail} (a client bug; please report it)`;
    case 'OTHER':
      if (e.detail && /permission denied/i.test(e.detail)) {
        return `permission denied: the server needs a secret; add sk=SECRET to the URI (-a or DOOZER_URI)`;
      }
      if (e.detail && e.detail.startsWith('invalid glob pattern')) {
        return `${e.detail}: use path characters with ?, * and ** only`;
      }
      return e.detail ?? 'the server reported an error';
  }
}

export function explain(err: unknown, command: string, args: string[], rev: number | undefined): Explained {
  const prefix = command ? `doozer: ${[command, ...args.slice(0, 1)].join(' ')}: ` : 'doozer: ';
  if (err instanceof CliError) return { message: `doozer: ${err.message}`, exitCode: err.exitCode };
  if (err instanceof DoozerError) {
    return {
      message: prefix + explainServer(err, command, args[0] ?? '', rev),
      exitCode: err.code === 'REV_MISMATCH' ? EXIT_REV_MISMATCH : EXIT_ERROR,
    };
  }
  if (err instanceof ConnectionError) {
    const e = err;
    if (/^cannot connect/.test(e.message)) {
      return { message: `doozer: ${e.message}: is doozerd running there? ${URI_HINT}`, exitCode: EXIT_ERROR };
    }
    return {
      message: `${prefix}${e.message}; the node may have stopped: try again, or another node with -a`,
      exitCode: EXIT_ERROR,
    };
  }
  if (err instanceof UriError) return { message: `doozer: ${err.message}`, exitCode: EXIT_ERROR };
  if (err instanceof AbortedError) return { message: `${prefix}stopped`, exitCode: EXIT_ERROR };
  const msg = err instanceof Error ? err.message : String(err);
  return { message: `${prefix}${msg}`, exitCode: EXIT_ERROR };
}

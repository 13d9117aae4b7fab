// Turns any failure into one stderr line that says what went wrong (with the
// protocol's code name, e.g. READONLY, as the original prints it) and what to
// do, plus the exit status (cluster.md: 1 rev mismatch, 2 other errors).
import { AbortedError, ConnectionError, RequestTimeoutError } from '../client/connection.js';
import { UriError } from '../client/uri.js';
import { DoozerError } from '../wire/errors.js';
import { CliError } from './context.js';
import { shortText } from '../wire/short-text.js';

export const EXIT_OK = 0;
export const EXIT_REV_MISMATCH = 1;
export const EXIT_ERROR = 2;
export const EXIT_USAGE = 127;

export interface Explained {
  message: string;
  exitCode: number;
}

/** What the command line was and what we learned while it ran. */
export interface ExplainInfo {
  /** Command name ('' before one is known). */
  command: string;
  args: string[];
  /** -r, when given. */
  rev?: number;
  /** The command writes (set, add, del, nop, touch). */
  writes?: boolean;
  /** A secret (sk=) was presented and accepted. */
  secretGiven?: boolean;
  /** The connection uses TLS. */
  tls?: boolean;
  /** The request timeout in effect, as text ("10s", or -t as given). */
  timeoutText?: string;
  /** READONLY: addresses of the CALs, when they could be read. */
  calAddrs?: string[];
  /** A read at -r timed out: the node's current rev, when it could be read. */
  currentRev?: number;
}

const URI_HINT = "set DOOZER_URI or use -a, e.g. -a 'doozer:?ca=127.0.0.1:8046'";
const TLS_HINT = 'connect with TLS: add -tls (and -tlsca CA.pem to trust its certificate), or tls=1&tlsca=CA.pem in the URI';
const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

function explainServer(e: DoozerError, info: ExplainInfo): string {
  const target = shortText(info.args[0] ?? '');
  const rev = info.rev;
  const detail = e.detail ? ` (${e.detail})` : '';
  const hint = ((): string => {
    switch (e.code) {
      case 'REV_MISMATCH':
        return `rev mismatch: ${target} has changed since the rev you gave; read its current rev (doozer stat ${target}) and retry, or use rev -1 to overwrite`;
      case 'READONLY': {
        const where = info.calAddrs?.length
          ? `write through a CAL: -a 'doozer:?${info.calAddrs.map((a) => `ca=${a}`).join('&')}'`
          : 'write through a CAL (doozer find /ctl/cal shows them; /ctl/node/<id>/addr has their addresses)';
        return `this node is read-only (a slave, or a CAL not yet active); ${where}`;
      }
      case 'TOO_LATE':
        return `${rev === undefined ? 'that rev' : `rev ${rev}`} is older than the history this node keeps; use a newer -r (doozer rev prints the current one)`;
      case 'BAD_PATH':
        return `bad path ${JSON.stringify(target)}: a path is / or /name/name..., names made of letters, digits, '.' and '-'`;
      case 'ISDIR':
        return info.command === 'get' ? `${target} is a directory; list it with: doozer find ${target}` : `${target} is a directory`;
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
          if (info.secretGiven && info.writes) {
            return 'permission denied: the secret given (sk=) is the read-only one (DOOZER_ROSECRET): it allows reads only; writes need the read-write secret (DOOZER_RWSECRET)';
          }
          if (info.secretGiven) return `permission denied${detail}: the secret given (sk=) does not allow this`;
          return info.writes
            ? 'permission denied: the node needs a secret: writes need the read-write one; add sk=SECRET to the URI (-a or DOOZER_URI)'
            : 'permission denied: the node needs a secret; add sk=SECRET to the URI (-a or DOOZER_URI)';
        }
        if (e.detail && e.detail.startsWith('invalid glob pattern')) {
          return `${e.detail}: use path characters with ?, * and ** only`;
        }
        return e.detail ?? 'the server reported an error';
    }
  })();
  return `${e.code}: ${hint}`;
}

function explainConnection(e: ConnectionError, info: ExplainInfo): string {
  const tls = e.info.tls ?? info.tls ?? false;
  if (e instanceof RequestTimeoutError) {
    const t = `${info.timeoutText ?? 'the timeout'} (-t)`;
    if (info.rev !== undefined && info.currentRev !== undefined && info.currentRev < info.rev) {
      return `rev ${info.rev} is ahead of this node's store (at rev ${info.currentRev}); waited ${t} for it to get there. Use a rev <= ${info.currentRev} (doozer rev prints it), or a longer -t`;
    }
    if (info.writes) {
      const check = info.args[0] ? ` (check: doozer stat ${shortText(info.args[0])})` : '';
      return `${e.message} (-t): the node may be stopped, overloaded, or waiting for a quorum of CALs; the write may still happen later${check}; try again, another node with -a, or a longer -t (-t 0: wait forever)`;
    }
    return `${e.message} (-t): the node may be stopped, overloaded or cut off from the cluster; try again, another node with -a, or a longer -t (-t 0: wait forever)`;
  }
  if (/^cannot connect/.test(e.message)) {
    if (tls && e.errno && CERT_CODES.has(e.errno)) {
      return `${e.message} (${e.errno}): the server's TLS certificate is not trusted; give its CA with -tlsca CA.pem (or tlsca= in the URI)`;
    }
    if (tls && e.errno === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return `${e.message}: connect by a name or IP address the certificate lists, or reissue it`;
    }
    if (tls && (e.errno === 'ECONNRESET' || /before secure TLS connection/.test(e.message))) {
      return `${e.message}: the server closed the connection during the TLS handshake; it probably does not use TLS (doozerd without -tlscert): drop -tls/-tlsca and tls=/tlsca= from the URI`;
    }
    if (e.errno === 'ETIMEDOUT') {
      return `${e.message}: the node may be stopped, overloaded or unreachable; try another node with -a, or a longer -t`;
    }
    return `${e.message}: is doozerd running there? ${URI_HINT}`;
  }
  if (!tls && e.info.neverAnswered) {
    // Only what is known: the node closed the connection without a word. A
    // TLS node does that to a plain client, but so does any node refusing a
    // frame it cannot take, or one that stopped.
    return `${e.message} before answering anything: the node refused the request, or stopped, or it uses TLS (doozerd -tlscert; then ${TLS_HINT}); try again, or another node with -a`;
  }
  return `${e.message}; the node may have stopped: try again, or another node with -a`;
}

/** The stderr line and exit status for a failure. */
export function explain(err: unknown, info: ExplainInfo): Explained {
  const prefix = info.command ? `doozer: ${[info.command, ...info.args.slice(0, 1).map(shortText)].join(' ')}: ` : 'doozer: ';
  if (err instanceof CliError) return { message: `doozer: ${err.message}`, exitCode: err.exitCode };
  if (err instanceof DoozerError) {
    return {
      message: prefix + explainServer(err, info),
      exitCode: err.code === 'REV_MISMATCH' ? EXIT_REV_MISMATCH : EXIT_ERROR,
    };
  }
  if (err instanceof ConnectionError) {
    const msg = explainConnection(err, info);
    return { message: (/^cannot connect/.test(err.message) ? 'doozer: ' : prefix) + msg, exitCode: EXIT_ERROR };
  }
  if (err instanceof UriError) return { message: `doozer: ${err.message}`, exitCode: EXIT_ERROR };
  if (err instanceof AbortedError) return { message: `${prefix}stopped`, exitCode: EXIT_ERROR };
  const msg = err instanceof Error ? err.message : String(err);
  return { message: `${prefix}${msg}`, exitCode: EXIT_ERROR };
}

// The message of a DoozerError the client library throws for an error
// response: the code, what the request was about (verb, path, rev) and what
// to do next, e.g.
//
//   BAD_PATH: "/a b" is not a valid path: a path is / or /name/name..., names made of letters, digits, '.' and '-'
//
// The error keeps `.code` (the protocol's name) and `.detail` (the server's
// err_detail) for programs; the message is for people.
import type { ErrName } from '../wire/client-codec.js';
import { shortText } from '../wire/short-text.js';

/** What the client knows about the failed request. */
export interface FailedRequest {
  /** Verb name (GET, SET, ...). */
  verb: string;
  path?: string;
  rev?: number;
  offset?: number;
  /** host:port of the node that answered. */
  address: string;
}

const PATH_RULE = "a path is / or /name/name..., names made of letters, digits, '.' and '-'";

/** One sentence for error `code` in answer to `req` (the message after "CODE: "). */
export function explainError(code: ErrName, req: FailedRequest, detail: string | undefined): string {
  const path = shortText(req.path ?? '');
  const p = JSON.stringify(path);
  const at = req.rev === undefined ? '' : ` at rev ${req.rev}`;
  const why = detail ? ` (${detail})` : '';
  switch (code) {
    case 'BAD_PATH':
      return `${p} is not a valid ${req.verb === 'WALK' || req.verb === 'WAIT' ? 'glob' : 'path'}: ${PATH_RULE}${req.verb === 'WALK' || req.verb === 'WAIT' ? ', plus ?, * and **' : ''}`;
    case 'REV_MISMATCH':
      return `${req.verb} ${path} with rev ${req.rev ?? '?'}: the file has changed since that rev; read its current rev (get or stat) and retry, or pass rev -1 (REV_CLOBBER) to overwrite`;
    case 'READONLY':
      return `${req.verb} ${path}: ${req.address} is read-only (a slave, or a CAL not yet writable); send writes to a CAL: the nodes in /ctl/cal/*, addresses in /ctl/node/<id>/addr`;
    case 'TOO_LATE':
      return `${req.verb} ${path}${at}: that rev is older than the history ${req.address} keeps (doozerd -hist); use a newer rev (rev() gives the current one)`;
    case 'ISDIR':
      return `${path} is a directory; list it with getdirAll(${p}) or read its files with walkAll(${JSON.stringify(path.replace(/\/$/, '') + '/*')})`;
    case 'NOTDIR':
      return `${path}: a parent of it is a file, not a directory`;
    case 'NOENT':
      return `${path}: no such file or directory${at}`;
    case 'RANGE':
      return `${req.verb} ${path}: offset ${req.offset ?? '?'} is past the last entry${at}`;
    case 'OTHER':
      if (detail && /permission denied/i.test(detail)) {
        return `${req.verb}${path ? ` ${path}` : ''}: permission denied by ${req.address}: it needs a secret (DOOZER_RWSECRET, or DOOZER_ROSECRET for reads only); pass it with Client.dial(uri, { secret }) or sk= in the URI`;
      }
      return `${req.verb}${path ? ` ${path}` : ''}: ${detail ?? 'the server reported an error'}`;
    case 'MISSING_ARG':
      return `${req.verb}${path ? ` ${path}` : ''}: the server says an argument is missing${why}`;
    case 'UNKNOWN_VERB':
      return `${req.verb}: ${req.address} does not know this request${why}; is it an older doozerd?`;
    case 'TAG_IN_USE':
      return `${req.verb}: the server says the request's tag is in use${why} (a client bug; please report it)`;
  }
}

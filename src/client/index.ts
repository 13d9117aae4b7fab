// Public entry point of the doozer client library.
export { Client, uriTls } from './client.js';
/** Special revisions (spec/protocol.md), defined once in src/wire. */
export { REV_CLOBBER, REV_DIR, REV_MISSING } from '../wire/client-codec.js';
export type { DialOptions, GetResult, StatResult, WaitEvent, WalkEntry, Watch, WatchOptions } from './client.js';
export {
  AbortedError,
  Connection,
  ConnectionError,
  RequestTimeoutError,
  formatMs,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
  responseError,
} from './connection.js';
export type { ConnectOptions, ConnectionErrorInfo, RequestOptions } from './connection.js';
export { DEFAULT_PORT, formatAddress, isDoozerUri, parseAddress, parseTarget, parseUri, URI_FORM, UriError } from './uri.js';
export type { Address, DoozerUri } from './uri.js';
export { DoozerError } from '../wire/errors.js';
export type { DoozerErrorContext } from '../wire/errors.js';
export type { ErrName } from '../wire/client-codec.js';

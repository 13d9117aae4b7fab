// Errors that carry a protocol error code, so the session maps them to the
// wire in one place (spec/protocol.md, Err enum).
import type { ErrName } from './client-codec.js';

/** Extra context a client adds to a server's error (src/client/error-text.ts). */
export interface DoozerErrorContext {
  /** The path (or glob) the failed request was about. */
  path?: string;
  /** The whole message, when the code and detail alone do not say enough. */
  message?: string;
}

/**
 * An error with a protocol error code. `code` is the code's name (BAD_PATH,
 * REV_MISMATCH, ...), `detail` the server's err_detail (what goes on the
 * wire). A client-side error also knows the request's `path`, and its
 * message says the code, the path and what to do.
 */
export class DoozerError extends Error {
  /** The path or glob of the failed request, when the client knows it. */
  readonly path: string | undefined;

  constructor(
    readonly code: ErrName,
    readonly detail?: string,
    context: DoozerErrorContext = {},
  ) {
    super(context.message ?? (detail ? `${code}: ${detail}` : code));
    this.name = 'DoozerError';
    this.path = context.path;
  }
}

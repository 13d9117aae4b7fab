// Errors that carry a protocol error code, so the session maps them to the
// wire in one place (spec/protocol.md, Err enum).
import type { ErrName } from './net/client-codec.js';

export class DoozerError extends Error {
  constructor(
    readonly code: ErrName,
    readonly detail?: string,
  ) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'DoozerError';
  }
}

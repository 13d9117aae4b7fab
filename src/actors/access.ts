// Who may do what on a client connection (spec/protocol.md "Secrets"). Pure:
// the session asks `initial` for a fresh connection and `present` for every
// ACCESS request.
//
// An unset secret is the empty string, as in the original, with one
// deliberate difference: an unset read-write secret grants writes only when
// no secret at all is set. So:
//
// | configured | fresh connection | ACCESS ""       | ACCESS <rw> | ACCESS <ro> |
// | neither    | write            | write (no change) | -         | -           |
// | rw only    | read             | read            | write       | -           |
// | ro only    | none             | refused         | -           | read        |
// | both       | none             | refused         | write       | read        |
//
// A token that matches nothing is refused and the connection keeps its access.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a connection may do: nothing but REV/SELF/ACCESS, also read, or also write. */
export type Access = 'none' | 'read' | 'write';

export interface AccessPolicy {
  /** Access of a fresh connection: what `ACCESS ""` would grant, else none. */
  readonly initial: Access;
  /** Access granted by presenting `token` (absent = empty), or undefined when it matches no secret. */
  present(token: Uint8Array | string | undefined): Access | undefined;
}

function digest(s: Uint8Array | string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * The policy for a node started with these secrets (`undefined` or `''`:
 * not set). Tokens are compared with both effective secrets every time, as
 * fixed-length digests in constant time, so timing tells nothing about which
 * (or how much of one) matched.
 */
export function accessPolicy(rwSecret: string | undefined, roSecret: string | undefined): AccessPolicy {
  const rwSet = Boolean(rwSecret);
  const roSet = Boolean(roSecret);
  // The secret that grants writes: the rw one; the empty string when nothing
  // is set (an open server); none at all with only the ro secret set (a
  // random digest, compared all the same, that no token can produce).
  const rwGrants = rwSet || !roSet;
  const rw = rwSet ? digest(rwSecret!) : rwGrants ? digest('') : randomBytes(32);
  // The secret that grants reads: the ro one, else the empty string.
  const ro = digest(roSet ? roSecret! : '');
  const present = (token: Uint8Array | string | undefined): Access | undefined => {
    const given = digest(token ?? '');
    const isRw = timingSafeEqual(given, rw);
    const isRo = timingSafeEqual(given, ro);
    if (isRw && rwGrants) return 'write';
    if (isRo) return 'read';
    return undefined;
  };
  return { initial: present('') ?? 'none', present };
}

/** True when only the read-only secret is set: no connection can ever write (the node logs a warning). */
export function noClientCanWrite(rwSecret: string | undefined, roSecret: string | undefined): boolean {
  return !rwSecret && Boolean(roSecret);
}

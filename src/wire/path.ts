// Path syntax, shared by every layer that checks a path (spec/store.md "Tree"): `/`, or one or more components
// `/name`, each name one or more of ASCII letters, digits, `.` and `-`.

const PATH_RE = /^(?:\/|(?:\/[A-Za-z0-9.-]+)+)$/;

export function isValidPath(p: string): boolean {
  return PATH_RE.test(p);
}

/** True for the bytes a path component may contain. */
export function isNameByte(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2e || // .
    c === 0x2d // -
  );
}

/** Validates the path held in bytes[start, end) without decoding it. */
export function isValidPathBytes(bytes: Uint8Array, start: number, end: number): boolean {
  if (end <= start || bytes[start] !== 0x2f) return false;
  if (end - start === 1) return true; // "/"
  let compLen = 0;
  for (let i = start + 1; i < end; i++) {
    const c = bytes[i]!;
    if (c === 0x2f) {
      if (compLen === 0) return false;
      compLen = 0;
    } else if (isNameByte(c)) {
      compLen++;
    } else {
      return false;
    }
  }
  return compLen > 0;
}

/**
 * Components of a valid path: `/` -> [], `/a/b` -> ['a', 'b'].
 * The caller has validated the path.
 */
export function splitPath(p: string): string[] {
  if (p.length === 1) return [];
  return p.slice(1).split('/');
}

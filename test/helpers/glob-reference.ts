// A reference glob matcher for tests (spec/protocol.md "Globs"), written
// independently of the server's (src/actors/store/glob.ts): backtracking
// over the pattern, no regular expressions.

/**
 * Whether `path` matches glob `pat`: `?` is one character within a
 * component, `*` any run within one component, `**` any run across
 * components; every other character stands for itself.
 */
export function refGlobMatch(pat: string, path: string): boolean {
  const go = (i: number, j: number): boolean => {
    if (i === pat.length) return j === path.length;
    if (pat.startsWith('**', i)) {
      for (let k = j; k <= path.length; k++) if (go(i + 2, k)) return true;
      return false;
    }
    const c = pat[i];
    if (c === '*') {
      for (let k = j; k <= path.length; k++) {
        if (go(i + 1, k)) return true;
        if (path[k] === '/') break;
      }
      return false;
    }
    if (j >= path.length) return false;
    if (c === '?') return path[j] !== '/' && go(i + 1, j + 1);
    return c === path[j] && go(i + 1, j + 1);
  };
  return go(0, 0);
}

// Glob patterns (spec/protocol.md "Globs"): path characters plus `?` (one
// character within a component), `*` (zero or more characters within one
// component) and `**` (zero or more characters across components).
// Everything else matches itself, literally: `/a/**/b` needs `/a/`, anything,
// then `/b`, so it matches `/a/x/b` and `/a/x/y/b` but not `/a/b`.
// A valid pattern has the shape of a path (spec/store.md "Tree") whose names
// may also hold `?` and `*`: `/`, or `/name` repeated, no empty name, no
// trailing `/`. The original answers `a`, ``, `/a/`, `//` and `/a b` alike:
// `OTHER` with `invalid glob pattern: <pattern>`.
import { DoozerError } from '../../wire/errors.js';
import { shortText } from '../../wire/short-text.js';

export interface Glob {
  readonly pattern: string;
  /** Whether the full path matches the pattern. */
  matches(path: string): boolean;
  /**
   * False only when no path strictly below directory `dir` (a valid path,
   * `/` for the root) can match: lets a walk skip whole subtrees. May be
   * true when nothing below matches (it is a cheap necessary condition).
   */
  mayMatchBelow(dir: string): boolean;
}

const PATTERN_RE = /^(?:\/|(?:\/[A-Za-z0-9.\-?*]+)+)$/;

/** True when `pattern` is a valid glob (see the top of this file); WALK and WAIT refuse the others. */
export function isValidGlob(pattern: string): boolean {
  return PATTERN_RE.test(pattern);
}

/** The error a WALK or WAIT with an invalid pattern answers (spec/protocol.md "Globs"). */
export function invalidGlobError(pattern: string): DoozerError {
  return new DoozerError('OTHER', `invalid glob pattern: ${shortText(pattern)}`);
}

function componentSource(part: string): string {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '.') re += '\\.';
    else re += c; // letters, digits, '-' and '/' are literal outside a class
  }
  return re;
}

function patternSource(pattern: string): string {
  let re = '';
  let lit = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += componentSource(lit) + '.*';
      lit = '';
      i++;
    } else {
      lit += c;
    }
  }
  return re + componentSource(lit);
}

class CompiledGlob implements Glob {
  private readonly re: RegExp | undefined;
  /** The literal text before the first wildcard. */
  private readonly prefix: string;
  /** Per-component matchers when the pattern has no `**` and starts with `/`. */
  private readonly parts: RegExp[] | undefined;

  constructor(readonly pattern: string) {
    const w = pattern.search(/[?*]/);
    this.prefix = w < 0 ? pattern : pattern.slice(0, w);
    this.re = w < 0 ? undefined : new RegExp(`^${patternSource(pattern)}$`);
    if (!pattern.includes('**') && pattern.startsWith('/') && pattern !== '/') {
      this.parts = pattern
        .slice(1)
        .split('/')
        .map((p) => new RegExp(`^${componentSource(p)}$`));
    }
  }

  matches(path: string): boolean {
    return this.re ? this.re.test(path) : path === this.pattern;
  }

  mayMatchBelow(dir: string): boolean {
    const below = dir.length === 1 ? '/' : dir + '/';
    if (!(below.startsWith(this.prefix) || this.prefix.startsWith(below))) return false;
    const parts = this.parts;
    if (!parts || dir.length === 1) return true;
    const comps = dir.slice(1).split('/');
    // A file below dir has at least comps.length + 1 components.
    if (comps.length >= parts.length) return false;
    for (let i = 0; i < comps.length; i++) if (!parts[i]!.test(comps[i]!)) return false;
    return true;
  }
}

// Clients walk with the same pattern and increasing offsets, and WAIT with
// the same globs over and over: keep a few compiled ones.
const CACHE_MAX = 512;
const cache = new Map<string, Glob>();

/** Compiles (or finds in a small cache) a valid pattern. Throws `invalidGlobError` for an invalid one. */
export function compileGlob(pattern: string): Glob {
  let g = cache.get(pattern);
  if (g) return g;
  if (!isValidGlob(pattern)) throw invalidGlobError(pattern);
  g = new CompiledGlob(pattern);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(pattern, g);
  return g;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DoozerError } from '../../../src/wire/errors.js';
import { compileGlob, isValidGlob } from '../../../src/actors/store/glob.js';
import { refGlobMatch } from '../../helpers/glob-reference.js';

const m = (pattern: string, path: string): boolean => compileGlob(pattern).matches(path);

describe('glob', () => {
  it('matches literally without wildcards', () => {
    expect(m('/a/b', '/a/b')).toBe(true);
    expect(m('/a/b', '/a/bc')).toBe(false);
    expect(m('/a/b', '/a')).toBe(false);
    expect(m('/a.b', '/aXb')).toBe(false); // '.' is not a regexp dot
    expect(m('/a-b', '/a-b')).toBe(true);
  });

  it('? is exactly one character within a component', () => {
    expect(m('/a?', '/ab')).toBe(true);
    expect(m('/a?', '/a')).toBe(false);
    expect(m('/a?', '/abc')).toBe(false);
    expect(m('/a?b', '/a/b')).toBe(false);
    expect(m('/?', '/.')).toBe(true);
  });

  it('* is zero or more characters within one component', () => {
    expect(m('/a/*', '/a/x')).toBe(true);
    expect(m('/a/*', '/a/')).toBe(true); // zero characters (no such path exists, but the text matches)
    expect(m('/a/*', '/a/x/y')).toBe(false);
    expect(m('/*/b', '/x/b')).toBe(true);
    expect(m('/*/b', '/x/y/b')).toBe(false);
    expect(m('/a*c', '/ac')).toBe(true);
    expect(m('/a*c', '/abbc')).toBe(true);
    expect(m('/a*c', '/ab/c')).toBe(false);
    expect(m('/*', '/')).toBe(true);
  });

  it('** crosses components', () => {
    expect(m('/**', '/')).toBe(true);
    expect(m('/**', '/a/b/c')).toBe(true);
    expect(m('/ctl/**', '/ctl/err')).toBe(true);
    expect(m('/ctl/**', '/ctl')).toBe(false);
    expect(m('/ctl/**', '/ctlx/a')).toBe(false);
    expect(m('/a**', '/a')).toBe(true);
    expect(m('/a**', '/ab/c')).toBe(true);
  });

  it('/a/**/b needs the literal text /a/, anything, /b', () => {
    const g = compileGlob('/a/**/b');
    expect(g.matches('/a/x/b')).toBe(true);
    expect(g.matches('/a/x/y/b')).toBe(true);
    expect(g.matches('/a/b')).toBe(false);
    expect(g.matches('/a/x/bb')).toBe(false);
    expect(g.matches('/b/x/b')).toBe(false);
  });

  it('keeps the pattern', () => {
    expect(compileGlob('/a/*').pattern).toBe('/a/*');
  });

  // Not the shape of a path (the original answers these the same way), or a character outside the alphabet.
  it.each(['a', '', '/a/', '//', '/a//b', '*', '**', '/**/', '/*/', '/a/*/', 'a/**', ' /a',
    '/a b', '/a_b', '/a[b]', '/a+', '/a\\b', '/é', '/a{b,c}', '/a^', '/a$', '/(a)', '/a|b'])(
    'rejects invalid pattern %j with OTHER',
    (p) => {
      let err: unknown;
      try {
        compileGlob(p);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DoozerError);
      expect((err as DoozerError).code).toBe('OTHER');
      expect((err as DoozerError).detail).toBe(`invalid glob pattern: ${p}`);
    },
  );

  it.each(['/', '/*', '/**', '/***', '/a**b', '/?', '/a.b', '/-', '/.', '/..', '/a/**/b', '/ctl/*/0', '/A', '/a?/b'])(
    'accepts %j (as the original does)',
    (p) => {
      expect(isValidGlob(p)).toBe(true);
      expect(compileGlob(p).pattern).toBe(p);
    },
  );

  it('rejects an invalid pattern every time (not cached as valid)', () => {
    expect(() => compileGlob('/x y')).toThrow(DoozerError);
    expect(() => compileGlob('/x y')).toThrow(DoozerError);
  });

  // Valid patterns only: '/' or '/name' repeated, names of pattern characters.
  const patChar = fc.constantFrom('a', 'b', '-', '.', '?', '*', '*', '**');
  const pathChar = fc.constantFrom('/', 'a', 'b', '-', '.');
  const patName = fc.array(patChar, { minLength: 1, maxLength: 4 }).map((a) => a.join(''));
  const pattern = fc.oneof(
    fc.constant('/'),
    fc.array(patName, { minLength: 1, maxLength: 3 }).map((a) => '/' + a.join('/')),
  );
  const text = fc.array(pathChar, { maxLength: 8 }).map((a) => a.join(''));

  it('agrees with a reference matcher (property)', () => {
    fc.assert(
      fc.property(pattern, text, (p, s) => {
        expect(m(p, s)).toBe(refGlobMatch(p, s));
      }),
      { numRuns: 3000 },
    );
  });

  it('mayMatchBelow never prunes a directory holding a match (property)', () => {
    const name = fc.constantFrom('a', 'b', 'ab', 'a-b', '.', 'b.a');
    const path = fc.array(name, { minLength: 1, maxLength: 5 }).map((c) => '/' + c.join('/'));
    fc.assert(
      fc.property(pattern, path, (p, file) => {
        const g = compileGlob(p);
        if (!g.matches(file)) return;
        const comps = file.slice(1).split('/');
        for (let k = 0; k < comps.length; k++) {
          const dir = '/' + comps.slice(0, k).join('/');
          expect(g.mayMatchBelow(dir)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('mayMatchBelow prunes what cannot match', () => {
    expect(compileGlob('/ctl/node/*/addr').mayMatchBelow('/a')).toBe(false);
    expect(compileGlob('/ctl/node/*/addr').mayMatchBelow('/ctl/node/x/addr')).toBe(false);
    expect(compileGlob('/ctl/node/*/addr').mayMatchBelow('/ctl/node/x')).toBe(true);
    expect(compileGlob('/a/**').mayMatchBelow('/b')).toBe(false);
    expect(compileGlob('/a/**').mayMatchBelow('/a/b/c')).toBe(true);
    expect(compileGlob('/*').mayMatchBelow('/a')).toBe(false);
    expect(compileGlob('/**').mayMatchBelow('/')).toBe(true);
  });
});

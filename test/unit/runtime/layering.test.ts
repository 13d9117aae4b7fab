// The actor runtime knows nothing of doozer: no file under src/runtime
// imports from outside src/runtime, except the logger (src/log.ts) and
// Node's or npm's modules. Doozer's kinds and durable classes reach the
// runtime as values (kinds, kindModules), never as imports.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const RUNTIME = join(ROOT, 'src/runtime');
const ALLOWED = new Set([join(ROOT, 'src/log.ts')]);

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every module specifier of a file: static imports and exports, and import() calls. */
export function specifiers(source: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of source.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** Relative imports of the runtime files that leave src/runtime (file: specifier). */
function outsideImports(): string[] {
  const bad: string[] = [];
  for (const file of tsFiles(RUNTIME)) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue; // node: and npm packages
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      if (target.startsWith(RUNTIME + '/') || ALLOWED.has(target)) continue;
      bad.push(`${relative(ROOT, file)}: ${spec}`);
    }
  }
  return bad;
}

describe('layering', () => {
  it('finds imports of every form (so that the check below can fail)', () => {
    const src = [
      "import { a } from '../actors/kinds.js';",
      "import type { B } from '../node/x.js';",
      "import '../storage/y.js';",
      "export { c } from '../net/z.js';",
      "const m = await import('../actors/w.js');",
      'import {\n  d,\n  e,\n} from "./local.js";',
    ].join('\n');
    expect(specifiers(src)).toEqual(['../actors/kinds.js', '../node/x.js', '../storage/y.js', '../net/z.js', '../actors/w.js', './local.js']);
  });

  it('no file under src/runtime imports from outside src/runtime (src/log.ts allowed)', () => {
    expect(outsideImports()).toEqual([]);
  });
});

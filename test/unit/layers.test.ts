// The layers of src/ (docs/architecture.md): every file's imports, parsed with
// the TypeScript scanner, may only reach folders of a lower layer. A failure
// names the file, the import and the rule it breaks.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');

/**
 * THE layer table (the same rows are in docs/architecture.md and in the
 * README's "Architecture" section; a test below keeps them equal). A file in
 * a folder may import only from folders of a strictly lower layer (and from
 * its own folder); folders of one layer do not import each other.
 */
const LAYERS: readonly { layer: number; folders: readonly string[]; holds: string }[] = [
  { layer: 0, folders: ['wire'], holds: 'wire formats and shared constants: client and peer codecs, .proto schema, framing, error codes, flag bits, special revs, limits, DoozerError, version' },
  { layer: 1, folders: ['runtime', 'storage', 'client'], holds: 'the actor system and log (knows nothing of doozer); -data on disk; the client library' },
  { layer: 2, folders: ['actors'], holds: 'one file or folder per concern; the messages and endpoint names of each actor beside it' },
  { layer: 3, folders: ['net'], holds: 'bytes and routing: TCP listener, UDP transport, HTTP (web view, /$actors, /metrics)' },
  { layer: 4, folders: ['node'], holds: 'one doozerd: flags, boot, attach, follower, name service, wiring' },
  { layer: 5, folders: ['check', 'sim', 'cli'], holds: 'tools: history checkers, the simulator, the doozer command' },
  { layer: 6, folders: ['torture'], holds: 'torture and fuzz runs (use check and sim)' },
];

/**
 * Upward imports that exist today and are being removed on another branch
 * (issue 10: "runtime knows nothing of doozer"). Each entry is `file -> import`
 * exactly as written; an entry that no longer matches an import fails the
 * test, so the list only shrinks.
 */
const KNOWN_UPWARD: readonly string[] = [];

const layerOf = new Map<string, number>(LAYERS.flatMap((l) => l.folders.map((f) => [f, l.layer] as const)));

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|cts|js|mjs)$/.test(name)) out.push(p);
  }
  return out.sort();
}

/** Repo-relative path with forward slashes. */
const rel = (p: string): string => relative(ROOT, p).split(sep).join('/');

/** The folder under src/ a path (repo-relative) is in; undefined for a file directly in src/ or outside it. */
function folderOf(path: string): string | undefined {
  const parts = path.split('/');
  return parts[0] === 'src' && parts.length > 2 ? parts[1] : undefined;
}

/** Every relative import (static, re-export, side-effect, dynamic, type-only) of a file. */
function relativeImports(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('./') || s.startsWith('../'));
}

interface Edge {
  file: string;
  spec: string;
  from: string | undefined;
  to: string | undefined;
  target: string;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const abs of sourceFiles(SRC)) {
    const file = rel(abs);
    for (const spec of relativeImports(abs)) {
      const target = rel(normalize(join(dirname(abs), spec)));
      out.push({ file, spec, from: folderOf(file), to: folderOf(target), target });
    }
  }
  return out;
}

/** What is wrong with one import, or undefined. */
function violation(e: Edge): string | undefined {
  if (e.from === undefined) return `${e.file} is not in a layer folder: move it into one of ${[...layerOf.keys()].join(', ')}`;
  const fl = layerOf.get(e.from);
  if (fl === undefined) return `${e.file}: folder src/${e.from} is in no layer: add it to LAYERS in test/unit/layers.test.ts and docs/architecture.md`;
  if (e.to === e.from) return undefined;
  if (e.to === undefined) return `${e.file} imports ${e.spec} (${e.target}), which is outside the layer folders of src/`;
  const tl = layerOf.get(e.to);
  if (tl === undefined) return `${e.file} imports ${e.spec}: folder src/${e.to} is in no layer`;
  if (tl < fl) return undefined;
  const how = tl === fl ? 'a folder of the same layer' : 'upwards';
  return `${e.file} imports ${e.spec}: ${e.from} (layer ${fl}) may not import ${e.to} (layer ${tl}), ${how}`;
}

/** The table as markdown rows, as docs/architecture.md and the README show it. */
function layerTableMarkdown(): string {
  const rows = ['| layer | folders under src/ | holds |', '| ---: | --- | --- |'];
  for (const l of LAYERS) rows.push(`| ${l.layer} | ${l.folders.map((f) => `\`${f}\``).join(', ')} | ${l.holds} |`);
  return rows.join('\n');
}

describe('layers of src/', () => {
  const all = edges();

  it('finds the imports it checks', () => {
    // Guards against a scanner that silently sees nothing.
    expect(all.length).toBeGreaterThan(300);
    expect(all.some((e) => e.file === 'src/node/node.ts' && e.to === 'net')).toBe(true);
  });

  it('no folder imports upwards or sideways', () => {
    const problems = all
      .filter((e) => !KNOWN_UPWARD.includes(`${e.file} -> ${e.spec}`))
      .map(violation)
      .filter((v): v is string => v !== undefined);
    expect(problems, `imports that break the layer order (docs/architecture.md):\n${problems.join('\n')}`).toEqual([]);
  });

  it('src/client and src/wire import nothing above wire (the client library stands alone)', () => {
    const bad = all.filter((e) => (e.from === 'client' || e.from === 'wire') && e.to !== e.from && e.to !== 'wire');
    expect(bad.map((e) => `${e.file} imports ${e.spec}`)).toEqual([]);
  });

  it('every known upward import still exists (remove the ones fixed)', () => {
    const present = new Set(all.map((e) => `${e.file} -> ${e.spec}`));
    const stale = KNOWN_UPWARD.filter((k) => !present.has(k));
    expect(stale, 'fixed: delete these lines from KNOWN_UPWARD in test/unit/layers.test.ts').toEqual([]);
    for (const k of KNOWN_UPWARD) {
      const e = all.find((x) => `${x.file} -> ${x.spec}` === k)!;
      expect(violation(e), `${k} is not upward: delete it from KNOWN_UPWARD`).toBeDefined();
    }
  });

  it('the check itself fails on an upward import', () => {
    const up = violation({ file: 'src/actors/x.ts', spec: '../net/udp-transport.js', from: 'actors', to: 'net', target: 'src/net/udp-transport.js' });
    expect(up).toBe('src/actors/x.ts imports ../net/udp-transport.js: actors (layer 2) may not import net (layer 3), upwards');
    expect(violation({ file: 'src/client/x.ts', spec: '../runtime/log.js', from: 'client', to: 'runtime', target: 'src/runtime/log.js' })).toMatch(/same layer/);
    expect(violation({ file: 'src/net/x.ts', spec: '../wire/framing.js', from: 'net', to: 'wire', target: 'src/wire/framing.js' })).toBeUndefined();
  });

  it('every folder of src/ is in the table, and no file sits directly in src/', () => {
    const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
    expect(folders.filter((f) => !layerOf.has(f)), 'add these folders to LAYERS and docs/architecture.md').toEqual([]);
    expect(readdirSync(SRC).filter((n) => !statSync(join(SRC, n)).isDirectory())).toEqual([]);
  });

  it('the table in docs/architecture.md and the README is this one', () => {
    const table = layerTableMarkdown();
    for (const doc of ['docs/architecture.md', 'README.md']) {
      expect(readFileSync(join(ROOT, doc), 'utf8'), `${doc} must contain the layer table of test/unit/layers.test.ts:\n${table}`).toContain(table);
    }
  });
});

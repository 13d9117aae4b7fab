// The `doozer dump` file (docs/durability.md, "Backup and restore"): JSON
// lines, versioned. Pure: used by the CLI to write and by `doozerd -restore`
// to read.
//
//   {"format":"doozer-dump","version":1,"rev":N}        header
//   {"path":"/a/b","rev":R,"body":"<base64>"}           one line per file, path order
//   {"end":true,"files":K}                              trailer (a cut file lacks it)

import { isValidPath } from '../wire/path.js';
import { MAX_BIG_VALUE_BYTES } from '../wire/limits.js';

export const DUMP_FORMAT = 'doozer-dump';
export const DUMP_VERSION = 1;

/** One file of a dump. */
export interface DumpFile {
  path: string;
  rev: number;
  body: Uint8Array;
}

/** A whole dump: every file of the store at `rev`. */
export interface Dump {
  rev: number;
  files: DumpFile[];
}

export class DumpFormatError extends Error {}

/** The header line (with its newline). */
export function dumpHeader(rev: number): string {
  return `${JSON.stringify({ format: DUMP_FORMAT, version: DUMP_VERSION, rev })}\n`;
}

/** One file's line (with its newline). */
export function dumpLine(f: DumpFile): string {
  return `${JSON.stringify({ path: f.path, rev: f.rev, body: Buffer.from(f.body).toString('base64') })}\n`;
}

/** The trailer line (with its newline). */
export function dumpTrailer(files: number): string {
  return `${JSON.stringify({ end: true, files })}\n`;
}

/** Strict base64 (RFC 4648, padded, canonical: it encodes back to itself), as `dumpLine` writes it. */
function strictBase64(s: string): Uint8Array | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return undefined;
  const b = Buffer.from(s, 'base64');
  return b.toString('base64') === s ? new Uint8Array(b) : undefined;
}

/**
 * Parse a whole dump and check it holds only what the store accepts, so a
 * restore can refuse it before writing anything (docs/durability.md,
 * "What -restore checks"). Throws DumpFormatError `NAME:LINE: why` (lines
 * from 1) when it is not a complete version-1 dump, or a file line has a
 * bad path (spec/store.md "Tree"; `/` is a directory), a path seen before,
 * a path that is also another file's directory, a rev outside 1..header
 * rev, a body that is not strict base64, or a body over
 * MAX_BIG_VALUE_BYTES.
 */
export function parseDump(text: string, name: string): Dump {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const bad = (i: number, why: string): never => {
    throw new DumpFormatError(`${name}:${i + 1}: ${why}`);
  };
  const json = (i: number): Record<string, unknown> => {
    try {
      const v = JSON.parse(lines[i]!) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(i, 'not a JSON object');
      return v as Record<string, unknown>;
    } catch (e) {
      if (e instanceof DumpFormatError) throw e;
      return bad(i, 'not JSON');
    }
  };
  if (lines.length === 0) bad(0, 'empty file: not a doozer dump');
  const h = json(0);
  if (h.format !== DUMP_FORMAT) bad(0, `not a doozer dump (want a header {"format":"${DUMP_FORMAT}",...})`);
  if (h.version !== DUMP_VERSION) bad(0, `dump format version ${String(h.version)}; this doozerd reads version ${DUMP_VERSION}`);
  if (!Number.isSafeInteger(h.rev) || (h.rev as number) < 0) bad(0, 'bad rev in the header');
  const rev = h.rev as number;
  const files: DumpFile[] = [];
  /** Line (index) of each file's path, and of the first file under each directory. */
  const fileAt = new Map<string, number>();
  const dirAt = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const o = json(i);
    if (o.end === true) {
      if (i !== lines.length - 1) bad(i, 'lines after the end line');
      if (o.files !== files.length) bad(i, `the end line counts ${String(o.files)} files, the dump holds ${files.length}`);
      return { rev, files };
    }
    if (typeof o.path !== 'string') bad(i, 'bad path (want a string like "/a/b")');
    const path = o.path as string;
    if (!isValidPath(path)) bad(i, `bad path ${JSON.stringify(path)} (a path is / followed by names of letters, digits, . and -, separated by /)`);
    if (path === '/') bad(i, 'bad path "/": it is the root directory, not a file');
    const seen = fileAt.get(path);
    if (seen !== undefined) bad(i, `path ${path} appears twice (also on line ${seen + 1})`);
    const under = dirAt.get(path);
    if (under !== undefined) bad(i, `path ${path} is a file here but a directory on line ${under + 1}`);
    for (let k = path.indexOf('/', 1); k > 0; k = path.indexOf('/', k + 1)) {
      const dir = path.slice(0, k);
      const f = fileAt.get(dir);
      if (f !== undefined) bad(i, `path ${path} needs ${dir} to be a directory, but line ${f + 1} makes it a file`);
      if (!dirAt.has(dir)) dirAt.set(dir, i);
    }
    if (!Number.isSafeInteger(o.rev) || (o.rev as number) < 1 || (o.rev as number) > rev) bad(i, `bad rev ${JSON.stringify(o.rev)} (want 1..${rev}, the header's rev)`);
    if (typeof o.body !== 'string') bad(i, 'bad body (want a base64 string)');
    const body = strictBase64(o.body as string);
    if (body === undefined) bad(i, 'bad body: not strict base64 (A-Z a-z 0-9 + /, padded with =)');
    if (body!.length > MAX_BIG_VALUE_BYTES) bad(i, `body of ${body!.length} bytes is over the ${MAX_BIG_VALUE_BYTES}-byte limit for a value`);
    fileAt.set(path, i);
    files.push({ path, rev: o.rev as number, body: body! });
  }
  return bad(lines.length - 1, 'the dump is cut short (no end line): take the dump again');
}

// The `doozer dump` file (docs/durability.md, "Backup and restore"): JSON
// lines, versioned. Pure: used by the CLI to write and by `doozerd -restore`
// to read.
//
//   {"format":"doozer-dump","version":1,"rev":N}        header
//   {"path":"/a/b","rev":R,"body":"<base64>"}           one line per file, path order
//   {"end":true,"files":K}                              trailer (a cut file lacks it)

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

/** Parse a whole dump. Throws DumpFormatError naming `name` and the line when it is not a complete version-1 dump. */
export function parseDump(text: string, name: string): Dump {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const bad = (i: number, why: string): never => {
    throw new DumpFormatError(`${name}:${i + 1}: ${why}`);
  };
  const json = (i: number): Record<string, unknown> => {
    try {
      const v = JSON.parse(lines[i]!) as unknown;
      if (typeof v !== 'object' || v === null) return bad(i, 'not a JSON object');
      return v as Record<string, unknown>;
    } catch {
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
  for (let i = 1; i < lines.length; i++) {
    const o = json(i);
    if (o.end === true) {
      if (i !== lines.length - 1) bad(i, 'lines after the end line');
      if (o.files !== files.length) bad(i, `the end line counts ${String(o.files)} files, the dump holds ${files.length}`);
      return { rev, files };
    }
    if (typeof o.path !== 'string' || !o.path.startsWith('/')) bad(i, 'bad path');
    if (!Number.isSafeInteger(o.rev) || (o.rev as number) < 1 || (o.rev as number) > rev) bad(i, `bad rev (want 1..${rev})`);
    if (typeof o.body !== 'string') bad(i, 'bad body (want base64)');
    files.push({ path: o.path as string, rev: o.rev as number, body: new Uint8Array(Buffer.from(o.body as string, 'base64')) });
  }
  return bad(lines.length - 1, 'the dump is cut short (no end line): take the dump again');
}

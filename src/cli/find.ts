import { REV_DIR, REV_MISSING } from '../wire/client-codec.js';
import type { Command } from './context.js';

function parentDirs(file: string, root: string): string[] {
  // Directories strictly between root and file, outermost first.
  const out: string[] = [];
  let i = root === '/' ? 0 : root.length;
  for (;;) {
    i = file.indexOf('/', i + 1);
    if (i < 0) return out;
    out.push(file.slice(0, i));
  }
}

/**
 * find <path>: every directory and file path under <path> (itself
 * included), one a line, depth-first with entries in byte order, all read at
 * one rev. Files come from one WALK of <path>/**; directories are implicit,
 * so each one is printed just before its first file. A missing <path>: NOENT
 * on stderr and exit 0, as the original.
 */
export const find: Command = {
  name: 'find',
  synopsis: '<path>',
  summary: 'print every directory and file path under it',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    let root = ctx.args[0]!;
    if (root.length > 1) root = root.replace(/\/+$/, '') || '/';
    const c = await ctx.client();
    const rev = ctx.rev ?? (await c.rev());
    const st = await c.stat(root, rev);
    if (st.rev === REV_MISSING) {
      // Like the original: a message on stderr, exit 0.
      ctx.warn(`doozer: find ${root}: NOENT: no such file or directory`);
      return;
    }
    await ctx.out(`${root}\n`);
    if (st.rev !== REV_DIR) return;
    const files = await c.walkAll(root === '/' ? '/**' : `${root}/**`, rev);
    const printed = new Set<string>();
    let lines: string[] = [];
    for (const f of files) {
      for (const d of parentDirs(f.path, root)) {
        if (!printed.has(d)) {
          printed.add(d);
          lines.push(d);
        }
      }
      lines.push(f.path);
      if (lines.length >= 512) {
        await ctx.out(lines.join('\n') + '\n');
        lines = [];
      }
    }
    if (lines.length) await ctx.out(lines.join('\n') + '\n');
  },
};

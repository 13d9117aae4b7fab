import type { Command } from './context.js';

/**
 * touch <path>: rewrites a file with its own body (a new rev, same body). A
 * missing file is created empty, like touch(1). If the file changes between
 * the read and the write: rev mismatch, exit 1.
 */
export const touch: Command = {
  name: 'touch',
  synopsis: '<path>',
  summary: 'rewrite a file with its own body',
  minArgs: 1,
  maxArgs: 1,
  writes: true,
  async run(ctx) {
    const path = ctx.args[0]!;
    const c = await ctx.client();
    const { value, rev } = await c.get(path);
    await c.set(path, rev, value);
  },
};

import { parseRev } from './context.js';
import type { Command } from './context.js';

/** del <path> <rev>: deletes the file; prints nothing. */
export const del: Command = {
  name: 'del',
  synopsis: '<path> <rev>',
  summary: 'delete a file if its rev is <= <rev>',
  minArgs: 2,
  maxArgs: 2,
  writes: true,
  async run(ctx) {
    const [path, revText] = ctx.args as [string, string];
    const rev = parseRev(revText);
    const c = await ctx.client();
    await c.del(path, rev);
  },
};

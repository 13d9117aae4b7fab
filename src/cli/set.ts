import { parseRev } from './context.js';
import type { Command } from './context.js';

/** set <path> <rev>: writes stdin as the body; prints the new rev. */
export const set: Command = {
  name: 'set',
  synopsis: '<path> <rev>',
  summary: 'write stdin as the body; print the new rev',
  minArgs: 2,
  maxArgs: 2,
  writes: true,
  async run(ctx) {
    const [path, revText] = ctx.args as [string, string];
    const rev = parseRev(revText);
    const body = await ctx.readStdin();
    const c = await ctx.client();
    const newRev = await c.set(path, rev, body);
    await ctx.out(`${newRev}\n`);
  },
};

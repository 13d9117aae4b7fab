import type { Command } from './context.js';

/** rev: the node's current rev. */
export const rev: Command = {
  name: 'rev',
  synopsis: '',
  summary: 'print the current revision',
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    const c = await ctx.client();
    await ctx.out(`${await c.rev()}\n`);
  },
};

import type { Command } from './context.js';

/** self: the node's id, no newline. */
export const self: Command = {
  name: 'self',
  synopsis: '',
  summary: 'print the id of the node (no newline)',
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    const c = await ctx.client();
    await ctx.out(await c.self());
  },
};

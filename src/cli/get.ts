import type { Command } from './context.js';

/** get <path>: prints the body, nothing added. A missing file prints nothing. */
export const get: Command = {
  name: 'get',
  synopsis: '<path>',
  summary: 'print the body of a file, nothing added',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const c = await ctx.client();
    const { value } = await c.get(ctx.args[0]!, ctx.rev);
    await ctx.out(value);
  },
};

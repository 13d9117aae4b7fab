import type { Command } from './context.js';

/** nop: one consensus round that changes nothing. */
export const nop: Command = {
  name: 'nop',
  synopsis: '',
  summary: 'run one consensus round that changes nothing',
  minArgs: 0,
  maxArgs: 0,
  writes: true,
  async run(ctx) {
    const c = await ctx.client();
    await c.nop();
  },
};

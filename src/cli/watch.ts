import type { Command } from './context.js';
import { formatEvent } from './format.js';

/** watch <glob>: every change to a matching file, forever, one record each. */
export const watch: Command = {
  name: 'watch',
  synopsis: '<glob>',
  summary: 'print every change to matching files, forever',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const c = await ctx.client();
    for await (const ev of c.watch(ctx.args[0]!, ctx.rev, { signal: ctx.signal })) {
      await ctx.out(formatEvent(ev));
    }
  },
};

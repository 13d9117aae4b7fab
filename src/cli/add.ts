import { DoozerError } from '../wire/errors.js';
import { CliError } from './context.js';
import type { Command } from './context.js';
import { shortText } from '../wire/short-text.js';

/** add <path>: set <path> 0 (create only); prints the new rev. */
export const add: Command = {
  name: 'add',
  synopsis: '<path>',
  summary: 'create the file (set <path> 0); print its rev',
  minArgs: 1,
  maxArgs: 1,
  writes: true,
  async run(ctx) {
    const path = ctx.args[0]!;
    const body = await ctx.readStdin();
    const c = await ctx.client();
    let rev: number;
    try {
      rev = await c.set(path, 0, body);
    } catch (e) {
      if (e instanceof DoozerError && e.code === 'REV_MISMATCH') {
        const shown = shortText(path);
        throw new CliError(`add ${shown}: REV_MISMATCH: ${shown} already exists; use "doozer set ${shown} <rev>" to overwrite it`, 1);
      }
      throw e;
    }
    await ctx.out(`${rev}\n`);
  },
};

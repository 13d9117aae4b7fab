import { REV_DIR, REV_MISSING } from '../wire/client-codec.js';
import { CliError } from './context.js';
import type { Command } from './context.js';
import { shortText } from '../wire/short-text.js';

/** stat <path>: `<rev> <len>`, or `d <entries>` for a directory; missing: exit 2. */
export const stat: Command = {
  name: 'stat',
  synopsis: '<path>',
  summary: 'print "<rev> <len>", or "d <entries>" for a dir',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const path = ctx.args[0]!;
    const c = await ctx.client();
    const st = await c.stat(path, ctx.rev);
    if (st.rev === REV_MISSING) {
      const at = ctx.rev === undefined ? '' : ` at rev ${ctx.rev}`;
      throw new CliError(`stat ${shortText(path)}: NOENT: no such file or directory${at}`);
    }
    await ctx.out(st.rev === REV_DIR ? `d ${st.len}\n` : `${st.rev} ${st.len}\n`);
  },
};

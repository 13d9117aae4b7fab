import { DoozerError } from '../wire/errors.js';
import type { Command } from './context.js';
import { dumpHeader, dumpLine, dumpTrailer } from '../storage/dump-format.js';

/**
 * dump: every file of the store at one rev (the current one, or -r), with
 * its body and rev, as a `doozer-dump` version 1 file on stdout (JSON lines:
 * header, one line per file, an end line; docs/durability.md). A backup
 * that `doozerd -restore FILE` starts a new cluster from. Without -r, a rev
 * that leaves the history while it is read is retried at a newer one.
 */
export const dump: Command = {
  name: 'dump',
  synopsis: '',
  summary: 'write a snapshot of the whole store to stdout (for doozerd -restore)',
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    const c = await ctx.client();
    for (let attempt = 1; ; attempt++) {
      const rev = ctx.rev ?? (await c.rev());
      let files;
      try {
        files = await c.walkAll('/**', rev);
      } catch (e) {
        if (ctx.rev === undefined && e instanceof DoozerError && e.code === 'TOO_LATE' && attempt < 10) continue;
        throw e;
      }
      let out = dumpHeader(rev);
      for (const f of files) {
        out += dumpLine({ path: f.path, rev: f.rev, body: f.value });
        if (out.length >= 1 << 16) {
          await ctx.out(out);
          out = '';
        }
      }
      await ctx.out(out + dumpTrailer(files.length));
      return;
    }
  },
};

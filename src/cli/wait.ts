import { AbortedError } from '../client/connection.js';
import { CliError } from './context.js';
import type { Command } from './context.js';
import { formatEvent } from './format.js';

/**
 * wait [-t duration] <glob>: the first change at or after -r (default: the
 * next change) to a file matching <glob>.
 */
export const wait: Command = {
  name: 'wait',
  synopsis: '[-t duration] <glob>',
  summary: 'print the next change to a matching file',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const glob = ctx.args[0]!;
    const c = await ctx.client();
    const from = ctx.rev ?? (await c.rev()) + 1;
    const abort = new AbortController();
    const onStop = (): void => abort.abort();
    ctx.signal.addEventListener('abort', onStop, { once: true });
    let timedOut = false;
    const timer =
      ctx.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            abort.abort();
          }, ctx.timeoutMs);
    try {
      const ev = await c.wait(glob, from, { signal: abort.signal });
      await ctx.out(formatEvent(ev));
    } catch (e) {
      if (e instanceof AbortedError && timedOut) {
        throw new CliError(`wait ${glob}: timed out after ${ctx.timeoutText ?? `${ctx.timeoutMs} ms`} with no change from rev ${from}`);
      }
      throw e;
    } finally {
      if (timer) clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onStop);
    }
  },
};

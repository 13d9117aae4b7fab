// `doozerd` entry point: flags, start, signals, exit codes.
import { logger, logLevelProblem } from '../runtime/log.js';
import { FlagError, parseFlags, usage } from './flags.js';
import { startNode } from './node.js';
import { ListenError } from './listen-check.js';
import { VERSION } from '../wire/version.js';

const log = logger('doozerd');

export async function main(argv: string[]): Promise<void> {
  let opts;
  try {
    opts = parseFlags(argv);
  } catch (e) {
    if (e instanceof FlagError) {
      // A malformed command line gets the whole usage; a bad value of a
      // known flag gets its message and a pointer (the usage would bury it).
      process.stderr.write(`doozerd: ${e.message}\n${e.usage ? usage : 'run doozerd -h for the flags\n'}`);
      process.exit(2);
    }
    throw e;
  }
  const badLog = logLevelProblem(process.env);
  if (badLog) {
    process.stderr.write(`doozerd: ${badLog}\n`);
    process.exit(2);
  }
  if (opts.showHelp) {
    process.stdout.write(usage);
    return;
  }
  if (opts.showVersion) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  try {
    const node = await startNode(opts, {
      ...(process.env.DOOZER_RWSECRET ? { rwSecret: process.env.DOOZER_RWSECRET } : {}),
      ...(process.env.DOOZER_ROSECRET ? { roSecret: process.env.DOOZER_ROSECRET } : {}),
      onFatal(reason) {
        log.error(`${reason}; exiting`);
        process.exit(1);
      },
    });
    // The one line a user sees by default; DOOZERD_LOG=error hides it too.
    if (log.enabled('warn')) process.stderr.write(`${node.startupLine}\n`);
    const shutdown = (sig: string): void => {
      log.info(`${sig}: shutting down`);
      node.close().finally(() => process.exit(0));
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (e instanceof ListenError) {
      log.error(err.message);
    } else if (err.code === 'EADDRINUSE') {
      log.error(`cannot listen on ${opts.listen.host}:${opts.listen.port}: address in use; is another doozerd running? pick another with -l`);
    } else {
      log.error(`cannot start: ${err.message}`);
    }
    process.exit(1);
  }
}

// One line per event: time, level, who, what. Quiet by default (warn and
// above); DOOZERD_LOG=info|debug turns on more.
export type Level = 'error' | 'warn' | 'info' | 'debug';
const order: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** The values DOOZERD_LOG accepts, least to most verbose. */
export const LOG_LEVELS: readonly Level[] = ['error', 'warn', 'info', 'debug'];

/**
 * Reads a DOOZERD_LOG value: unset or empty means the default (warn); case
 * is ignored. Throws Error naming the allowed values for anything else.
 */
export function parseLogLevel(text: string | undefined): Level {
  if (text === undefined || text.trim() === '') return 'warn';
  const v = text.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as Level;
  throw new Error(`DOOZERD_LOG=${text} is not a log level: use one of ${LOG_LEVELS.join(', ')} (default warn)`);
}

/** The problem with $DOOZERD_LOG, or undefined when it is fine (for startup checks). */
export function logLevelProblem(env: Record<string, string | undefined> = process.env): string | undefined {
  try {
    parseLogLevel(env.DOOZERD_LOG);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

let threshold: number = order[(() => {
  try {
    return parseLogLevel(process.env.DOOZERD_LOG);
  } catch {
    return 'warn'; // The entry points refuse to start with a bad value (logLevelProblem).
  }
})()];

export function setLogLevel(level: Level): void {
  threshold = order[level];
}

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  enabled(level: Level): boolean;
}

export function logger(who: string): Logger {
  const line = (level: Level, msg: string): void => {
    if (order[level] > threshold) return;
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${who}: ${msg}\n`);
  };
  return {
    error: (m) => line('error', m),
    warn: (m) => line('warn', m),
    info: (m) => line('info', m),
    debug: (m) => line('debug', m),
    enabled: (l) => order[l] <= threshold,
  };
}

// One line per event: time, level, who, what. Quiet by default (warn and
// above); DOOZERD_LOG=info|debug turns on more.
export type Level = 'error' | 'warn' | 'info' | 'debug';
const order: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };

let threshold: number = order[(process.env.DOOZERD_LOG as Level) ?? 'warn'] ?? order.warn;

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

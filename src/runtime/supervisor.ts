// One-for-one restart decisions with an intensity limit (as in Erlang/OTP):
// at most `maxRestarts` within `windowMs`; each restart waits a little longer
// (backoff); past the limit the failure escalates instead of flapping.
export interface RestartLimits {
  maxRestarts: number;
  windowMs: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export const defaultRestartLimits: RestartLimits = {
  maxRestarts: 5,
  windowMs: 10_000,
  baseBackoffMs: 10,
  maxBackoffMs: 1_000,
};

export type RestartDecision = { action: 'restart'; delayMs: number } | { action: 'escalate'; reason: string };

export class RestartTracker {
  private recent: number[] = [];

  constructor(private readonly limits: RestartLimits = defaultRestartLimits) {}

  /** Record a crash at time `now` and decide. */
  onCrash(now: number): RestartDecision {
    const { maxRestarts, windowMs, baseBackoffMs, maxBackoffMs } = this.limits;
    this.recent = this.recent.filter((t) => now - t < windowMs);
    if (this.recent.length >= maxRestarts) {
      return {
        action: 'escalate',
        reason: `${this.recent.length + 1} crashes within ${windowMs} ms (limit ${maxRestarts} restarts)`,
      };
    }
    this.recent.push(now);
    const delayMs = Math.min(maxBackoffMs, baseBackoffMs * 2 ** (this.recent.length - 1));
    return { action: 'restart', delayMs };
  }
}

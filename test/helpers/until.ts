// Wait for a condition with a deadline (never a fixed sleep).
import { DEADLINE } from './deadlines.js';

/** Polls `probe` every `intervalMs` until it returns a value other than
 * undefined/false (returned) or `timeoutMs` passes (throws, with the last
 * error the probe threw). Default deadline: DEADLINE.converge. */
export async function until<T>(
  what: string | (() => string),
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number = DEADLINE.converge,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

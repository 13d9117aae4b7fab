// Wait for a condition with a deadline (never a fixed sleep).
import { DEADLINE } from './deadlines.js';

/** Polls `probe` every `intervalMs` until it returns a value other than
 * undefined/false (returned) or `timeoutMs` passes (throws, with the last
 * error the probe threw). A probe that never settles (a request a hung node
 * never answers) fails the wait at the deadline too. Default deadline:
 * DEADLINE.converge. */
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
      const v = await beforeDeadline(probe(), deadline);
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

const HUNG = Symbol('hung');

/** `p`; throws "the last probe never answered" when `deadline` (ms since the epoch) passes first. */
async function beforeDeadline<T>(p: Promise<T> | T, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<typeof HUNG>((resolve) => {
    timer = setTimeout(() => resolve(HUNG), Math.max(0, deadline - Date.now()) + 10);
  });
  try {
    const v = await Promise.race([p, hung]);
    if (v === HUNG) throw new Error('the last probe never answered');
    return v as T;
  } finally {
    clearTimeout(timer);
  }
}

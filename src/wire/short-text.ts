// User-supplied paths and values quoted in messages, cut to a readable
// length: a 100 KB path must not make a 100 KB error line.

/** Longest text quoted whole; longer ones keep their first SHOWN_CHARS. */
export const MAX_SHOWN_CHARS = 80;
export const SHOWN_CHARS = 64;

/**
 * `s` itself when at most MAX_SHOWN_CHARS characters, else its first
 * SHOWN_CHARS characters followed by `... (N bytes)` (N: its UTF-8 length).
 */
export function shortText(s: string): string {
  if (s.length <= MAX_SHOWN_CHARS) return s;
  return `${s.slice(0, SHOWN_CHARS)}... (${Buffer.byteLength(s)} bytes)`;
}

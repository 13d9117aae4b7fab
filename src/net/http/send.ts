// One HTTP answer with a body, written the same way by the web view and the
// debug server: its type and length, nosniff, a Cache-Control, and no body
// for HEAD.
import type { ServerResponse } from 'node:http';

/**
 * Answers `res` with `status` and `body` (no body for a HEAD request) as
 * `type`, with its Content-Length, X-Content-Type-Options nosniff and
 * Cache-Control `cacheControl`; `headers` add to these (or replace them).
 */
export function sendBody(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  cacheControl: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': cacheControl,
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

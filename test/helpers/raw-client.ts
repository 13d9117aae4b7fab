// A bare protocol client for tests that need exact frames: send Request
// objects or raw bytes, read Responses by tag.
import net from 'node:net';
import { decodeResponse, encodeRequest, type Request, type Response } from '../../src/wire/client-codec.js';
import { FrameReader, frame } from '../../src/wire/framing.js';
import { DEADLINE } from './deadlines.js';

export class RawClient {
  private readonly reader = new FrameReader(16 * 1024 * 1024);
  private readonly waiting = new Map<number | undefined, (r: Response) => void>();
  readonly received: Response[] = [];
  closed = false;
  private closeWaiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      for (const f of this.reader.push(d)) {
        const r = decodeResponse(f);
        this.received.push(r);
        const w = this.waiting.get(r.tag);
        if (w) {
          this.waiting.delete(r.tag);
          w(r);
        }
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.closeWaiters) w();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(req: Request): void {
    this.socket.write(frame(encodeRequest(req)));
  }

  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Send and wait for the response with the same tag. */
  call(req: Request, timeoutMs: number = DEADLINE.answer): Promise<Response> {
    const p = this.response(req.tag, timeoutMs);
    this.send(req);
    return p;
  }

  response(tag: number | undefined, timeoutMs: number = DEADLINE.answer): Promise<Response> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no response for tag ${tag} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(tag, (r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
  }

  whenClosed(timeoutMs: number = DEADLINE.answer): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

// AnswerQueue over a real TCP connection on 127.0.0.1: a peer that does not
// read gets at most ANSWER_HIGH_WATER bytes encoded into the socket, the rest
// held; once it reads, every answer arrives, in order.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ANSWER_HIGH_WATER, AnswerQueue, responseBytes } from '../../../src/net/answer-queue.js';
import { decodeResponse } from '../../../src/wire/client-codec.js';
import { FrameReader } from '../../../src/wire/framing.js';
import { until } from '../../helpers/until.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

/** A connected pair: `server` (the node's side) and `client`, the client paused (not reading). */
async function pair(): Promise<{ server: net.Socket; client: net.Socket }> {
  const listener = net.createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const port = (listener.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => listener.once('connection', r));
  const client = net.connect(port, '127.0.0.1');
  client.pause();
  const server = await accepted;
  cleanup.push(() => {
    server.destroy();
    client.destroy();
    listener.close();
  });
  return { server, client };
}

describe('AnswerQueue', () => {
  it('asks the connection to check again after every flush, not only on drain: a socket that takes everything at once emits no drain', async () => {
    // Found by test/e2e/slow-reader.test.ts (1 run in 3): a connection paused
    // while its answers were only held, and waited for a 'drain' that never came.
    const { server } = await pair();
    let writable = 0;
    const q = new AnswerQueue(server, () => writable++);
    q.push({ tag: 1, value: Buffer.from('small') });
    expect(q.backlog).toBeGreaterThan(0); // held, not yet in the socket
    await Promise.resolve(); // the flush microtask
    expect(q.heldCount).toBe(0);
    expect(writable).toBe(1);
  });

  it('encodes at most ANSWER_HIGH_WATER bytes for a peer that does not read, holds the rest, and delivers all in order once it reads', async () => {
    const { server, client } = await pair();
    let writable = 0;
    const q = new AnswerQueue(server, () => writable++);
    const value = Buffer.alloc(1024 * 1024, 'v');
    const n = 40;
    for (let tag = 1; tag <= n; tag++) q.push({ tag, value, rev: tag });
    expect(q.backlog).toBeGreaterThanOrEqual(n * responseBytes({ value }));
    await until('the first answers written', () => server.writableLength > 0);
    expect(server.writableLength).toBeLessThanOrEqual(ANSWER_HIGH_WATER + value.length + 64);
    expect(q.heldCount).toBeGreaterThan(0);

    const reader = new FrameReader(4 * 1024 * 1024);
    const tags: number[] = [];
    client.on('data', (d: Buffer) => {
      for (const f of reader.push(d)) {
        const r = decodeResponse(f);
        expect(Buffer.compare(Buffer.from(r.value!), value)).toBe(0);
        tags.push(r.tag!);
      }
    });
    client.resume();
    await until(() => `all ${n} answers (have ${tags.length})`, () => tags.length === n);
    expect(tags).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(q.heldCount).toBe(0);
    expect(writable).toBeGreaterThan(0);
    await until('backlog 0', () => q.backlog === 0);
  });

  it('writes the small answers of one turn in one write', async () => {
    const { server, client } = await pair();
    const q = new AnswerQueue(server, () => {});
    const writes: number[] = [];
    const write = server.write.bind(server);
    server.write = ((chunk: Buffer, ...rest: never[]) => {
      writes.push(chunk.length);
      return write(chunk, ...rest);
    }) as typeof server.write;
    for (let tag = 1; tag <= 100; tag++) q.push({ tag, rev: tag });
    await until('written', () => writes.length > 0);
    expect(writes.length).toBe(1);
    client.resume();
  });

  it('drops held answers on close', async () => {
    const { server } = await pair();
    const q = new AnswerQueue(server, () => {});
    q.push({ tag: 1 });
    q.close();
    expect(q.heldCount).toBe(0);
    q.push({ tag: 2 });
    expect(q.heldCount).toBe(0);
  });
});

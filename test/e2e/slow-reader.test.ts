// A client that pipelines requests and does not read its answers must not
// exhaust the node's memory, nor slow other clients down (docs/protocol.md
// "Backpressure"). Real node, real TCP: one connection sends thousands of
// GETs (of a 1 MiB file, then of a small one) and leaves its socket unread;
// the node's RSS must stay bounded while another client is served; then the
// stalled client reads everything and every answer is there, correct, in
// order.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeResponse, encodeRequest, Verb, type Request } from '../../src/wire/client-codec.js';
import { FrameReader, frame } from '../../src/wire/framing.js';
import { RawClient } from '../helpers/raw-client.js';
import { startDoozerd, stopAll, type DoozerdProcess } from '../helpers/doozerd-process.js';
import { until } from '../helpers/until.js';
import { DEADLINE } from '../helpers/deadlines.js';

/** The node's resident set in MB (/proc/<pid>/status VmRSS). */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) / 1024;
}

/** A raw connection that checks answers as they arrive and keeps none of them (the test process must not hold GBs either). */
class CheckingReader {
  private readonly reader = new FrameReader(16 * 1024 * 1024);
  private nextTag = 1;
  answered = 0;
  bad: string[] = [];

  private constructor(readonly socket: net.Socket, expected: (tag: number, value: Uint8Array | undefined, errCode: number | undefined) => string | undefined) {
    socket.on('data', (d: Buffer) => {
      for (const f of this.reader.push(d)) {
        const r = decodeResponse(f);
        if (r.tag !== this.nextTag) this.bad.push(`answer ${this.answered + 1} has tag ${r.tag}, expected ${this.nextTag}`);
        else {
          const why = expected(r.tag, r.value, r.errCode);
          if (why) this.bad.push(`tag ${r.tag}: ${why}`);
        }
        this.nextTag = (r.tag ?? this.nextTag) + 1;
        this.answered++;
      }
    });
    socket.on('error', () => {});
  }

  static connect(port: number, expected: (tag: number, value: Uint8Array | undefined, errCode: number | undefined) => string | undefined): Promise<CheckingReader> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new CheckingReader(s, expected)));
      s.once('error', reject);
    });
  }

  /** Sends requests tagged 1..n in one write (so the node reads them as fast as it can). */
  pipeline(n: number, req: Omit<Request, 'tag'>): void {
    const frames: Buffer[] = [];
    for (let tag = 1; tag <= n; tag++) frames.push(frame(encodeRequest({ ...req, tag })));
    this.socket.write(Buffer.concat(frames));
  }
}

/**
 * Watches the node while a stalled connection holds its answers: the node's
 * RSS must stay under `maxMb` (checked every poll, so a node that grows fails
 * within a poll, long before it eats the machine), and another client must get
 * each of its answers within `answerMs`. Watches at least `windowMs` and at
 * least 20 rounds of the other client.
 */
async function watchWhileStalled(node: DoozerdProcess, maxMb: number, windowMs: number): Promise<{ peakMb: number; rounds: number; slowestMs: number }> {
  const other = await RawClient.connect(node.port);
  try {
    const start = Date.now();
    let peakMb = 0;
    let rounds = 0;
    let slowestMs = 0;
    let tag = 1;
    while (rounds < 20 || Date.now() - start < windowMs) {
      const mb = rssMb(node.pid);
      peakMb = Math.max(peakMb, mb);
      expect(mb, `node RSS ${mb.toFixed(0)} MB with one stalled connection (bound ${maxMb} MB)`).toBeLessThan(maxMb);
      const t0 = Date.now();
      const rev = await other.call({ tag: tag++, verb: Verb.REV }, DEADLINE.answer);
      expect(rev.errCode).toBeUndefined();
      const g = await other.call({ tag: tag++, verb: Verb.GET, path: '/other' }, DEADLINE.answer);
      expect(Buffer.from(g.value ?? []).toString()).toBe('other');
      slowestMs = Math.max(slowestMs, Date.now() - t0);
      rounds++;
      await new Promise((r) => setTimeout(r, 50));
    }
    return { peakMb, rounds, slowestMs };
  } finally {
    other.close();
  }
}

/** Let the stalled reader read again; every one of its `n` answers must arrive, correct and in tag order. */
async function readAllAnswers(stalled: CheckingReader, n: number): Promise<void> {
  stalled.socket.resume();
  await until(() => `all ${n} answers (have ${stalled.answered})`, () => stalled.answered >= n, DEADLINE.converge * 4);
  expect(stalled.bad.slice(0, 5)).toEqual([]);
  expect(stalled.answered).toBe(n);
  stalled.socket.destroy();
}

async function setValue(port: number, path: string, value: Buffer): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    await until(`SET ${path}`, async () => {
      const r = await c.call({ tag: 1, verb: Verb.SET, path, rev: -1, value }, DEADLINE.answer);
      return r.errCode === undefined ? true : undefined;
    }, DEADLINE.converge);
  } finally {
    c.close();
  }
}

describe('a client that does not read its answers', () => {
  afterEach(() => stopAll());

  it('pipelining 1100 GETs of a 1 MiB file: the node stays under 400 MB, other clients are served, then every answer arrives in order', async () => {
    const node = await startDoozerd();
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    await setValue(node.port, '/big', big);
    await setValue(node.port, '/other', Buffer.from('other'));

    const n = 1100;
    const stalled = await CheckingReader.connect(node.port, (_tag, value, errCode) =>
      errCode !== undefined ? `error ${errCode}` : value && Buffer.compare(Buffer.from(value), big) === 0 ? undefined : `wrong value (${value?.length} bytes)`);
    stalled.socket.pause();
    stalled.pipeline(n, { verb: Verb.GET, path: '/big' });

    const seen = await watchWhileStalled(node, 400, 3000);
    console.log(`1 MiB GETs, stalled: peak RSS ${seen.peakMb.toFixed(0)} MB, other client ${seen.rounds} rounds, slowest ${seen.slowestMs} ms`);
    expect(stalled.answered).toBeLessThan(n);

    await readAllAnswers(stalled, n);
  }, 300_000);

  it('pipelining 3,000,000 GETs of a small file: the node grows by less than 90 MB, other clients are served, then every answer arrives in order', async () => {
    const node = await startDoozerd();
    await setValue(node.port, '/small', Buffer.from('a small value'));
    await setValue(node.port, '/other', Buffer.from('other'));
    const baseMb = rssMb(node.pid);

    const n = 3_000_000;
    const stalled = await CheckingReader.connect(node.port, (_tag, value, errCode) =>
      errCode !== undefined ? `error ${errCode}` : Buffer.from(value ?? []).toString() === 'a small value' ? undefined : 'wrong value');
    stalled.socket.pause();
    stalled.pipeline(n, { verb: Verb.GET, path: '/small' });

    const seen = await watchWhileStalled(node, baseMb + 90, 5000);
    console.log(`small GETs, stalled: RSS ${baseMb.toFixed(0)} MB before, peak ${seen.peakMb.toFixed(0)} MB, other client ${seen.rounds} rounds, slowest ${seen.slowestMs} ms`);

    await readAllAnswers(stalled, n);
  }, 300_000);

  it('800 WAITs pending when a 1 MiB value is written: the events wait for the reader without a copy each (under 400 MB), then all arrive', async () => {
    const node = await startDoozerd();
    await setValue(node.port, '/other', Buffer.from('other'));
    const big = Buffer.alloc(1024 * 1024, 'w');
    const c = await RawClient.connect(node.port);
    const rev = (await c.call({ tag: 1, verb: Verb.REV })).rev!;

    const n = 800;
    const stalled = await CheckingReader.connect(node.port, (_tag, value, errCode) =>
      errCode !== undefined ? `error ${errCode}` : value && Buffer.compare(Buffer.from(value), big) === 0 ? undefined : `wrong value (${value?.length} bytes)`);
    stalled.socket.pause();
    stalled.pipeline(n, { verb: Verb.WAIT, path: '/w', rev: rev + 1 });
    // A WAIT the node reads after the write answers from the history: the same event either way.
    const w = await c.call({ tag: 3, verb: Verb.SET, path: '/w', rev: -1, value: big }, DEADLINE.converge);
    expect(w.errCode).toBeUndefined();
    c.close();

    const seen = await watchWhileStalled(node, 400, 3000);
    console.log(`WAIT events of 1 MiB, stalled: peak RSS ${seen.peakMb.toFixed(0)} MB, other client ${seen.rounds} rounds, slowest ${seen.slowestMs} ms`);

    await readAllAnswers(stalled, n);
  }, 300_000);
});

// What a node does on its own, and what it survives, with real processes:
// the pulse file /ctl/node/<id>/applied moves every -pulse on each CAL, and
// garbage datagrams on the consensus UDP port change nothing (the node keeps
// serving, the cluster keeps writing, no acknowledged write is lost).
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import { FLAG_SET } from '../../src/wire/client-codec.js';
import { AckedWrites } from '../helpers/acked-writes.js';
import { sameStore, startCluster, withClient } from '../helpers/cluster.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';
import { startDoozerd, stopAll } from '../helpers/doozerd-process.js';
import { stopGracefully } from '../helpers/graceful.js';

/** Deterministic pseudo-random bytes (a test that fails can be rerun as is). */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Datagrams a broken or hostile peer might send: empty, random, huge, truncated and mangled consensus messages. */
function garbage(count: number, seed: number): Buffer[] {
  const rnd = prng(seed);
  const out: Buffer[] = [Buffer.alloc(0), Buffer.alloc(65_000, 0xff), Buffer.from('hello'), Buffer.from([0x08]), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])];
  while (out.length < count) {
    const len = Math.floor(rnd() * (rnd() < 0.1 ? 4000 : 64));
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = Math.floor(rnd() * 256);
    // Half of them look like protobuf: a valid-looking first field tag.
    if (len > 0 && rnd() < 0.5) b[0] = [0x08, 0x10, 0x18, 0x20, 0x2a, 0x32][Math.floor(rnd() * 6)]!;
    out.push(b);
  }
  return out;
}

async function sendAll(port: number, datagrams: Buffer[]): Promise<void> {
  const sock = dgram.createSocket('udp4');
  try {
    for (const d of datagrams) {
      await new Promise<void>((resolve) => sock.send(d, port, '127.0.0.1', () => resolve()));
    }
  } finally {
    sock.close();
  }
}

describe('node chores and robustness', () => {
  afterEach(() => stopAll());

  it('the pulse: /ctl/node/<id>/applied moves every -pulse, to a rev the node had applied', async () => {
    const pulse = 0.3;
    const node = await startDoozerd({ args: ['-pulse', String(pulse)] });
    const c = await Client.dial(node.addr);
    try {
      const id = await c.self();
      const path = `/ctl/node/${id}/applied`;
      // Follow every change of the file as it happens.
      const seen: { rev: number; value: number; at: number }[] = [];
      let from = (await c.rev()) + 1;
      const deadline = Date.now() + DEADLINE.converge;
      while (seen.length < 6) {
        if (Date.now() > deadline) throw new Error(`only ${seen.length} pulses within ${DEADLINE.converge} ms`);
        const ev = await c.wait(path, from);
        expect(ev.flags & FLAG_SET).toBe(FLAG_SET);
        seen.push({ rev: ev.rev, value: Number(ev.value.toString()), at: Date.now() });
        from = ev.rev + 1;
      }
      for (const [i, s] of seen.entries()) {
        // The body is a rev the node had applied before writing it.
        expect(Number.isInteger(s.value)).toBe(true);
        expect(s.value).toBeLessThan(s.rev);
        if (i > 0) expect(s.value).toBeGreaterThanOrEqual(seen[i - 1]!.value);
      }
      // Every -pulse, not faster: 5 pulses span at least ~5 * -pulse (the
      // slack covers a late first observation on a loaded machine).
      const span = seen[seen.length - 1]!.at - seen[0]!.at;
      expect(span).toBeGreaterThanOrEqual((seen.length - 1) * pulse * 1000 * 0.5);
    } finally {
      await c.close();
    }
    await stopGracefully(node);
  });

  it('a 3-CAL cluster: each CAL pulses its own applied file; a slave does not', async () => {
    const { nodes, cals } = await startCluster({ nodes: 4, cals: 3, args: ['-pulse', '0.3'] });
    const slave = nodes.find((n) => !cals.includes(n))!;
    const revOf = (n: (typeof nodes)[number]) => withClient(nodes[0]!.proc, async (c) => (await c.stat(`/ctl/node/${n.id}/applied`)).rev);
    const before = await Promise.all(nodes.map(revOf));
    // Wait for each CAL's file to move at least twice more.
    for (const [i, n] of nodes.entries()) {
      if (n === slave) continue;
      await withClient(nodes[0]!.proc, async (c) => {
        const first = await c.wait(`/ctl/node/${n.id}/applied`, before[i]! + 1);
        await c.wait(`/ctl/node/${n.id}/applied`, first.rev + 1);
      });
    }
    const after = await Promise.all(nodes.map(revOf));
    expect(after[nodes.indexOf(slave)]).toBe(before[nodes.indexOf(slave)]);
  }, TEST_TIMEOUT.cluster);

  it('garbage datagrams on the consensus port: every node keeps serving, the cluster keeps writing, nothing is lost', async () => {
    const { cals } = await startCluster({ nodes: 3, cals: 3, args: ['-timeout', '60'] });
    const acked = new AckedWrites();
    for (let i = 0; i < 6; i++) await acked.set(cals[i % 3]!, `/before-garbage/${i}`, `g${i}`);
    // 1500 datagrams to each node while writes go on through every CAL.
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) await acked.set(cals[i % 3]!, `/during-garbage/${i % 20}`, `d${i}`);
    })();
    try {
      await Promise.all(cals.map((n, k) => sendAll(n.proc.port, garbage(1500, 1000 + k))));
    } finally {
      writing = false;
      await writer;
    }
    let rev = 0;
    for (let i = 0; i < 9; i++) rev = await acked.set(cals[i % 3]!, `/after-garbage/${i}`, `a${i}`);
    for (const n of cals) expect(n.proc.exitStatus(), n.proc.describe()).toBeUndefined();
    expect(acked.size).toBeGreaterThan(15);
    await acked.verify(cals);
    await sameStore(cals, rev);
    // Bad input is logged, never thrown: no crash or restart shows in the logs.
    for (const n of cals) expect(n.proc.stderr()).not.toMatch(/crash|uncaught|restart|TypeError|RangeError/i);
  }, TEST_TIMEOUT.cluster);

  it('garbage datagrams to a lone node: it keeps serving and writing', async () => {
    const node = await startDoozerd();
    const acked = new AckedWrites();
    await acked.set(node, '/before', 'x');
    await sendAll(node.port, garbage(3000, 7));
    await acked.set(node, '/after', 'y');
    await acked.verify([node]);
    expect(node.exitStatus(), node.describe()).toBeUndefined();
    await stopGracefully(node);
  });
});

// Network faults on the node-to-node TCP traffic (attach, follow, requests
// made through a CAL), as the torture run injects them: a node dials its
// peers from its -l address, so iptables rules on the nodes' loopback
// addresses drop or reset that traffic while the test's clients (from
// 127.0.0.1) still reach every node. A slave that follows a CAL must get
// every change once the fault heals, and answer its own clients meanwhile.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import { iptablesAvailable, NetFaults } from '../../src/torture/nemesis.js';
import { freePort, killAll, startDoozerd, type Doozerd } from '../../src/torture/procs.js';
import { ensureBuilt } from '../helpers/doozerd-process.js';
import { DEADLINE } from '../helpers/deadlines.js';
import { until } from '../helpers/until.js';

/** Established IPv4 TCP connections as [local, remote] "a.b.c.d:port" pairs (/proc/net/tcp). */
function tcpConnections(): [string, string][] {
  const addr = (hex: string): string => {
    const [ip, port] = hex.split(':') as [string, string];
    const b = Buffer.from(ip, 'hex');
    return `${b[3]}.${b[2]}.${b[1]}.${b[0]}:${parseInt(port, 16)}`;
  };
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[3] === '01') // ESTABLISHED
    .map((f) => [addr(f[1]!), addr(f[2]!)]);
}

/** A fresh 127.A.B.0/24 for one test. */
function net24(): string {
  return `127.${200 + Math.floor(Math.random() * 50)}.${1 + Math.floor(Math.random() * 250)}`;
}

async function calAndSlave(net: string): Promise<{ cal: Doozerd; slave: Doozerd }> {
  const cal = await startDoozerd(`${net}.11`, await freePort(`${net}.11`), ['-timeout', '4']);
  const slave = await startDoozerd(`${net}.12`, await freePort(`${net}.12`), ['-timeout', '4', '-a', cal.addr]);
  return { cal, slave };
}

/** Waits until `addr` holds `path` at `rev` or later (its own store: GET is served locally). */
async function reaches(addr: string, path: string, rev: number): Promise<void> {
  await until(`${addr} to copy ${path} at rev ${rev}`, async () => {
    const c = await Client.dial(addr, { connectTimeoutMs: 2000 });
    try {
      return (await c.get(path)).rev >= rev;
    } finally {
      await c.close();
    }
  }, DEADLINE.converge, 100);
}

describe('TCP faults between nodes', () => {
  let faults: NetFaults | undefined;
  afterEach(async () => {
    faults?.uninstall();
    faults = undefined;
    await killAll();
  });

  it('a node dials its peers from its -l address (so rules on node addresses reach its TCP)', async () => {
    ensureBuilt();
    const net = net24();
    const { cal, slave } = await calAndSlave(net);
    // The slave follows the CAL over the client protocol: that connection comes from the slave's address.
    await until('the slave follows the CAL from its own address', () =>
      tcpConnections().some(([l, r]) => l.startsWith(`${slave.host}:`) && r === cal.addr), DEADLINE.converge);
  }, 60_000);

  it('a follower whose TCP is reset mid-stream (half-open, then both ends), then dropped, copies every change once healed; its clients reach it meanwhile', async () => {
    ensureBuilt();
    if (!iptablesAvailable()) {
      if (process.env.CI) throw new Error('CI must run as root with iptables installed (.ci/run installs it)');
      console.log('skipped: TCP faults need root and iptables');
      return;
    }
    const net = net24();
    faults = new NetFaults(net, `tcp${Date.now().toString(36)}`.slice(-10));
    faults.install();
    const { cal, slave } = await calAndSlave(net);
    const cc = await Client.dial(cal.addr);
    const sc = await Client.dial(slave.addr); // from 127.0.0.1: never matched by the rules
    try {
      const first = await cc.set('/f', -1, 'before');
      await reaches(slave.addr, '/f', first);

      for (const how of ['half-open', 'reset', 'drop'] as const) {
        if (how === 'reset') {
          faults.tcpReset(slave.host, cal.host, cal.port);
        } else if (how === 'half-open') {
          // The CAL's end dies mid-stream and the follower is not told (it has every WAIT in
          // flight and sends nothing): before the follower probed silent CALs it waited forever.
          faults.tcpReset(slave.host, cal.host, cal.port, 'answers');
        } else {
          faults.tcpCut(slave.host, cal.host, cal.port);
          faults.tcpCutAnswers(slave.host, cal.host, cal.port);
        }
        // Changes made while the follower's connection is broken.
        let last = 0;
        for (let i = 0; i < 20; i++) last = await cc.set('/f', -1, `${how}-${i}`);
        await cc.set('/g', -1, how);
        // The slave's own clients still reach it.
        expect((await sc.get('/ctl/name')).rev).toBeGreaterThan(0);
        // The rules did bite: the follower's traffic hit them.
        await until(`the ${how} rules to match the follower's TCP`, () => faults!.counters().tcp > 0, DEADLINE.converge);
        faults.heal();
        await reaches(slave.addr, '/f', last);
        const copied = await sc.get('/f');
        expect(copied.value.toString()).toBe(`${how}-19`);
        expect(copied.rev).toBe(last);
      }
      expect(faults.matched.tcp).toBeGreaterThan(0);
      expect(slave.exit()).toBeUndefined();
      expect(cal.exit()).toBeUndefined();
    } finally {
      await cc.close();
      await sc.close();
    }
  }, 120_000);
});

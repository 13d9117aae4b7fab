// Faults for real doozerd processes. Each node listens on its own loopback
// address (127.A.B.11, .12, .13: Linux routes all of 127/8 to lo), so its
// consensus datagrams carry a source address that identifies it, and
// iptables rules on those addresses cut, one-way-cut or thin out the UDP
// traffic between chosen nodes; a node also dials its peers' client ports
// (attach, follow, requests through a CAL) from its own address, so TCP rules
// on those addresses drop or reset node-to-node TCP. The test's clients
// (which connect from 127.0.0.1) still reach every node. Process faults: SIGKILL (and a restart
// on the same address, as a new node that attaches), SIGSTOP/SIGCONT.
//
// Rules live in a chain of their own (DZ<run id>), hooked into INPUT for the
// run's /24 only, and are removed at the end: other traffic on the machine is
// never touched. Without root or iptables, only process faults run.
import { execFileSync } from 'node:child_process';

function ipt(args: string[]): void {
  execFileSync('iptables', ['-w', ...args], { stdio: 'pipe' });
}

/** True if this process can add iptables rules (root, iptables installed, kernel support). */
export function iptablesAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('iptables', ['-w', '-S', 'INPUT'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

const installed = new Set<NetFaults>();
let exitHooked = false;

/** Network faults between the nodes of one run, on addresses in `net24` (e.g. "127.77.5"). */
export class NetFaults {
  readonly chain: string;
  private installed = false;
  /** The rules in force, as text, for the report. */
  active: string[] = [];

  constructor(readonly net24: string, runId: string) {
    this.chain = `DZ${runId}`.slice(0, 28);
  }

  install(): void {
    ipt(['-N', this.chain]);
    installed.add(this);
    if (!exitHooked) {
      exitHooked = true;
      process.once('exit', () => {
        for (const n of installed) n.uninstall();
      });
    }
    ipt(['-I', 'INPUT', '-s', `${this.net24}.0/24`, '-d', `${this.net24}.0/24`, '-j', this.chain]);
    this.installed = true;
  }

  /** Drop UDP datagrams from `from` to `to` (one way). */
  cut(from: string, to: string): void {
    ipt(['-A', this.chain, '-p', 'udp', '-s', from, '-d', to, '-j', 'DROP']);
    this.active.push(`drop udp ${from} -> ${to}`);
  }

  /**
   * Drop TCP segments from `from` to the client port `port` of `to` (one way:
   * requests of `from`'s connections to `to` vanish, and so do their ACKs of
   * `to`'s answers). A node dials its peers from its -l address
   * (src/node/peer-dial.ts), so this cuts only node-to-node attach/follow
   * traffic: the test's clients connect from 127.0.0.1.
   */
  tcpCut(from: string, to: string, port: number): void {
    ipt(['-A', this.chain, '-p', 'tcp', '-s', from, '-d', to, '--dport', String(port), '-j', 'DROP']);
    this.active.push(`drop tcp ${from} -> ${to}:${port}`);
  }

  /** Drop `to`'s answers on TCP connections from `from` to its client port `port` (the other way of tcpCut). */
  tcpCutAnswers(from: string, to: string, port: number): void {
    ipt(['-A', this.chain, '-p', 'tcp', '-s', to, '--sport', String(port), '-d', from, '-j', 'DROP']);
    this.active.push(`drop tcp ${to}:${port} -> ${from}`);
  }

  /**
   * Reset, mid-stream, every TCP connection between `from` and `to`'s client
   * port `port`: each segment either way is answered with a RST
   * (`REJECT --reject-with tcp-reset`), so both ends see the connection die
   * as soon as they send; new connections are refused the same way. RSTs
   * themselves pass (else the rule would swallow the resets it makes).
   * `ends` 'answers': only `to`'s segments are answered with a RST, so only
   * `to`'s end dies and `from` is not told (a half-open connection, as when
   * a peer dies mid-message behind a firewall): `from` learns only when it
   * sends something.
   */
  tcpReset(from: string, to: string, port: number, ends: 'both' | 'answers' = 'both'): void {
    const notRst = ['!', '--tcp-flags', 'RST', 'RST'];
    if (ends === 'both') ipt(['-A', this.chain, '-p', 'tcp', '-s', from, '-d', to, '--dport', String(port), ...notRst, '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    ipt(['-A', this.chain, '-p', 'tcp', '-s', to, '--sport', String(port), '-d', from, ...notRst, '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    this.active.push(ends === 'both' ? `reset tcp ${from} <-> ${to}:${port}` : `reset tcp ${to}:${port}'s end of connections from ${from}`);
  }

  /** Drop a fraction `p` of all UDP datagrams between the run's nodes. */
  loss(p: number): void {
    ipt(['-A', this.chain, '-p', 'udp', '-m', 'statistic', '--mode', 'random', '--probability', p.toFixed(3), '-j', 'DROP']);
    this.active.push(`drop ${Math.round(p * 100)}% of udp`);
  }

  /** Packets the rules dropped or reset so far, by protocol (counted at each heal). */
  readonly matched = { udp: 0, tcp: 0 };

  /** Packets matched by the rules in force now, by protocol (iptables counters). */
  counters(): { udp: number; tcp: number } {
    const out = { udp: 0, tcp: 0 };
    if (!this.installed) return out;
    const text = execFileSync('iptables', ['-w', '-L', this.chain, '-v', '-n', '-x'], { stdio: 'pipe' }).toString();
    for (const line of text.split('\n').slice(2)) {
      const f = line.trim().split(/\s+/);
      const pkts = Number(f[0]);
      if (!Number.isFinite(pkts)) continue;
      if (f[3] === 'udp' || f[3] === '17') out.udp += pkts;
      else if (f[3] === 'tcp' || f[3] === '6') out.tcp += pkts;
    }
    return out;
  }

  /** Removes every rule (counting what they matched first). */
  heal(): void {
    if (!this.installed) return;
    try {
      const c = this.counters();
      this.matched.udp += c.udp;
      this.matched.tcp += c.tcp;
    } catch {
      // counting is for the report only
    }
    ipt(['-F', this.chain]);
    this.active = [];
  }

  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    installed.delete(this);
    try {
      ipt(['-D', 'INPUT', '-s', `${this.net24}.0/24`, '-d', `${this.net24}.0/24`, '-j', this.chain]);
    } catch {
      // already gone
    }
    try {
      ipt(['-F', this.chain]);
      ipt(['-X', this.chain]);
    } catch {
      // already gone
    }
  }
}

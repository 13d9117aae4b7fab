// Faults for real doozerd processes. Each node listens on its own loopback
// address (127.A.B.11, .12, .13: Linux routes all of 127/8 to lo), so its
// consensus datagrams carry a source address that identifies it, and
// iptables rules on those addresses cut, one-way-cut or thin out the UDP
// traffic between chosen nodes, while the test's clients (which connect from
// 127.0.0.1) still reach every node. Process faults: SIGKILL (and a restart
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

  /** Drop a fraction `p` of all UDP datagrams between the run's nodes. */
  loss(p: number): void {
    ipt(['-A', this.chain, '-p', 'udp', '-m', 'statistic', '--mode', 'random', '--probability', p.toFixed(3), '-j', 'DROP']);
    this.active.push(`drop ${Math.round(p * 100)}% of udp`);
  }

  heal(): void {
    if (!this.installed) return;
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

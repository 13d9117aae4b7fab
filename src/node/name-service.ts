// Booting through a doozer name service (-b, spec/cluster.md): find a CAL of
// our cluster registered under /ctl/ns/<name>/, or race to seed the cluster
// by creating /ctl/boot/<name>. Writes to the name service go to whichever of
// its addresses accepts them (the URI may list slaves).
import { Client } from '../client/client.js';
import { parseTarget, formatAddress } from '../client/uri.js';
import { DoozerError } from '../wire/errors.js';
import { logger } from '../runtime/log.js';
import type { ActorSystem } from '../runtime/system.js';
import type { Message } from '../runtime/message.js';
import { STORE, type StoreCalsMessage, type StoreEventMessage } from '../actors/store/messages.js';
import type { PeerTls } from './peer-dial.js';
import { findCal } from './attach.js';

const log = logger('name-service');

/** Give up booting after this long, with a message saying what was tried. */
const BOOT_DEADLINE_MS = 60_000;
/** A boot winner that no one can reach for this long is presumed dead. */
const STALE_BOOT_MS = 5_000;

export interface NameServiceOptions {
  uri: string;
  cluster: string;
  nodeId: string;
  addr: string;
  secret?: string;
  /** TLS for probing the cluster's CALs found there (src/node/peer-dial.ts); the name service itself follows its URI. */
  peerTls?: PeerTls;
}

export interface NameServiceBoot {
  /** Addresses of a CAL of our cluster to attach to; undefined: we won the race and seed the cluster. */
  attachTo?: string[];
}

/** A connection to the name service that moves to another of its addresses when one refuses writes or dies. */
class NameService {
  private client: Client | undefined;
  private next = 0;
  private readonly addrs: string[];

  constructor(private readonly o: NameServiceOptions) {
    this.addrs = parseTarget(o.uri).addrs.map(formatAddress);
    if (this.addrs.length === 0) throw new Error(`the name service URI ${o.uri} lists no address (ca=host:port)`);
  }

  async do<T>(what: string, fn: (c: Client) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let i = 0; i < this.addrs.length * 2; i++) {
      try {
        if (!this.client) {
          const a = this.addrs[this.next++ % this.addrs.length]!;
          this.client = await Client.dial(a, { connectTimeoutMs: 1000, ...(this.o.secret ? { secret: this.o.secret } : {}) });
        }
        return await fn(this.client);
      } catch (e) {
        lastError = e;
        // A slave answers READONLY, a dead node fails to connect: try the next address.
        if (e instanceof DoozerError && e.code === 'REV_MISMATCH') throw e; // the boot race: the caller's to judge
        if (e instanceof DoozerError && e.code !== 'READONLY') throw new Error(this.refused(what, e));
        await this.client?.close();
        this.client = undefined;
      }
    }
    throw new Error(`name service ${this.o.uri}: cannot ${what}: ${(lastError as Error)?.message ?? lastError}`);
  }

  /**
   * An operator's message for an error answer of the name service: the
   * code and path, and what to change; not the client library's hint (it
   * speaks of library calls).
   */
  private refused(what: string, e: DoozerError): string {
    const at = `name service ${this.o.uri}: cannot ${what}`;
    const path = e.path ?? '';
    if ((e.code === 'ISDIR' || e.code === 'NOTDIR') && /^\/ctl\/(boot|ns)\//.test(path)) {
      return `${at}: ${path} is ${e.code === 'ISDIR' ? 'a directory' : 'below a file'} there (${e.code}): the cluster name "${this.o.cluster}" clashes with entries of another cluster in the name service; pick another name with -c`;
    }
    return `${at}: ${e.code}${e.detail ? ` (${e.detail})` : ''}${path ? ` on ${path}` : ''}`;
  }

  close(): Promise<void> {
    return this.client?.close() ?? Promise.resolve();
  }
}

export async function bootThroughNameService(o: NameServiceOptions): Promise<NameServiceBoot> {
  const ns = new NameService(o);
  const nsDir = `/ctl/ns/${o.cluster}`;
  const bootPath = `/ctl/boot/${o.cluster}`;
  const deadline = Date.now() + BOOT_DEADLINE_MS;
  let bootSeenAt = 0;
  try {
    while (Date.now() < deadline) {
      const entries = await ns.do('look up the cluster', (c) => c.walkAll(`${nsDir}/*`));
      const others = entries.filter((e) => !e.path.endsWith(`/${o.nodeId}`));
      const addrs = others.map((e) => e.value.toString('utf8')).filter(Boolean);
      if (addrs.length > 0) {
        try {
          const cal = await findCal(addrs, o.cluster, 1000, { requestTimeoutMs: 5000, ...(o.secret ? { secret: o.secret } : {}), ...(o.peerTls ? { tls: o.peerTls } : {}) });
          const via = cal.address;
          await cal.close();
          await ns.do('remove our entry', (c) => c.del(`${nsDir}/${o.nodeId}`, -1)).catch(() => undefined);
          log.info(`cluster ${o.cluster} is served by ${via}: attaching`);
          return { attachTo: [via] };
        } catch {
          // None of them is a CAL (yet): race for the boot below.
        }
      }
      await ns.do('register our address', (c) => c.set(`${nsDir}/${o.nodeId}`, -1, o.addr));
      const boot = await ns.do('read the boot file', (c) => c.get(bootPath));
      if (boot.rev === 0 || (bootSeenAt && Date.now() - bootSeenAt > STALE_BOOT_MS)) {
        try {
          // Create-only, or take over a stale boot file at its rev.
          await ns.do('race for the boot', (c) => c.set(bootPath, boot.rev, o.nodeId));
          log.info(`won the boot race for cluster ${o.cluster}: starting it`);
          // The entries seen above answered as no CAL of ours: dead nodes of
          // an earlier boot (or racers, who step back anyway). Drop them, at
          // their rev, so clients do not keep dialling dead addresses.
          for (const e of others) await ns.do('remove a dead entry', (c) => c.del(e.path, e.rev)).catch(() => undefined);
          return {};
        } catch (e) {
          if (!(e instanceof DoozerError && e.code === 'REV_MISMATCH')) throw e;
        }
      }
      if (!bootSeenAt) bootSeenAt = Date.now();
      // Lost (or someone is booting): step back and look again.
      await ns.do('remove our entry', (c) => c.del(`${nsDir}/${o.nodeId}`, -1)).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
    }
    throw new Error(`could not join or start cluster ${o.cluster} through the name service ${o.uri} within ${BOOT_DEADLINE_MS / 1000} s`);
  } finally {
    await ns.close();
  }
}

/** Once this node is a CAL, register /ctl/ns/<cluster>/<id> = addr in the name service. Returns a stop function. */
export function registerWhenCal(o: NameServiceOptions & { system: ActorSystem }): () => void {
  const endpoint = 'ns-registrar';
  let done = false;
  let stopped = false;
  const check = (slots: { id: string }[]): void => {
    if (done || stopped || !slots.some((s) => s.id === o.nodeId)) return;
    done = true;
    const ns = new NameService(o);
    ns.do('register this CAL', (c) => c.set(`/ctl/ns/${o.cluster}/${o.nodeId}`, -1, o.addr))
      .then(() => log.info(`registered ${o.addr} as a CAL of ${o.cluster} in the name service`))
      .catch((e: Error) => {
        done = false;
        log.warn(`${e.message}; will retry when the CALs change`);
      })
      .finally(() => void ns.close());
  };
  const unregister = o.system.registerEndpoint(endpoint, (msg: Message) => {
    if (msg.type === 'store-cals') check((msg as StoreCalsMessage).cals);
    else if (msg.type === 'store-event' && (msg as StoreEventMessage).cals) check((msg as StoreEventMessage).cals!);
  });
  o.system.send(STORE, { type: 'subscribe', subscriber: endpoint, fromRev: -1, withCals: true });
  return () => {
    stopped = true;
    o.system.send(STORE, { type: 'unsubscribe', subscriber: endpoint });
    unregister();
  };
}

// Consensus datagrams in and out on the node's -l address (UDP). Moves bytes
// and routes: decodes what arrives and hands each message to the Paxos role
// actor that handles it (acceptor, learner or proposer, by its command),
// encodes what the roles ask to send. Several messages for one peer in one
// event-loop turn travel in one datagram when the peer is ours.
import dgram from 'node:dgram';
import net from 'node:net';
import { logger } from '../runtime/log.js';
import type { ActorSystem } from '../runtime/system.js';
import type { Message } from '../runtime/message.js';
import type { PaxosMsg } from '../wire/paxos-msg.js';
import type { HeardMessage } from '../actors/liveness.js';
import { routeByRole, UDP_OUT, type PeerInMessage, type PeerOutMessage } from '../actors/paxos-messages.js';
import { decodeDatagram, encodeMsg, packBatches } from '../wire/peer-codec.js';
import { peerEndpoint } from '../actors/store/ctl.js';

const log = logger('udp');

export { UDP_OUT, type PeerInMessage, type PeerOutMessage };

export interface PeerTransportOptions {
  host: string;
  port: number;
  system: ActorSystem;
  /** Actor told, every `heardEveryMs`, which peers were heard from and when (liveness). */
  heardTo?: string;
  heardEveryMs?: number;
}

export type { HeardMessage };

export interface PeerTransport {
  close(): Promise<void>;
  stats(): { datagramsIn: number; datagramsOut: number; badDatagrams: number };
}

export async function startPeerTransport(opts: PeerTransportOptions): Promise<PeerTransport> {
  const socket = dgram.createSocket({ type: net.isIPv6(opts.host) ? 'udp6' : 'udp4' });
  let ours = new Set<string>();
  const queued = new Map<string, Uint8Array[]>();
  let flushScheduled = false;
  const counts = { datagramsIn: 0, datagramsOut: 0, badDatagrams: 0 };
  let lastBadLog = 0;
  const heard = new Set<string>();
  const heardTimer = opts.heardTo
    ? setInterval(() => {
        if (heard.size === 0) return;
        opts.system.send(opts.heardTo!, { type: 'heard', peers: [...heard] } satisfies HeardMessage);
        heard.clear();
      }, opts.heardEveryMs ?? 250)
    : undefined;
  heardTimer?.unref();

  socket.on('message', (buf, rinfo) => {
    counts.datagramsIn++;
    const at = Date.now();
    const from = `${rinfo.address}:${rinfo.port}`;
    let msgs: PaxosMsg[];
    try {
      msgs = decodeDatagram(buf);
    } catch (e) {
      counts.badDatagrams++;
      // At most one line a second: a peer spraying garbage must not flood the log.
      if (at - lastBadLog > 1000) {
        lastBadLog = at;
        log.warn(`discarding undecodable datagram from ${from} (${buf.length} bytes): ${(e as Error).message}`);
      }
      return;
    }
    heard.add(from);
    // Each message to the Paxos role that handles it (paxos-messages.ts roleOf).
    routeByRole(msgs, (role, part) => opts.system.send(role, { type: 'peer-in', from, msgs: part } satisfies PeerInMessage));
  });

  /** Addresses already reported as unusable (one log line each, not one per datagram). */
  const badAddrs = new Set<string>();
  const refuse = (to: string, why: string): void => {
    if (badAddrs.has(to) || badAddrs.size > 1000) return;
    badAddrs.add(to);
    log.warn(`not sending consensus datagrams to ${JSON.stringify(to)}: ${why}; check /ctl/cal/* and /ctl/node/*/addr`);
  };

  const flush = (): void => {
    flushScheduled = false;
    for (const [to, msgs] of queued) {
      // Addresses come from /ctl, which any client can write: a bad one is
      // skipped, it must never throw out of here (that would stop the node).
      const peer = peerEndpoint(to);
      if (!peer) {
        refuse(to, 'not a host:port address');
        continue;
      }
      const dgrams = ours.has(to) && msgs.length > 1 ? packBatches(msgs) : msgs;
      for (const d of dgrams) {
        counts.datagramsOut++;
        try {
          socket.send(d, peer.port, peer.host, (e) => e && log.debug(`send to ${to}: ${e.message}`));
        } catch (e) {
          refuse(to, (e as Error).message);
        }
      }
    }
    queued.clear();
  };

  const unregister = opts.system.registerEndpoint(UDP_OUT, (msg: Message) => {
    const m = msg as PeerOutMessage;
    if (m.type === 'peer-ours') {
      ours = new Set(m.addrs);
      return;
    }
    for (const s of m.sends) {
      const bytes = encodeMsg(s.msg);
      for (const to of s.to) {
        let q = queued.get(to);
        if (!q) queued.set(to, (q = []));
        q.push(bytes);
      }
    }
    if (m.now) flush();
    else if (!flushScheduled) {
      // Right after the current actor drain, not a loop turn later: every
      // message of this drain goes out in the same datagrams, with no wait
      // behind the next batch of socket I/O.
      flushScheduled = true;
      queueMicrotask(flush);
    }
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(opts.port, opts.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (e) => log.error(`socket error: ${e.message}`));

  return {
    stats: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        if (heardTimer) clearInterval(heardTimer);
        unregister();
        socket.close(() => resolve());
      }),
  };
}

// One client connection's protocol logic: checks arguments and access, routes
// each request to the store or the proposer, and maps their answers to the
// wire. Requests are pipelined: answers go out as they come, in any order.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Actor, ActorContext } from '../runtime/actor.js';
import type { Message } from '../runtime/message.js';
import { ErrCode, Verb, type ErrName, type Request, type Response } from '../net/client-codec.js';
import { isValidPath } from './store/path.js';
import { encodeDel, encodeSet, NOP_MUTATION } from './store/mutation.js';
import { STORE, type ReplyMessage } from './store/messages.js';
import { PROPOSER, type ProposedMessage, type ProposeMessage } from './proposer-messages.js';
import { MAX_MUTATION_BYTES } from './limits.js';

export interface ClientSessionArgs {
  /** Endpoint that writes responses to the socket. */
  conn: string;
  nodeId: string;
  rwSecret?: string;
  roSecret?: string;
}

/** Session → connection. */
export interface SendResponseMessage {
  type: 'response';
  response: Response;
  /** Verb of the answered request (WAITs do not count toward backpressure; /metrics counts by verb). */
  verb: number | undefined;
}

/** Connection → session. */
export interface ClientRequestMessage {
  type: 'request';
  req: Request;
}

type Access = 'none' | 'read' | 'write';
const READ_VERBS = new Set<number>([Verb.GET, Verb.STAT, Verb.GETDIR, Verb.WALK, Verb.WAIT]);
const WRITE_VERBS = new Set<number>([Verb.SET, Verb.DEL, Verb.NOP]);

function digest(s: string | Uint8Array): Buffer {
  return createHash('sha256').update(s).digest();
}

export function createClientSession(ctx: ActorContext, args: ClientSessionArgs): Actor {
  const secured = Boolean(args.rwSecret || args.roSecret);
  let access: Access = secured ? 'none' : 'write';
  /** Internal request id → the client's tag and verb. */
  const pending = new Map<number, { tag: number | undefined; verb: number }>();
  const tagsInUse = new Set<number>();
  let nextId = 1;

  const respond = (tag: number | undefined, verb: number | undefined, r: Omit<Response, 'tag'>): void => {
    const response: Response = tag === undefined ? { ...r } : { tag, ...r };
    ctx.send(args.conn, { type: 'response', response, verb } satisfies SendResponseMessage);
  };
  const fail = (tag: number | undefined, verb: number | undefined, code: ErrName, detail?: string): void =>
    respond(tag, verb, detail === undefined ? { errCode: ErrCode[code] } : { errCode: ErrCode[code], errDetail: detail });

  /** Register an in-flight request; returns the id its answer will carry. */
  function track(tag: number | undefined, verb: number): number {
    const id = nextId++;
    pending.set(id, { tag, verb });
    if (tag !== undefined) tagsInUse.add(tag);
    return id;
  }
  function untrack(id: number): { tag: number | undefined; verb: number } | undefined {
    const p = pending.get(id);
    if (!p) return undefined;
    pending.delete(id);
    if (p.tag !== undefined) tagsInUse.delete(p.tag);
    return p;
  }

  /** Hand a mutation to the proposer; a DEL is first checked by the store (`delPath`). */
  function propose(tag: number | undefined, verb: number, mutation: Uint8Array, delPath?: string): void {
    if (mutation.length > MAX_MUTATION_BYTES) {
      fail(tag, verb, 'OTHER',
        `value too large: the mutation is ${mutation.length} bytes; at most ${MAX_MUTATION_BYTES} fit in one consensus datagram`);
      return;
    }
    const id = track(tag, verb);
    const m: ProposeMessage = { type: 'propose', mutation, replyTo: ctx.self, tag: id };
    if (delPath !== undefined) {
      ctx.send(STORE, { type: 'check-del', path: delPath, forwardTo: PROPOSER, forward: { ...m }, replyTo: ctx.self, tag: id });
    } else if (!ctx.send(PROPOSER, m)) {
      untrack(id);
      fail(tag, verb, 'OTHER', 'node overloaded: retry later');
    }
  }

  function checkSecret(value: Uint8Array | undefined): Access {
    const given = digest(value ?? new Uint8Array());
    let granted: Access = 'none';
    // Compare against both, always, in constant time.
    const rw = args.rwSecret ? timingSafeEqual(given, digest(args.rwSecret)) : false;
    const ro = args.roSecret ? timingSafeEqual(given, digest(args.roSecret)) : false;
    if (ro) granted = 'read';
    if (rw) granted = 'write';
    return granted;
  }

  function request(req: Request): void {
    const { tag, verb } = req;
    if (tag !== undefined && tagsInUse.has(tag)) return fail(tag, verb, 'TAG_IN_USE');
    if (verb === undefined) return fail(tag, verb, 'UNKNOWN_VERB');
    if (READ_VERBS.has(verb) && access === 'none') return fail(tag, verb, 'OTHER', 'permission denied');
    if (WRITE_VERBS.has(verb) && access !== 'write') return fail(tag, verb, 'OTHER', 'permission denied');
    const path = req.path;
    switch (verb) {
      case Verb.GET:
      case Verb.STAT:
      case Verb.GETDIR:
      case Verb.WALK: {
        if (path === undefined) return fail(tag, verb, 'MISSING_ARG');
        if ((verb === Verb.GETDIR || verb === Verb.WALK) && req.offset === undefined) return fail(tag, verb, 'MISSING_ARG');
        if (verb !== Verb.WALK && !isValidPath(path)) return fail(tag, verb, 'BAD_PATH');
        const op = verb === Verb.GET ? 'get' : verb === Verb.STAT ? 'stat' : verb === Verb.GETDIR ? 'getdir' : 'walk';
        const id = track(tag, verb);
        const m: Record<string, unknown> = { type: 'read', op, path, replyTo: ctx.self, tag: id };
        if (req.rev !== undefined) m.rev = req.rev;
        if (req.offset !== undefined) m.offset = req.offset;
        ctx.send(STORE, m as unknown as Message);
        return;
      }
      case Verb.WAIT: {
        if (path === undefined || req.rev === undefined) return fail(tag, verb, 'MISSING_ARG');
        const id = track(tag, verb);
        ctx.send(STORE, { type: 'wait', glob: path, rev: req.rev, replyTo: ctx.self, tag: id });
        return;
      }
      case Verb.REV: {
        const id = track(tag, verb);
        ctx.send(STORE, { type: 'rev', replyTo: ctx.self, tag: id });
        return;
      }
      case Verb.SET: {
        if (path === undefined || req.rev === undefined) return fail(tag, verb, 'MISSING_ARG');
        if (!isValidPath(path)) return fail(tag, verb, 'BAD_PATH');
        return propose(tag, verb, encodeSet(req.rev, path, req.value ?? new Uint8Array()));
      }
      case Verb.DEL: {
        if (path === undefined || req.rev === undefined) return fail(tag, verb, 'MISSING_ARG');
        if (!isValidPath(path)) return fail(tag, verb, 'BAD_PATH');
        return propose(tag, verb, encodeDel(req.rev, path), path);
      }
      case Verb.NOP:
        return propose(tag, verb, NOP_MUTATION);
      case Verb.SELF:
        return respond(tag, verb, { value: Buffer.from(args.nodeId) });
      case Verb.ACCESS: {
        const granted = checkSecret(req.value);
        if (granted === 'none') return fail(tag, verb, 'OTHER', 'permission denied');
        access = granted;
        return respond(tag, verb, {});
      }
      default:
        return fail(tag, verb, 'UNKNOWN_VERB');
    }
  }

  function answered(msg: ReplyMessage | ProposedMessage): void {
    const p = untrack(msg.tag);
    if (!p) return;
    if (msg.type === 'reply') {
      const { tag: _internal, ...rest } = msg.response;
      return respond(p.tag, p.verb, rest);
    }
    if ('err' in msg) return fail(p.tag, p.verb, msg.err.code, msg.err.code === 'OTHER' || msg.err.code === 'READONLY' ? msg.err.text : undefined);
    // SET answers the new rev; DEL and NOP answer nothing but the tag.
    respond(p.tag, p.verb, p.verb === Verb.SET ? { rev: msg.seqn } : {});
  }

  return {
    receive(msg: Message) {
      switch (msg.type) {
        case 'request':
          return request((msg as ClientRequestMessage).req);
        case 'reply':
        case 'proposed':
          return answered(msg as ReplyMessage | ProposedMessage);
        default:
          ctx.log.warn(`ignoring unknown message ${msg.type}`);
      }
    },
    stopped() {
      ctx.send(STORE, { type: 'cancel', owner: ctx.self });
    },
  };
}

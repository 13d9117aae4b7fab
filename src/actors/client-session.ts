// One client connection's protocol logic: checks arguments and access, routes
// each request to the store or the proposer, and maps their answers to the
// wire. Requests are pipelined: answers go out as they come, in any order.
//
// One request, one answer, per tag (docs/protocol.md "Tags"): a request whose
// tag is still held by a pending request of this connection is served, and
// the older request is superseded: a pending WAIT or future-rev read is
// cancelled in the store, a write in consensus still happens (it cannot be
// recalled) but its answer is dropped. So a tag never gets two answers, and a
// client that reuses a tag after its own timeout keeps being served.
import type { Actor, ActorContext } from '../runtime/actor.js';
import type { Message } from '../runtime/message.js';
import { ErrCode, Verb, type ErrName, type Request, type Response } from '../wire/client-codec.js';
import { isValidPath } from '../wire/path.js';
import { invalidGlobError, isValidGlob } from './store/glob.js';
import { encodeDel, encodeSet, NOP_MUTATION } from './store/mutation.js';
import { STORE, type ReplyMessage, type StoreMessage } from './store/messages.js';
import { PROPOSER, type ProposedMessage, type ProposeMessage } from './proposer-messages.js';
import { MAX_MUTATION_BYTES } from '../wire/limits.js';
import { accessPolicy, type Access } from './access.js';
import { BLOBS, BlobVerb, type BlobServiceMessage } from './blob-messages.js';

export interface ClientSessionArgs {
  /** Endpoint that writes responses to the socket. */
  conn: string;
  nodeId: string;
  rwSecret?: string;
  roSecret?: string;
}

/** Session → connection: one response to write. */
export interface SendResponseMessage {
  type: 'response';
  response: Response;
  /** Verb of the answered request (WAITs do not count toward backpressure; /metrics counts by verb). */
  verb: number | undefined;
}

/** Session → connection: a request that will get no answer (superseded by a later request with its tag). */
export interface RequestDroppedMessage {
  type: 'request-dropped';
  /** Verb of the dropped request (the connection counts it out of its requests in flight). */
  verb: number;
}

/** Everything a session sends to its connection endpoint. */
export type SessionToConnMessage = SendResponseMessage | RequestDroppedMessage;

/** Connection → session. */
export interface ClientRequestMessage {
  type: 'request';
  req: Request;
}

const READ_VERBS = new Set<number>([Verb.GET, Verb.STAT, Verb.GETDIR, Verb.WALK, Verb.WAIT]);
const WRITE_VERBS = new Set<number>([Verb.SET, Verb.DEL, Verb.NOP]);
/** Verbs whose pending request lives in the store (cancelled there when superseded). */
const STORE_VERBS = new Set<number>([...READ_VERBS, Verb.REV]);
const OVERLOADED = 'node overloaded: retry later';

/**
 * The session actor of one client connection: takes `request` messages
 * (decoded frames), answers each with one `response` (or one
 * `request-dropped` when a later request reuses its tag) to `args.conn`.
 */
export function createClientSession(ctx: ActorContext, args: ClientSessionArgs): Actor {
  const policy = accessPolicy(args.rwSecret, args.roSecret);
  let access: Access = policy.initial;
  /** Internal request id → the client's tag and verb. */
  const pending = new Map<number, { tag: number | undefined; verb: number }>();
  /** Client tag → internal id of the pending request holding it. */
  const idOfTag = new Map<number, number>();
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
    if (tag !== undefined) idOfTag.set(tag, id);
    return id;
  }
  function untrack(id: number): { tag: number | undefined; verb: number } | undefined {
    const p = pending.get(id);
    if (!p) return undefined;
    pending.delete(id);
    if (p.tag !== undefined && idOfTag.get(p.tag) === id) idOfTag.delete(p.tag);
    return p;
  }
  /** A new request reuses `tag`: forget the pending one holding it, so the tag gets one answer (the new one's). */
  function supersede(tag: number): void {
    const id = idOfTag.get(tag);
    if (id === undefined) return;
    const p = untrack(id)!;
    if (STORE_VERBS.has(p.verb)) ctx.send(STORE, { type: 'cancel', owner: ctx.self, tag: id });
    ctx.send(args.conn, { type: 'request-dropped', verb: p.verb } satisfies RequestDroppedMessage);
    ctx.log.debug(`tag ${tag} reused while its request (verb ${p.verb}) was pending: that request gets no answer`);
  }
  /** Send a tracked request to the store; a full store mailbox answers at once instead of never. */
  function toStore(id: number, m: StoreMessage): void {
    if (ctx.send(STORE, m)) return;
    const p = untrack(id);
    if (p) fail(p.tag, p.verb, 'OTHER', OVERLOADED);
  }

  /** Hand a mutation to the proposer; a DEL is first checked by the store (`delPath`). */
  function propose(tag: number | undefined, verb: number, mutation: Uint8Array, delPath?: string): void {
    if (mutation.length > MAX_MUTATION_BYTES) {
      // Large values: a SET goes to the blob service, which answers it like the proposer (or refuses it naming the limit).
      if (verb === Verb.SET) return toBlobs(track(tag, verb), { type: 'blob-write', mutation, replyTo: ctx.self, tag: 0 });
      fail(tag, verb, 'OTHER', valueTooLarge(mutation.length));
      return;
    }
    const id = track(tag, verb);
    const m: ProposeMessage = { type: 'propose', mutation, replyTo: ctx.self, tag: id };
    if (delPath !== undefined) {
      toStore(id, { type: 'check-del', path: delPath, forwardTo: PROPOSER, forward: { ...m }, replyTo: ctx.self, tag: id });
    } else if (!ctx.send(PROPOSER, m)) {
      untrack(id);
      fail(tag, verb, 'OTHER', OVERLOADED);
    }
  }

  /** Large values: hand a tracked request to the blob service (src/node/blob-channel.ts). */
  function toBlobs(id: number, m: BlobServiceMessage): void {
    if (ctx.send(BLOBS, { ...m, tag: id })) return;
    const p = untrack(id);
    if (p) fail(p.tag, p.verb, 'OTHER', OVERLOADED);
  }

  /** An invalid path (GET, SET, DEL, STAT, GETDIR: BAD_PATH) or glob (WALK, WAIT: OTHER, as the original). */
  function badPath(tag: number | undefined, verb: number, path: string): void {
    if (verb === Verb.WALK || verb === Verb.WAIT) return fail(tag, verb, 'OTHER', invalidGlobError(path).detail);
    return fail(tag, verb, 'BAD_PATH');
  }

  function request(req: Request): void {
    const { tag, verb } = req;
    if (tag !== undefined) supersede(tag);
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
        if (verb === Verb.WALK ? !isValidGlob(path) : !isValidPath(path)) return badPath(tag, verb, path);
        const op = verb === Verb.GET ? 'get' : verb === Verb.STAT ? 'stat' : verb === Verb.GETDIR ? 'getdir' : 'walk';
        const id = track(tag, verb);
        return toStore(id, {
          type: 'read', op, path, replyTo: ctx.self, tag: id,
          ...(req.rev !== undefined ? { rev: req.rev } : {}),
          ...(req.offset !== undefined ? { offset: req.offset } : {}),
        });
      }
      case Verb.WAIT: {
        if (path === undefined || req.rev === undefined) return fail(tag, verb, 'MISSING_ARG');
        if (!isValidGlob(path)) return badPath(tag, verb, path);
        const id = track(tag, verb);
        return toStore(id, { type: 'wait', glob: path, rev: req.rev, replyTo: ctx.self, tag: id });
      }
      case Verb.REV: {
        const id = track(tag, verb);
        return toStore(id, { type: 'rev', replyTo: ctx.self, tag: id });
      }
      case Verb.SET: {
        if (path === undefined || req.rev === undefined) return fail(tag, verb, 'MISSING_ARG');
        if (!isValidPath(path)) return badPath(tag, verb, path);
        return propose(tag, verb, encodeSet(req.rev, path, req.value ?? new Uint8Array()));
      }
      case Verb.DEL: {
        if (path === undefined || req.rev === undefined) return fail(tag, verb, 'MISSING_ARG');
        if (!isValidPath(path)) return badPath(tag, verb, path);
        return propose(tag, verb, encodeDel(req.rev, path), path);
      }
      case Verb.NOP:
        return propose(tag, verb, NOP_MUTATION);
      case BlobVerb.BLOB_PUT:
      case BlobVerb.BLOB_GET:
        // Large values, between our nodes (docs/protocol.md "Large values"): a peer's push needs write access, a fetch read access.
        if (verb === BlobVerb.BLOB_PUT ? access !== 'write' : access === 'none') return fail(tag, verb, 'OTHER', 'permission denied');
        if (path === undefined) return fail(tag, verb, 'MISSING_ARG');
        return toBlobs(track(tag, verb), { type: 'blob-peer', req, replyTo: ctx.self, tag: 0 });
      case Verb.SELF:
        return respond(tag, verb, { value: Buffer.from(args.nodeId) });
      case Verb.ACCESS: {
        // An absent value (as C clients send it) is the empty token.
        const granted = policy.present(req.value);
        if (granted === undefined) return fail(tag, verb, 'OTHER', 'permission denied');
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
      // One copy with the client's tag in place of the internal id (a WAIT answer per watcher per event: one object, not two).
      let response: Response;
      if (p.tag === undefined) {
        const { tag: _internal, ...rest } = msg.response;
        response = rest;
      } else response = { ...msg.response, tag: p.tag };
      ctx.send(args.conn, { type: 'response', response, verb: p.verb } satisfies SendResponseMessage);
      return;
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
      // The store forgets this session's WAITs and future-rev reads.
      ctx.send(STORE, { type: 'cancel', owner: ctx.self });
    },
  };
}

/** The detail of the error a too-large SET answers (spec/store.md: one mutation must fit one datagram). */
export function valueTooLarge(mutationBytes: number): string {
  return `value too large: the write (rev, path and value) is ${mutationBytes} bytes; ` +
    `the limit is ${MAX_MUTATION_BYTES} bytes (one consensus datagram)`;
}

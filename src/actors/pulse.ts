// Pulse: a CAL refreshes /ctl/node/<id>/applied with its store rev every
// -pulse seconds, so others can see how far each node has applied.
import type { Actor, ActorContext } from '../runtime/actor.js';
import type { Message } from '../runtime/message.js';
import { encodeSet } from './store/mutation.js';
import { STORE, type ReplyMessage } from './store/messages.js';
import { PROPOSER } from './proposer-messages.js';

export interface PulseArgs {
  nodeId: string;
  pulseMs: number;
}

export function createPulse(ctx: ActorContext, args: PulseArgs): Actor {
  const path = `/ctl/node/${args.nodeId}/applied`;
  let busy = false;
  const arm = (): void => ctx.setTimer('pulse', args.pulseMs, { type: 'pulse' });
  arm();
  return {
    receive(msg: Message) {
      if (msg.type === 'pulse') {
        arm();
        // One pulse at a time: a slow cluster must not pile them up.
        if (busy) return;
        busy = true;
        ctx.send(STORE, { type: 'rev', replyTo: ctx.self, tag: 1 });
      } else if (msg.type === 'reply') {
        const rev = (msg as ReplyMessage).response.rev ?? 0;
        ctx.send(PROPOSER, { type: 'propose', mutation: encodeSet(-1, path, Buffer.from(String(rev))), replyTo: ctx.self, tag: 2 });
      } else if (msg.type === 'proposed') {
        busy = false; // READONLY on a slave is expected: only CALs pulse.
      }
    },
  };
}

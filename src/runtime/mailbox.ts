// A bounded FIFO of messages. Overflow policy: `push` refuses the message and
// returns false; the sender decides (a session answers "overloaded", a UDP
// receiver drops the datagram, which Paxos tolerates). Nothing is dropped
// silently: refusals are counted.
import type { Message } from './message.js';

export class Mailbox {
  private items: (Message | undefined)[];
  private head = 0;
  private count = 0;
  maxDepth = 0;
  refused = 0;

  constructor(readonly capacity: number) {
    this.items = new Array(Math.min(capacity, 64));
  }

  get depth(): number {
    return this.count;
  }

  push(msg: Message): boolean {
    if (this.count >= this.capacity) {
      this.refused++;
      return false;
    }
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = msg;
    this.count++;
    if (this.count > this.maxDepth) this.maxDepth = this.count;
    return true;
  }

  shift(): Message | undefined {
    if (this.count === 0) return undefined;
    const msg = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return msg;
  }

  /** The first n queued messages, oldest first, without removing them. */
  peek(n: number): Message[] {
    const out: Message[] = [];
    for (let i = 0; i < Math.min(n, this.count); i++) out.push(this.items[(this.head + i) % this.items.length]!);
    return out;
  }

  private grow(): void {
    const bigger = new Array<Message | undefined>(Math.min(this.items.length * 2, this.capacity));
    for (let i = 0; i < this.count; i++) bigger[i] = this.items[(this.head + i) % this.items.length];
    this.items = bigger;
    this.head = 0;
  }
}

// AcceptorCore.drain() reports every acceptor that promised or voted since
// the last drain, so a node with -data can store them before the replies
// leave; and an acceptor restored from disk makes its node fill the
// instances up to the last vote.
import { describe, expect, it } from 'vitest';
import { AcceptorCore, Cmd, type Cal, type PaxosMsg } from '../../../src/actors/paxos/index.js';
import { TestNet } from './harness.js';

const cals: Cal[] = [
  { id: 'A', addr: 'a:1' },
  { id: 'B', addr: 'b:1' },
  { id: 'C', addr: 'c:1' },
];
const msg = (cmd: number, seqn: number, crnd: number, value = ''): PaxosMsg => ({ cmd, seqn, crnd, vrnd: 0, value: Buffer.from(value) });

describe('accepted states in drain()', () => {
  it('lists promises and votes once, with their new state', () => {
    const a = new AcceptorCore({ self: cals[0]!, alpha: 50, keep: 200 });
    for (let n = 1; n <= 50; n++) a.open(n, cals);
    a.drain();
    a.receive('b:1', msg(Cmd.INVITE, 10, 4));
    a.receive('c:1', msg(Cmd.NOMINATE, 11, 5, 'v11'));
    a.receive('b:1', msg(Cmd.INVITE, 10, 2)); // refused: no change
    const r = a.drain();
    expect([...r.accepted].sort((x, y) => x.seqn - y.seqn)).toMatchObject([
      { seqn: 10, rnd: 4, vrnd: 0 },
      { seqn: 11, rnd: 5, vrnd: 5 },
    ]);
    expect(Buffer.from(r.accepted.find((s) => s.seqn === 11)!.vval).toString()).toBe('v11');
    expect(r.sends.some((s) => s.msg.cmd === Cmd.RSVP)).toBe(true);
    expect(a.drain().accepted).toEqual([]);
  });

  it("a leader's own vote on its fast nomination is reported, by its acceptor, with the NOMINATE's effects", () => {
    const net = new TestNet(cals);
    net.open(1, 50);
    net.queue = [];
    net.propose('b:1', 'w');
    const nom = net.queue.find((p) => p.msg.cmd === Cmd.NOMINATE)!;
    expect(net.accepted.get('b:1')).toContainEqual(expect.objectContaining({ seqn: nom.msg.seqn, rnd: 1, vrnd: 1 }));
  });

  it('restored from disk, a voted instance is filled and its value chosen again', () => {
    const net = new TestNet(cals, { fillDelayMs: 5 });
    net.restore('a:1', [{ seqn: 5, rnd: 1, vrnd: 1, vval: Buffer.from('old') }]);
    net.open(1, 50);
    net.queue = [];
    net.tick('a:1', 100);
    const invite = net.queue.find((p) => p.msg.cmd === Cmd.INVITE && p.msg.seqn === 5);
    expect(invite).toBeDefined();
    const crnd = invite!.msg.crnd;
    net.queue = [];
    // B answers with no vote; with A's own RSVP (vote 'old' at round 1, delivered locally) that is a quorum.
    net.receive('a:1', 'b:1', { cmd: Cmd.RSVP, seqn: 5, crnd, vrnd: 0, value: new Uint8Array() });
    const nom = net.queue.find((p) => p.msg.cmd === Cmd.NOMINATE && p.msg.seqn === 5);
    expect(Buffer.from(nom!.msg.value).toString()).toBe('old');
  });
});

describe('lazy votes and seen writes in drain()', () => {
  const nop = 'nop:';
  const open = (): AcceptorCore => {
    const a = new AcceptorCore({ self: cals[0]!, alpha: 50, keep: 200 });
    for (let n = 1; n <= 50; n++) a.open(n, cals);
    a.drain();
    return a;
  };

  it('a vote for a no-op above every instance in use otherwise is lazy; a write, an INVITE or a no-op below a write is not', () => {
    const a = open();
    a.receive('b:1', msg(Cmd.NOMINATE, 5, 1, 'w'));
    let r = a.drain();
    expect([r.lazy, r.wrote]).toEqual([false, 5]);
    // The idle CALs' fills of the next rotation: nothing above them is in use.
    a.receive('c:1', msg(Cmd.NOMINATE, 6, 1, nop));
    a.receive('a:1', msg(Cmd.NOMINATE, 7, 1, nop));
    r = a.drain();
    expect([r.lazy, r.wrote, r.accepted.length]).toEqual([true, 0, 2]);
    // A fill below a write: that write waits for it.
    a.receive('c:1', msg(Cmd.NOMINATE, 4, 1, nop));
    expect(a.drain().lazy).toBe(false);
    a.receive('c:1', msg(Cmd.INVITE, 20, 5));
    expect(a.drain().lazy).toBe(false);
    // The next write makes a later lazy drain urgent again, and shares its own.
    a.receive('c:1', msg(Cmd.NOMINATE, 21, 1, nop));
    a.receive('b:1', msg(Cmd.NOMINATE, 22, 1, 'w2'));
    r = a.drain();
    expect([r.lazy, r.wrote]).toEqual([false, 22]);
  });

  it('a write under /ctl (a node registering, a pulse) is urgent but starts no next rotation', () => {
    const a = open();
    a.receive('b:1', msg(Cmd.NOMINATE, 5, 1, '-1:/ctl/node/X/version=0.9.0-alpha'));
    const r = a.drain();
    expect([r.lazy, r.wrote]).toEqual([false, 0]);
    a.receive('b:1', msg(Cmd.NOMINATE, 8, 1, '0:/ctlx=data'));
    expect(a.drain().wrote).toBe(8);
  });
});

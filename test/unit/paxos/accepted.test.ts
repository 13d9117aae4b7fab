// drain() reports every acceptor that promised or voted since the last drain,
// so a node with -data can store them before the replies leave; and a manager
// restored from disk with `inUse` fills the instances up to the last vote.
import { describe, expect, it } from 'vitest';
import { Cmd, Manager, type Cal, type PaxosMsg } from '../../../src/actors/paxos/index.js';

const cals: Cal[] = [
  { id: 'A', addr: 'a:1' },
  { id: 'B', addr: 'b:1' },
  { id: 'C', addr: 'c:1' },
];
const msg = (cmd: number, seqn: number, crnd: number, value = ''): PaxosMsg => ({ cmd, seqn, crnd, vrnd: 0, value: Buffer.from(value) });

describe('accepted states in drain()', () => {
  it('lists promises and votes once, with their new state', () => {
    const m = new Manager({ self: cals[0]!, rng: () => 0.5 });
    for (let n = 1; n <= 50; n++) m.open(n, cals, 0);
    m.drain();
    m.receive('b:1', msg(Cmd.INVITE, 10, 4), 1);
    m.receive('c:1', msg(Cmd.NOMINATE, 11, 5, 'v11'), 1);
    m.receive('b:1', msg(Cmd.INVITE, 10, 2), 1); // refused: no change
    const r = m.drain();
    // (A also fills the idle instances it leads below 11: those are reported too.)
    const mine = r.accepted.filter((a) => a.seqn === 10 || a.seqn === 11).sort((a, b) => a.seqn - b.seqn);
    expect(mine).toMatchObject([
      { seqn: 10, rnd: 4, vrnd: 0 },
      { seqn: 11, rnd: 5, vrnd: 5 },
    ]);
    expect(Buffer.from(mine[1]!.vval).toString()).toBe('v11');
    expect(r.sends.some((s) => s.msg.cmd === Cmd.RSVP)).toBe(true);
    expect(m.drain().accepted).toEqual([]);
  });

  it("a leader's own vote on its fast nomination is reported with the NOMINATE", () => {
    const m = new Manager({ self: cals[1]!, rng: () => 0.5 });
    for (let n = 1; n <= 50; n++) m.open(n, cals, 0);
    m.drain();
    m.propose(Buffer.from('w'), 1);
    const r = m.drain();
    const nom = r.sends.find((s) => s.msg.cmd === Cmd.NOMINATE)!;
    expect(r.accepted).toContainEqual(expect.objectContaining({ seqn: nom.msg.seqn, vrnd: 1 }));
  });

  it('restored with inUse, a voted instance is filled and its value chosen again', () => {
    const m = new Manager({ self: cals[0]!, rng: () => 0.5, fillDelayMs: 5 });
    m.restoreAcceptors([{ seqn: 5, rnd: 1, vrnd: 1, vval: Buffer.from('old') }], true);
    for (let n = 1; n <= 50; n++) m.open(n, cals, 0);
    m.drain();
    m.tick(100);
    const invite = m.drain().sends.find((s) => s.msg.cmd === Cmd.INVITE && s.msg.seqn === 5);
    expect(invite).toBeDefined();
    const crnd = invite!.msg.crnd;
    // B answers with no vote; with A's own RSVP (vote 'old' at round 1) that is a quorum.
    m.receive('b:1', { cmd: Cmd.RSVP, seqn: 5, crnd, vrnd: 0, value: new Uint8Array() }, 101);
    const nom = m.drain().sends.find((s) => s.msg.cmd === Cmd.NOMINATE && s.msg.seqn === 5);
    expect(Buffer.from(nom!.msg.value).toString()).toBe('old');
  });
});

// A manager restored from acceptorStates() (a consensus actor moved to a
// fresh thread) keeps every promise and vote of its predecessor.
import { describe, expect, it } from 'vitest';
import { Cmd, Manager, type Cal, type PaxosMsg } from '../../../src/actors/paxos/index.js';
import { durableClass } from '../../../src/runtime/durable.js';
import '../../../src/actors/durables.js';

const cals: Cal[] = [
  { id: 'A', addr: 'a:1' },
  { id: 'B', addr: 'b:1' },
  { id: 'C', addr: 'c:1' },
];
const msg = (cmd: number, seqn: number, crnd: number, value = ''): PaxosMsg => ({ cmd, seqn, crnd, vrnd: 0, value: Buffer.from(value) });

function fresh(): Manager {
  const m = new Manager({ self: cals[0]!, rng: () => 0.5 });
  for (let n = 1; n <= 50; n++) m.open(n, cals, 0);
  return m;
}

describe('restoring a manager', () => {
  it('keeps promises and votes, applied as instances reopen', () => {
    const m = fresh();
    m.receive('b:1', msg(Cmd.INVITE, 10, 4), 1); // promise round 4 at 10
    m.receive('c:1', msg(Cmd.NOMINATE, 11, 5, 'v11'), 1); // vote round 5 at 11
    m.drain();
    const states = m.acceptorStates();
    expect(states.find((s) => s.seqn === 10)).toMatchObject({ rnd: 4, vrnd: 0 });
    expect(states.find((s) => s.seqn === 11)).toMatchObject({ rnd: 5, vrnd: 5 });

    // Through the runtime's durable class, as on a worker thread death.
    const cls = durableClass('Manager');
    const restored = cls.restore!(structuredClone(cls.snapshot!(m))) as Manager;
    for (let n = 1; n <= 50; n++) restored.open(n, cals, 2);

    // A lower INVITE at 10 is refused (no RSVP); the vote at 11 is reported to a higher round.
    restored.receive('b:1', msg(Cmd.INVITE, 10, 3), 3);
    expect(restored.drain().sends.filter((s) => s.msg.cmd === Cmd.RSVP)).toEqual([]);
    restored.receive('b:1', msg(Cmd.INVITE, 11, 7), 3);
    const rsvp = restored.drain().sends.find((s) => s.msg.cmd === Cmd.RSVP && s.msg.seqn === 11)!;
    expect(rsvp.msg.vrnd).toBe(5);
    expect(Buffer.from(rsvp.msg.value).toString()).toBe('v11');
  });
});

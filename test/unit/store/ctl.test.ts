// Reading the CAL slots out of a store that any client can write (issue 8,
// issue 12's fuzzer): nothing in /ctl may make calSlots throw, since the
// store actor runs it on every slot change.
import { describe, expect, it } from 'vitest';
import { Store } from '../../../src/actors/store/store.js';
import { calListOf, calSlots } from '../../../src/actors/store/ctl.js';

const enc = (t: string): Uint8Array => new TextEncoder().encode(t);

function storeOf(mutations: (string | Uint8Array)[]): Store {
  const s = new Store();
  for (const m of mutations) s.apply(s.rev + 1, typeof m === 'string' ? enc(m) : m);
  return s;
}

describe('calSlots on garbage /ctl', () => {
  it('a directory as a slot, a binary id, an addr that is a directory: no throw, no CAL', () => {
    const s = storeOf([
      '-1:/ctl/node/A/addr=127.0.0.1:8046',
      '-1:/ctl/cal/0=A',
      '-1:/ctl/cal/5/x=A',
      new Uint8Array([...enc('-1:/ctl/cal/6='), 0, 0xff, 0x2f]),
      '-1:/ctl/node/B/addr/y=1',
      '-1:/ctl/cal/7=B',
      '-1:/ctl/cal/8=../A',
    ]);
    const slots = calSlots(s);
    expect(slots.map((c) => c.slot)).toEqual(['0', '6', '7', '8']);
    expect(calListOf(slots).map((c) => c.id)).toEqual(['A']);
  });
});

// Reading the CAL slots out of a store that any client can write (issue 8,
// issue 12's fuzzer): nothing in /ctl may make calSlots throw, since the
// store actor runs it on every slot change.
import { describe, expect, it } from 'vitest';
import { Store } from '../../../src/actors/store/store.js';
import { calListOf, calSlots, hasForeignNode } from '../../../src/actors/store/ctl.js';
import { VERSION_PREFIX } from '../../../src/wire/version.js';

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

describe('hasForeignNode: an original doozerd among the nodes (our CALs then stop filling ahead)', () => {
  const ours = (id: string): string[] => [`-1:/ctl/node/${id}/addr=127.0.0.1:1`, `-1:/ctl/node/${id}/version=${VERSION_PREFIX}0.1.0`];

  it('nodes of ours only: false; no /ctl/node at all: false', () => {
    expect(hasForeignNode(storeOf([...ours('A'), ...ours('B')]))).toBe(false);
    expect(hasForeignNode(storeOf(['-1:/a=1']))).toBe(false);
  });

  it('an original (version 0.9.0-alpha), or a node registered before its version file: true', () => {
    expect(hasForeignNode(storeOf([...ours('A'), '-1:/ctl/node/O/addr=127.0.0.1:2', '-1:/ctl/node/O/version=0.9.0-alpha']))).toBe(true);
    expect(hasForeignNode(storeOf([...ours('A'), '-1:/ctl/node/O/addr=127.0.0.1:2']))).toBe(true);
  });

  it('at a past rev, and garbage under /ctl/node (a file where a node directory belongs) without a throw', () => {
    const s = storeOf([...ours('A'), '-1:/ctl/node/O/addr=127.0.0.1:2', '-1:/ctl/node/O/version=0.9.0-alpha']);
    expect(hasForeignNode(s, 2)).toBe(false);
    expect(hasForeignNode(storeOf([...ours('A'), '-1:/ctl/node/junk=1']))).toBe(true);
  });
});

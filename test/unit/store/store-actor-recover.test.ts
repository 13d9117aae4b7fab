// A node restarted from -data whose acceptor had voted past its chosen log:
// those votes may be writes it acknowledged, which come back only when
// consensus decides the instances again. Until the store gets there, reads
// at the current rev and REV wait (durability-crash "one node" read a
// restarted node too early and missed acknowledged writes).
import { describe, expect, it } from 'vitest';
import { createStoreActor } from '../../../src/actors/store/store-actor.js';
import { startActor } from '../../helpers/fake-actor.js';

const enc = (t: string): Uint8Array => new TextEncoder().encode(t);
type Answer = { tag: number; response: { rev?: number; value?: Uint8Array } };

describe('store actor: recoverTo after a restart', () => {
  it('holds reads at the current rev and REV until the store reaches the last voted seqn', () => {
    const st = startActor('store', createStoreActor, { hist: 100, recoverTo: 3 });
    st.receive({ type: 'apply', seqn: 1, mutation: enc('-1:/a=1') } as never);
    st.receive({ type: 'read', op: 'get', path: '/a', replyTo: 'c', tag: 1 } as never);
    st.receive({ type: 'rev', replyTo: 'c', tag: 2 } as never);
    st.receive({ type: 'read', op: 'get', path: '/a', rev: 1, replyTo: 'c', tag: 3 } as never); // an explicit old rev: at once
    expect((st.take('c') as unknown as Answer[]).map((a) => a.tag)).toEqual([3]);
    st.receive({ type: 'apply', seqn: 2, mutation: enc('-1:/b=2') } as never);
    expect(st.take('c')).toEqual([]);
    st.receive({ type: 'apply', seqn: 3, mutation: enc('-1:/a=3') } as never); // the acknowledged write, decided again
    const answers = st.take('c') as unknown as Answer[];
    const byTag = new Map(answers.map((a) => [a.tag, a.response]));
    expect(byTag.get(1)).toMatchObject({ rev: 3 });
    expect(Buffer.from(byTag.get(1)!.value!).toString()).toBe('3');
    expect(byTag.get(2)).toMatchObject({ rev: 3 });
    // From then on, at once.
    st.receive({ type: 'rev', replyTo: 'c', tag: 4 } as never);
    expect((st.take('c') as unknown as Answer[]).map((a) => [a.tag, a.response.rev])).toEqual([[4, 3]]);
  });

  it('answers what waited after RECOVER_WAIT_MS when the store cannot get there (no quorum)', () => {
    const st = startActor('store', createStoreActor, { hist: 100, recoverTo: 9 });
    expect(st.timers.has('recover')).toBe(true);
    st.receive({ type: 'apply', seqn: 1, mutation: enc('-1:/a=1') } as never);
    st.receive({ type: 'read', op: 'get', path: '/a', replyTo: 'c', tag: 1 } as never);
    st.receive({ type: 'rev', replyTo: 'c', tag: 2 } as never);
    st.receive({ type: 'read', op: 'get', path: '/a', rev: 9, replyTo: 'c', tag: 3 } as never); // a future rev keeps waiting
    expect(st.take('c')).toEqual([]);
    st.receive({ type: 'recover-timeout' } as never);
    const byTag = new Map((st.take('c') as unknown as Answer[]).map((a) => [a.tag, a.response]));
    expect([...byTag.keys()].sort()).toEqual([1, 2]);
    expect(byTag.get(2)).toMatchObject({ rev: 1 });
    expect(st.logs.some((l) => /^warn: reads waited 10s/.test(l))).toBe(true);
    st.receive({ type: 'apply', seqn: 2, mutation: enc('nop:') } as never);
    expect(st.take('c')).toEqual([]);
  });
});

// The store actor replaced by a snapshot (a follower that fell out of its
// CAL's history): requests waiting for revs it jumped over are answered, and
// subscribers hear of the jump. Before, a GET at such a rev waited forever,
// and the slave-watcher (which limits how far the follower copies by the rev
// it has seen) could wait for events that never came.
import { describe, expect, it } from 'vitest';
import { createStoreActor } from '../../../src/actors/store/store-actor.js';
import { ErrCode } from '../../../src/wire/client-codec.js';
import { startActor } from '../../helpers/fake-actor.js';

const enc = (t: string): Uint8Array => new TextEncoder().encode(t);

describe('store actor: load-snapshot', () => {
  it('answers reads and WAITs for revs it jumped over, and tells subscribers with every slot', () => {
    const st = startActor('store', createStoreActor, { hist: 5 });
    st.receive({ type: 'apply', seqn: 1, mutation: enc('-1:/a=1') } as never);
    st.receive({ type: 'subscribe', subscriber: 'watcher', fromRev: 1, withCals: true } as never);
    st.take('watcher');
    st.receive({ type: 'read', op: 'get', path: '/a', rev: 5, replyTo: 'c', tag: 1 } as never); // a rev inside the gap
    st.receive({ type: 'read', op: 'get', path: '/a', rev: 10, replyTo: 'c', tag: 2 } as never); // the snapshot's rev
    st.receive({ type: 'read', op: 'get', path: '/a', rev: 11, replyTo: 'c', tag: 3 } as never); // still ahead
    st.receive({ type: 'wait', glob: '/**', rev: 3, replyTo: 'c', tag: 4 } as never);
    expect(st.take('c')).toEqual([]);

    st.receive({
      type: 'load-snapshot',
      snapshot: { rev: 10, files: [{ path: '/a', body: enc('2'), rev: 9 }, { path: '/ctl/cal/0', body: enc('X'), rev: 8 }] },
    } as never);
    const answers = st.take('c') as unknown as { tag: number; response: { errCode?: number; rev?: number } }[];
    const byTag = new Map(answers.map((a) => [a.tag, a.response]));
    expect(byTag.get(1)?.errCode).toBe(ErrCode.TOO_LATE);
    expect(byTag.get(2)).toMatchObject({ rev: 9 });
    expect(byTag.has(3)).toBe(false);
    expect(byTag.get(4)?.errCode).toBe(ErrCode.TOO_LATE);
    const heard = st.take('watcher');
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ type: 'store-event', snapshot: true, event: { seqn: 10, path: '/', flags: 0 } });
    expect((heard[0]!.cals as { slot: string; id: string }[]).map((c) => [c.slot, c.id])).toEqual([['0', 'X']]);
  });
});

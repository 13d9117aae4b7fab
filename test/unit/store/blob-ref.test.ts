// Blob references (src/actors/store/blob-ref.ts), the store actor waiting
// for a body before it applies a reference's seqn (blob-resolver.ts), and
// the check that lets a write which fails whatever its body go without one.
import { describe, expect, it } from 'vitest';
import { blobDigest, decodeBlobRef, encodeBlobRef, expandBlobRef, isBlobRef, learnValue, setFailsWithoutBody, splitSet } from '../../../src/actors/store/blob-ref.js';
import { createStoreActor } from '../../../src/actors/store/store-actor.js';
import { encodeDel, encodeSet } from '../../../src/actors/store/mutation.js';
import { Store } from '../../../src/actors/store/store.js';
import { BLOBS } from '../../../src/actors/blob-messages.js';
import { startActor } from '../../helpers/fake-actor.js';

const enc = (t: string): Uint8Array => new TextEncoder().encode(t);
const big = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

/** The reference a CAL proposes for `-1:path=body` (or `rev:path=body`). */
function refFor(path: string, body: Uint8Array, rev = -1): Uint8Array {
  const s = splitSet(encodeSet(rev, path, body))!;
  return encodeBlobRef(blobDigest(s.body), s.body.length, s.header);
}

describe('blob references', () => {
  it('round-trip: digest, length and the mutation without its body', () => {
    const body = big(5000, 7);
    const m = encodeSet(12, '/a/b', body);
    const s = splitSet(m)!;
    expect(Buffer.from(s.header).toString()).toBe('12:/a/b=');
    const ref = encodeBlobRef(blobDigest(body), body.length, s.header);
    expect(Buffer.from(ref).toString()).toBe(`blob:${blobDigest(body)}:5000:12:/a/b=`);
    expect(isBlobRef(ref)).toBe(true);
    expect(isBlobRef(m)).toBe(false);
    const d = decodeBlobRef(ref)!;
    expect(d).toMatchObject({ digest: blobDigest(body), len: 5000 });
    expect(expandBlobRef(d, body)).toEqual(m);
  });

  it('malformed references decode to nothing (the store applies them as bad mutations, the same everywhere)', () => {
    const h = blobDigest(enc('x'));
    for (const bad of ['blob:', `blob:${h}`, `blob:${h}:`, `blob:${h}:12`, `blob:${h}::-1:/a=`, `blob:${h}:1x:-1:/a=`, `blob:${h.toUpperCase()}:1:-1:/a=`, `blob:${h}:1:-1:/a`, `blob:${h}x1:-1:/a=`]) {
      expect(decodeBlobRef(enc(bad)), bad).toBeUndefined();
    }
    expect(() => encodeBlobRef('zz', 1, enc('-1:/a='))).toThrow(RangeError);
    expect(() => encodeBlobRef(h, 1, enc('-1:/a'))).toThrow(RangeError);
    expect(splitSet(encodeDel(-1, '/a'))).toBeUndefined();
  });

  it('learnValue: a value held whole goes out in a LEARN as the very reference that was chosen for it', () => {
    const small = encodeSet(-1, '/a', enc('x'));
    expect(learnValue(small, 2960)).toBe(small);
    const value = big(100_000, 5);
    expect(learnValue(encodeSet(7, '/big', value), 2960)).toEqual(refFor('/big', value, 7));
    expect(learnValue(encodeSet(7, '/' + 'p'.repeat(3000), value), 2960)).toBeUndefined();
  });

  it('setFailsWithoutBody says exactly what Store.apply says, for every kind of failure and success', () => {
    const s = new Store({ hist: 100 });
    s.apply(1, encodeSet(-1, '/f', enc('file')));
    s.apply(2, encodeSet(-1, '/d/x', enc('1')));
    const cases: [number, string][] = [
      [-1, '/new'], [0, '/new'], [5, '/new'], [-1, '/f'], [0, '/f'], [1, '/f'], [2, '/f'], [-5, '/f'],
      [-1, '/f/under'], [0, '/f/under/deeper'], [-1, '/d'], [100, '/d'], [-1, '/d/x'], [1, '/d/x'], [2, '/d/x'],
      [-1, '/d/y/z'], [-1, '/'], [-1, '/missing/deep/path'],
    ];
    for (const [rev, path] of cases) {
      const header = splitSet(encodeSet(rev, path, enc('v')))!.header;
      const copy = Store.fromSnapshot(s.rev, s.files(), { hist: 100 });
      const ev = copy.apply(s.rev + 1, encodeSet(rev, path, big(4000, 1)));
      expect(setFailsWithoutBody(s, header), `${rev}:${path}`).toBe(ev.err !== undefined);
    }
    expect(setFailsWithoutBody(s, enc('x:/a='))).toBe(true);
  });
});

describe('store actor: a chosen blob reference', () => {
  it('waits for its body, applies nothing after it meanwhile, then applies the whole value in order', () => {
    const st = startActor('store', createStoreActor, { hist: 50 });
    const body = big(10_000, 3);
    st.receive({ type: 'apply', seqn: 1, mutation: enc('-1:/a=1') } as never);
    st.receive({ type: 'apply', seqn: 2, mutation: refFor('/big', body) } as never);
    st.receive({ type: 'apply', seqn: 3, mutation: enc('-1:/a=3') } as never);
    st.receive({ type: 'read', op: 'get', path: '/a', rev: 3, replyTo: 'c', tag: 1 } as never);
    const asked = st.take(BLOBS);
    expect(asked).toEqual([{ type: 'blob-need', digest: blobDigest(body), len: 10_000, seqn: 2, path: '/big' }]);
    expect(st.take('c')).toEqual([]); // seqn 3 waits behind 2
    st.receive({ type: 'rev', replyTo: 'c', tag: 2 } as never);
    expect(st.take('c')).toMatchObject([{ tag: 2, response: { rev: 1 } }]);
    // Another apply does not ask again at once.
    st.receive({ type: 'apply', seqn: 4, mutation: enc('-1:/a=4') } as never);
    expect(st.take(BLOBS)).toEqual([]);
    // A body nobody asked for is ignored; the right one lets 2, 3 and 4 through.
    st.receive({ type: 'blob-body', digest: blobDigest(enc('other')), body: enc('other') } as never);
    expect(st.take('c')).toEqual([]);
    st.receive({ type: 'blob-body', digest: blobDigest(body), body } as never);
    expect(st.take('c')).toMatchObject([{ tag: 1, response: { rev: 3 } }]);
    st.receive({ type: 'read', op: 'get', path: '/big', replyTo: 'c', tag: 3 } as never);
    const got = st.take('c')[0] as unknown as { response: { value: Uint8Array; rev: number } };
    expect(got.response.rev).toBe(2);
    expect(Buffer.from(got.response.value).equals(Buffer.from(body))).toBe(true);
    st.receive({ type: 'wait', glob: '/big', rev: 2, replyTo: 'c', tag: 4 } as never);
    const ev = st.take('c')[0] as unknown as { response: { value: Uint8Array; rev: number } };
    expect(ev.response.value.length).toBe(10_000);
  });

  it('a reference whose write fails whatever its body is applied at once, with the same error, without asking for the body', () => {
    const st = startActor('store', createStoreActor, { hist: 50 });
    st.receive({ type: 'apply', seqn: 1, mutation: enc('-1:/f=1') } as never);
    st.receive({ type: 'apply', seqn: 2, mutation: refFor('/f', big(5000, 1), 0) } as never); // create-only on an existing file
    st.receive({ type: 'apply', seqn: 3, mutation: refFor('/f/under', big(5000, 2)) } as never); // under a file
    expect(st.take(BLOBS)).toEqual([]);
    st.receive({ type: 'read', op: 'get', path: '/ctl/err', replyTo: 'c', tag: 1 } as never);
    expect(st.take('c')).toMatchObject([{ response: { rev: 3, value: enc('not a directory') } }]);
    st.receive({ type: 'wait', glob: '/**', rev: 2, replyTo: 'c', tag: 2 } as never);
    expect(st.take('c')).toMatchObject([{ response: { rev: 2, path: '/ctl/err', value: enc('rev mismatch') } }]);
  });

  it('answers `cals` with every slot, each with its node\'s version and whether it takes large values', () => {
    const st = startActor('store', createStoreActor, { hist: 50 });
    const muts = ['0:/ctl/node/A/addr=127.0.0.1:1', '0:/ctl/node/A/version=doozerd-ts-0.1.0', '0:/ctl/node/A/features=blobs', '0:/ctl/cal/0=A',
      '0:/ctl/node/B/addr=127.0.0.1:2', '0:/ctl/node/B/version=doozerd-0.8', '0:/ctl/cal/1=B'];
    muts.forEach((m, i) => st.receive({ type: 'apply', seqn: i + 1, mutation: enc(m) } as never));
    st.receive({ type: 'cals', replyTo: BLOBS, tag: 9 } as never);
    expect(st.take(BLOBS)).toMatchObject([{
      type: 'store-cals', tag: 9, rev: 7,
      cals: [{ id: 'A', blobs: true, ours: true, version: 'doozerd-ts-0.1.0' }, { id: 'B', blobs: false, ours: false, version: 'doozerd-0.8' }],
    }]);
  });
});

import { describe, expect, it } from 'vitest';
import { BATCH_MARKER, decodeDatagram, decodeMsg, encodeMsg, packBatches } from '../../../src/wire/peer-codec.js';
import { MsgType } from '../../../src/wire/proto-schema.js';
import { MAX_DATAGRAM_BYTES } from '../../../src/wire/limits.js';
import { Cmd, type PaxosMsg } from '../../../src/actors/paxos/types.js';

const m = (cmd: number, seqn: number, crnd = 0, vrnd = 0, value = ''): PaxosMsg => ({ cmd, seqn, crnd, vrnd, value: Buffer.from(value) });

describe('consensus datagrams', () => {
  it('encodes field numbers of consensus.Msg and omits unused fields', () => {
    // cmd=1 (varint 3 = NOMINATE), seqn=2, crnd=3, value=5.
    expect(Buffer.from(encodeMsg(m(Cmd.NOMINATE, 7, 1, 0, 'nop:'))).toString('hex')).toBe('080310071801' + '2a046e6f703a');
    expect(Buffer.from(encodeMsg(m(Cmd.INVITE, 300, 5))).toString('hex')).toBe('0801' + '10ac02' + '1805');
  });

  it('round-trips, including large seqns and rounds', () => {
    const x = m(Cmd.RSVP, 2 ** 40, 2 ** 33, 17, 'v=1');
    const y = decodeMsg(encodeMsg(x))!;
    expect(y.cmd).toBe(x.cmd);
    expect(y.seqn).toBe(x.seqn);
    expect(y.crnd).toBe(x.crnd);
    expect(y.vrnd).toBe(x.vrnd);
    expect(Buffer.from(y.value).toString()).toBe('v=1');
  });

  it('discards a message without cmd or seqn', () => {
    expect(decodeMsg(MsgType.encode({ seqn: 3 }).finish())).toBeUndefined();
    expect(decodeMsg(MsgType.encode({ cmd: 1 }).finish())).toBeUndefined();
    expect(decodeDatagram(MsgType.encode({ cmd: 1 }).finish())).toEqual([]);
  });

  it('NOP (cmd 0) present on the wire is not "absent"', () => {
    expect(decodeMsg(MsgType.encode({ cmd: 0, seqn: 1 }).finish())?.cmd).toBe(0);
  });

  it('batches many messages into datagrams of at most 3000 bytes, each starting with the marker', () => {
    const msgs = Array.from({ length: 500 }, (_, i) => m(Cmd.VOTE, i + 1, 1, 1, 'x'.repeat(i % 50)));
    const dgrams = packBatches(msgs.map(encodeMsg));
    expect(dgrams.length).toBeGreaterThan(1);
    for (const d of dgrams) {
      expect(d.length).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
      expect(d[0]).toBe(BATCH_MARKER);
    }
    const back = dgrams.flatMap((d) => decodeDatagram(d));
    expect(back.map((x) => x.seqn)).toEqual(msgs.map((x) => x.seqn));
  });

  it('throws on garbage (the transport logs and drops it)', () => {
    expect(() => decodeDatagram(Buffer.from([0xff, 0xff, 0xff]))).toThrow();
  });
});

describe('field presence as the original sends it (captured from the original doozerd)', () => {
  const hex = (m: Parameters<typeof encodeMsg>[0]): string => Buffer.from(encodeMsg(m)).toString('hex');
  const EMPTY = new Uint8Array(0);

  it('RSVP without a vote still carries vrnd 0 and an empty value (an original coordinator ignores it otherwise)', () => {
    // Captured: the original's RSVP(seqn 121, crnd 3) with no vote.
    expect(hex({ cmd: Cmd.RSVP, seqn: 121, crnd: 3, vrnd: 0, value: EMPTY })).toBe('08021079180320002a00');
  });

  it('INVITE, NOMINATE and LEARN carry the fields the original sends', () => {
    expect(hex({ cmd: Cmd.INVITE, seqn: 121, crnd: 3, vrnd: 0, value: EMPTY })).toBe('080110791803');
    const v = Buffer.from('nop:');
    expect(hex({ cmd: Cmd.NOMINATE, seqn: 121, crnd: 3, vrnd: 0, value: v })).toBe('0803107918032a046e6f703a');
    expect(hex({ cmd: Cmd.LEARN, seqn: 121, crnd: 0, vrnd: 0, value: v })).toBe('080710792a046e6f703a');
  });
});

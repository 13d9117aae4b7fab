import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cmd, type PaxosMsg } from '../../../src/actors/paxos/types.js';
import { decodeMsg, encodedSize, encodeMsg } from '../../../src/actors/paxos/wire.js';
import { int64ToNumber, MsgType } from '../../../src/net/proto-schema.js';

const msgArb = fc.record({
  cmd: fc.integer({ min: 0, max: 7 }),
  seqn: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.maxSafeNat()),
  crnd: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 }), fc.maxSafeNat()),
  vrnd: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 }), fc.maxSafeNat()),
  value: fc.uint8Array({ maxLength: 300 }),
});

function viaProtobufjs(m: PaxosMsg): Uint8Array {
  const o: Record<string, unknown> = { cmd: m.cmd, seqn: m.seqn };
  if (m.crnd !== 0) o.crnd = m.crnd;
  if (m.vrnd !== 0) o.vrnd = m.vrnd;
  if (m.value.length > 0) o.value = m.value;
  return MsgType.encode(MsgType.fromObject(o)).finish();
}

describe('consensus wire codec', () => {
  it('encodes exactly as protobuf does', () => {
    fc.assert(
      fc.property(msgArb, (m) => {
        const ours = encodeMsg(m);
        expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(viaProtobufjs(m)).toString('hex'));
        expect(ours.length).toBe(encodedSize(m));
      }),
    );
  });

  it('decodes what protobuf encodes, and round-trips', () => {
    fc.assert(
      fc.property(msgArb, (m) => {
        expect(decodeMsg(viaProtobufjs(m))).toEqual(m);
        expect(decodeMsg(encodeMsg(m))).toEqual(m);
        const back = MsgType.toObject(MsgType.decode(encodeMsg(m)), { defaults: true }) as Record<string, unknown>;
        expect(int64ToNumber(back.seqn)).toBe(m.seqn);
        expect(int64ToNumber(back.crnd)).toBe(m.crnd);
      }),
    );
  });

  it('discards a message without cmd or seqn', () => {
    expect(decodeMsg(MsgType.encode(MsgType.fromObject({ seqn: 3 })).finish())).toBeNull();
    expect(decodeMsg(MsgType.encode(MsgType.fromObject({ cmd: Cmd.LEARN })).finish())).toBeNull();
    expect(decodeMsg(new Uint8Array())).toBeNull();
    // cmd = NOP (0) present is still a message (the manager ignores it).
    expect(decodeMsg(MsgType.encode(MsgType.fromObject({ cmd: 0, seqn: 3 })).finish())).toMatchObject({ cmd: 0, seqn: 3 });
  });

  it('skips unknown fields and rejects malformed input', () => {
    const base = encodeMsg({ cmd: Cmd.VOTE, seqn: 9, crnd: 4, vrnd: 4, value: new Uint8Array([1, 2]) });
    // field 9 varint, field 10 length-delimited, field 11 fixed32, field 12 fixed64
    const extra = new Uint8Array([0x48, 0x96, 0x01, 0x52, 0x02, 0xaa, 0xbb, 0x5d, 1, 2, 3, 4, 0x61, 1, 2, 3, 4, 5, 6, 7, 8]);
    const withExtra = new Uint8Array([...base, ...extra]);
    expect(decodeMsg(withExtra)).toEqual(decodeMsg(base));
    for (let cut = 1; cut < base.length; cut++) {
      const d = decodeMsg(base.subarray(0, cut));
      // A cut inside a field is malformed; a cut between fields may decode as a shorter message.
      if (d !== null) expect(d.seqn).toBe(9);
    }
    expect(decodeMsg(new Uint8Array([0x08, 0x01, 0x10]))).toBeNull(); // truncated varint
    expect(decodeMsg(new Uint8Array([0x0a, 0x01, 0x01, 0x10, 0x01]))).toBeNull(); // cmd with wrong wire type
    expect(decodeMsg(new Uint8Array([0x08, 0x01, 0x10, 0x01, 0x2a, 0x05, 0x01]))).toBeNull(); // value too short
  });

  it('rejects negative int64 values (they decode as huge varints)', () => {
    const neg = MsgType.encode(MsgType.fromObject({ cmd: Cmd.INVITE, seqn: 5, crnd: -1 })).finish();
    expect(decodeMsg(neg)).toBeNull();
    expect(() => encodeMsg({ cmd: Cmd.INVITE, seqn: -1, crnd: 0, vrnd: 0, value: new Uint8Array() })).toThrow(RangeError);
  });

  it('copies the value out of the receive buffer', () => {
    const buf = encodeMsg({ cmd: Cmd.LEARN, seqn: 1, crnd: 0, vrnd: 0, value: new Uint8Array([7, 7]) });
    const fromBuffer = Buffer.from(buf); // what a UDP socket hands over
    const d = decodeMsg(buf)!;
    const e = decodeMsg(fromBuffer)!;
    buf.fill(0);
    fromBuffer.fill(0);
    expect([...d.value]).toEqual([7, 7]);
    expect([...e.value]).toEqual([7, 7]);
    expect(Buffer.isBuffer(e.value)).toBe(false);
  });
});

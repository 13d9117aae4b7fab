// Consensus datagrams (spec/consensus.md): one protobuf `Msg` per datagram for
// every peer, and, between nodes of this implementation only, a batch of
// several Msgs in one datagram: a 0x00 byte (field number 0 is invalid in
// protobuf, so an original node discards such a datagram rather than
// misreading it) followed by length-delimited Msgs.
import protobuf from 'protobufjs';
import { MsgType, int64ToNumber } from './proto-schema.js';
import { Cmd, type PaxosMsg } from './paxos-msg.js';
import { MAX_DATAGRAM_BYTES } from './limits.js';

export const BATCH_MARKER = 0x00;
const EMPTY = new Uint8Array(0);

/**
 * Field presence as original nodes send it (captured from the original):
 * an RSVP always carries vrnd and value, even "no vote yet" (vrnd 0, empty
 * value); an original coordinator ignores an RSVP without them, so our
 * acceptors could never help an original CAL reach a quorum. Elsewhere a
 * zero round or empty value is left out.
 */
function toWire(m: PaxosMsg): Record<string, unknown> {
  const w: Record<string, unknown> = { cmd: m.cmd, seqn: m.seqn };
  if (m.crnd) w.crnd = m.crnd;
  if (m.vrnd || m.cmd === Cmd.RSVP) w.vrnd = m.vrnd;
  if (m.value.length || m.cmd === Cmd.RSVP) w.value = m.value;
  return w;
}

export function encodeMsg(m: PaxosMsg): Uint8Array {
  return MsgType.encode(toWire(m)).finish();
}

/** A message without cmd or seqn is discarded (undefined), as the spec says. */
export function decodeMsg(buf: Uint8Array): PaxosMsg | undefined {
  const d = MsgType.decode(buf) as unknown as Record<string, unknown>;
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(d, k);
  if (!has('cmd') || !has('seqn')) return undefined;
  return {
    cmd: d.cmd as number,
    seqn: int64ToNumber(d.seqn),
    crnd: has('crnd') ? int64ToNumber(d.crnd) : 0,
    vrnd: has('vrnd') ? int64ToNumber(d.vrnd) : 0,
    value: has('value') ? (d.value as Uint8Array) : EMPTY,
  };
}

/** Every message in a datagram, single or batched. Throws on garbage. */
export function decodeDatagram(buf: Uint8Array): PaxosMsg[] {
  if (buf.length > 0 && buf[0] === BATCH_MARKER) {
    const out: PaxosMsg[] = [];
    const r = protobuf.Reader.create(buf.subarray(1));
    while (r.pos < r.len) {
      const m = decodeMsg(r.bytes());
      if (m) out.push(m);
    }
    return out;
  }
  const m = decodeMsg(buf);
  return m ? [m] : [];
}

/**
 * Packs encoded messages into as few batch datagrams as fit in 3000 bytes
 * each (for peers known to be ours).
 */
export function packBatches(encoded: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let w = protobuf.Writer.create();
  let size = 1;
  let count = 0;
  const flush = (): void => {
    if (count === 0) return;
    const body = w.finish();
    const dgram = new Uint8Array(body.length + 1);
    dgram[0] = BATCH_MARKER;
    dgram.set(body, 1);
    out.push(dgram);
    w = protobuf.Writer.create();
    size = 1;
    count = 0;
  };
  for (const e of encoded) {
    const need = e.length + (e.length < 128 ? 1 : 2);
    if (size + need > MAX_DATAGRAM_BYTES) flush();
    w.bytes(e);
    size += need;
    count++;
  }
  flush();
  return out;
}

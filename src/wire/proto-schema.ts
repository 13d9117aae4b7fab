// Loads the .proto files in proto/ (the wire contract) once per process.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const protoDir = fileURLToPath(new URL('../../proto/', import.meta.url));

function load(file: string): protobuf.Root {
  const text = readFileSync(protoDir + file, 'utf8');
  return protobuf.parse(text, { keepCase: true }).root;
}

const clientRoot = load('msg.proto');
const consensusRoot = load('consensus.proto');

export const RequestType = clientRoot.lookupType('server.Request');
export const ResponseType = clientRoot.lookupType('server.Response');
export const MsgType = consensusRoot.lookupType('consensus.Msg');

/** protobufjs gives int64 fields as Long (or number); we use numbers (revs stay below 2^53). */
export function int64ToNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  return Number(v);
}

// Output formats shared by commands (cluster.md, "The doozer command-line client").
import type { WaitEvent } from '../client/client.js';

/** `<path> <rev> <set|del> <len>` LF body LF. A no-op event (glob /**) says `nop`. */
export function formatEvent(ev: WaitEvent): Buffer {
  const op = ev.isSet ? 'set' : ev.isDel ? 'del' : 'nop';
  const head = Buffer.from(`${ev.path} ${ev.rev} ${op} ${ev.value.length}\n`, 'utf8');
  return Buffer.concat([head, ev.value, Buffer.from('\n')]);
}

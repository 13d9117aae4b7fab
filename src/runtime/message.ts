// Messages between actors are plain data with a `type` field: structured-clone
// safe (no functions, sockets or class instances), so an actor can be moved to
// another thread without changing its code.
export interface Message {
  readonly type: string;
}

/** Fields whose string values are shown (cut short); every other string shows only its length. */
const SHOWN_STRINGS = new Set(['type', 'path', 'replyTo', 'glob', 'op', 'subscriber', 'owner', 'forwardTo', 'conn']);
const MAX_SHOWN = 64;
const MAX_PARTS = 16;

/**
 * A short, secret-free description of a message for the debug endpoint:
 * numbers and booleans as they are, a few address-like strings (paths,
 * actor names) cut to 64 characters, any other string or byte array only as
 * its length, nested objects one level deep by the same rules. Bodies and
 * secrets (which are byte arrays or strings in other fields) never appear.
 */
export function summarize(msg: Message): string {
  const parts: string[] = [String(msg.type)];
  describe(msg as unknown as Record<string, unknown>, '', parts, 1);
  if (parts.length > MAX_PARTS) return `${parts.slice(0, MAX_PARTS).join(' ')} …`;
  return parts.join(' ');
}

function describe(obj: Record<string, unknown>, prefix: string, parts: string[], depth: number): void {
  for (const [k, v] of Object.entries(obj)) {
    if (prefix === '' && k === 'type') continue;
    const name = `${prefix}${k}`;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') parts.push(`${name}=${v}`);
    else if (typeof v === 'string') parts.push(SHOWN_STRINGS.has(k) ? `${name}=${v.slice(0, MAX_SHOWN)}` : `${name}=<${v.length} chars>`);
    else if (v instanceof Uint8Array) parts.push(`${name}=<${v.length} bytes>`);
    else if (Array.isArray(v)) parts.push(`${name}=<array of ${v.length}>`);
    else if (v !== undefined && v !== null && typeof v === 'object') {
      if (depth > 0 && Object.getPrototypeOf(v) === Object.prototype) describe(v as Record<string, unknown>, `${name}.`, parts, depth - 1);
      else parts.push(`${name}=<object>`);
    }
  }
}

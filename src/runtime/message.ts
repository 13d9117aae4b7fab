// Messages between actors are plain data with a `type` field: structured-clone
// safe (no functions, sockets or class instances), so an actor can be moved to
// another thread without changing its code.
export interface Message {
  readonly type: string;
}

/** A short, secret-free description of a message for the debug endpoint. */
export function summarize(msg: Message): string {
  const parts: string[] = [msg.type];
  for (const [k, v] of Object.entries(msg)) {
    if (k === 'type') continue;
    if (typeof v === 'number' || typeof v === 'boolean') parts.push(`${k}=${v}`);
    else if (typeof v === 'string') parts.push(k === 'path' || k === 'replyTo' ? `${k}=${v.slice(0, 64)}` : `${k}=<${v.length} chars>`);
    else if (v instanceof Uint8Array) parts.push(`${k}=<${v.length} bytes>`);
    else if (v !== undefined && v !== null) parts.push(`${k}=<${Array.isArray(v) ? 'array' : 'object'}>`);
  }
  return parts.join(' ');
}

// The recorded history of a test run: every client operation on a doozer file
// with its invoke and complete times and its outcome. The checkers in this
// folder judge such histories; the workloads in src/torture record them.
//
// Times are milliseconds on one monotonic clock (performance.now() of the
// recording process). An operation whose outcome is unknown (timeout, lost
// connection) has complete = Infinity: it may take effect at any time after
// its invoke, or never.

/** ok: the node answered success. fail: the node answered an error (the op
 * did not take effect, except that REV_MISMATCH is a judged outcome).
 * unknown: no answer (timeout or lost connection): it may or may not have
 * happened. */
export type Outcome = 'ok' | 'fail' | 'unknown';

interface OpCommon {
  /** Unique within the history. */
  id: number;
  /** Which client (one connection at a time) issued it. */
  client: string;
  /** The node the client talked to (its -l address), for reports. */
  node?: string;
  /** The file (register). */
  path: string;
  /** ms; when the request was sent. */
  invoke: number;
  /** ms; when the answer arrived; Infinity when outcome is 'unknown'. */
  complete: number;
  outcome: Outcome;
  /** Protocol error code when outcome is 'fail' (REV_MISMATCH, READONLY, ...). */
  error?: string;
}

/**
 * A linearizable read of a file: its body and rev (missing file: value ''
 * and rev 0). The workload makes a GET linearizable by first writing a
 * scratch file through the same node and reading after that write's answer
 * (the answer comes after the node applied it), so the read reflects a state
 * no older than the read's invoke.
 */
export interface ReadOp extends OpCommon {
  f: 'read';
  value?: string;
  rev?: number;
  /**
   * A plain GET answered from the node's own store, which may lag behind the
   * cluster (doozer serves reads locally, by design: a node cut from the
   * majority keeps answering them). Not linearizable; judged by the weaker
   * checkLocalReads instead.
   */
  local?: boolean;
}

/** SET path cond value: cond -1 = blind (clobber), 0 = create-only, r > 0 = compare-and-set (applies if r >= the file's rev). */
export interface SetOp extends OpCommon {
  f: 'set';
  value: string;
  cond: number;
  /** The rev of the write when ok. */
  rev?: number;
}

/** DEL path cond (-1 = unconditional). */
export interface DelOp extends OpCommon {
  f: 'del';
  cond: number;
}

export type FileOp = ReadOp | SetOp | DelOp;

/** One line describing an op, for reports. */
export function describeOp(op: FileOp): string {
  const when = `[${fmt(op.invoke)}, ${op.complete === Infinity ? '∞' : fmt(op.complete)}]`;
  const who = `${op.client}${op.node ? '@' + op.node : ''}`;
  let what: string;
  switch (op.f) {
    case 'read':
      what = `${op.local ? 'local-read' : 'read'} ${op.path}` + (op.outcome === 'ok' ? ` -> ${JSON.stringify(op.value)}@${op.rev}` : '');
      break;
    case 'set':
      what = `set ${op.path} ${JSON.stringify(op.value)} if-rev ${op.cond}` + (op.outcome === 'ok' ? ` -> rev ${op.rev}` : '');
      break;
    case 'del':
      what = `del ${op.path} if-rev ${op.cond}`;
      break;
  }
  const res = op.outcome === 'fail' ? `fail ${op.error ?? ''}`.trim() : op.outcome;
  return `#${op.id} ${who} ${what} ${res} ${when}`;
}

function fmt(t: number): string {
  return t.toFixed(1);
}

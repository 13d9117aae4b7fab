// What the web view shows, as plain data: bodies (text or hex), the status
// strip, the rows of the tree under a path. Used by the HTML page (first
// render) and the live stream (JSON to the page's script).
import type { MirrorFile } from './mirror.js';
import type { AppliedFreshness } from './cal-freshness.js';

/** A body as the page shows it: UTF-8 text, or hex with its length. */
export type ViewBody = { s: string } | { x: string; n: number };

const utf8 = new TextDecoder('utf-8', { fatal: true });
// Control characters other than tab, LF and CR make a body "binary".
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function viewBody(body: Uint8Array): ViewBody {
  try {
    const s = utf8.decode(body);
    if (!CONTROL.test(s)) return { s };
  } catch {
    // not UTF-8
  }
  return { x: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('hex'), n: body.length };
}

export interface CalView {
  slot: string;
  /** Empty: a free slot. */
  id: string;
  addr: string;
  applied: string;
  /** Its `applied` has not moved for STALE_PULSES pulses (src/net/http/cal-freshness.ts). */
  stale: boolean;
}

export interface StatusView {
  cluster: string;
  nodeId: string;
  role: 'CAL' | 'slave';
  cals: CalView[];
}

const text = (f: MirrorFile | undefined): string => (f ? Buffer.from(f.body).toString('utf8') : '');

const CAL_RE = /^\/ctl\/cal\/([^/]+)$/;

/** Numeric slots in numeric order, others after them by name. */
function slotOrder(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : Infinity;
  const nb = /^\d+$/.test(b) ? Number(b) : Infinity;
  return na !== nb ? na - nb : a < b ? -1 : a > b ? 1 : 0;
}

/** The status strip. With `freshness`, CALs whose `applied` stopped moving are marked stale. */
export function statusView(files: ReadonlyMap<string, MirrorFile>, nodeId: string, freshness?: AppliedFreshness): StatusView {
  const cals: CalView[] = [];
  for (const [path, f] of files) {
    const m = CAL_RE.exec(path);
    if (!m) continue;
    const id = text(f).trim();
    const applied = id ? text(files.get(`/ctl/node/${id}/applied`)) : '';
    cals.push({
      slot: m[1]!,
      id,
      addr: id ? text(files.get(`/ctl/node/${id}/addr`)) : '',
      applied,
      stale: id !== '' && freshness !== undefined && freshness.isStale(id, applied),
    });
  }
  freshness?.keepOnly(new Set(cals.map((c) => c.id).filter(Boolean)));
  cals.sort((a, b) => slotOrder(a.slot, b.slot));
  return {
    cluster: text(files.get('/ctl/name')),
    nodeId,
    role: cals.some((c) => c.id === nodeId) ? 'CAL' : 'slave',
    cals,
  };
}

/** True if a change to `path` may change the status strip. */
export function affectsStatus(path: string): boolean {
  return path === '/ctl/name' || path.startsWith('/ctl/cal/') || path.startsWith('/ctl/node/');
}

/** Is `path` in the tree under `prefix` (a directory path ending in '/')? */
export function under(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && path.length > prefix.length;
}

export interface FileView {
  p: string;
  r: number;
  b: ViewBody;
}

/** Files under prefix, sorted by path. */
export function filesUnder(files: ReadonlyMap<string, MirrorFile>, prefix: string): FileView[] {
  const out: FileView[] = [];
  for (const [p, f] of files) if (under(p, prefix)) out.push({ p, r: f.rev, b: viewBody(f.body) });
  out.sort((a, b) => (a.p < b.p ? -1 : a.p > b.p ? 1 : 0));
  return out;
}

export type RowView =
  | { kind: 'dir'; key: string; depth: number; name: string }
  | { kind: 'file'; key: string; depth: number; name: string; rev: number; body: ViewBody };

/**
 * The tree as rows in display order: a directory row ("node/", key = its
 * path with a trailing '/') before everything under it, indented by depth
 * below prefix. Row keys sort in display order (the page's script relies on it).
 */
export function treeRows(files: FileView[], prefix: string): RowView[] {
  const rows: RowView[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const rel = f.p.slice(prefix.length).split('/');
    let dir = prefix;
    for (let i = 0; i < rel.length - 1; i++) {
      dir += `${rel[i]}/`;
      if (!seen.has(dir)) {
        seen.add(dir);
        rows.push({ kind: 'dir', key: dir, depth: i, name: `${rel[i]}/` });
      }
    }
    rows.push({ kind: 'file', key: f.p, depth: rel.length - 1, name: rel[rel.length - 1]!, rev: f.r, body: f.b });
  }
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return rows;
}

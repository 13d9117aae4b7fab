// The tree page's HTML: the status strip and the tree under a path, rendered
// on the server (so it reads without script) and then kept live by
// /$web/app.js. Every store byte goes through escapeHtml; the page's CSP
// forbids inline script anyway.
import type { RowView, StatusView, ViewBody } from './view-model.js';
import { STALE_PULSES } from './cal-freshness.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Indent classes exist for depths 0..MAX_DEPTH_CLASS (deeper rows share the last). */
export const MAX_DEPTH_CLASS = 15;

const depthClass = (d: number): string => `d${Math.min(d, MAX_DEPTH_CLASS)}`;

/** Bytes of a binary body shown before an ellipsis. */
export const HEX_SHOWN = 512;

function bodyHtml(b: ViewBody): string {
  if ('s' in b) return b.s === '' ? '<span class="muted">(empty)</span>' : `<pre>${escapeHtml(b.s)}</pre>`;
  const shown = b.x.slice(0, HEX_SHOWN * 2).replace(/(..)(?!$)/g, '$1 ');
  const more = b.n > HEX_SHOWN ? ' …' : '';
  return `<span class="muted">binary, ${b.n} byte${b.n === 1 ? '' : 's'}: </span><code class="hex">${shown}${more}</code>`;
}

function rowHtml(r: RowView): string {
  if (r.kind === 'dir') {
    return `<tr class="dir" data-key="${escapeHtml(r.key)}"><td class="name ${depthClass(r.depth)}" colspan="3"><a href="${escapeHtml(r.key)}">${escapeHtml(r.name)}</a></td></tr>`;
  }
  return (
    `<tr class="file" data-key="${escapeHtml(r.key)}"><td class="name ${depthClass(r.depth)}">${escapeHtml(r.name)}</td>` +
    `<td class="rev">${r.rev}</td><td class="body">${bodyHtml(r.body)}</td></tr>`
  );
}

/** The tooltip of a stale CAL's mark (the same text in src/web/assets.ts). */
export const STALE_TITLE = `its applied rev has not moved for ${STALE_PULSES} pulses: paused, cut off, or dead?`;

function calsHtml(s: StatusView): string {
  if (!s.cals.length) return '<li class="muted">none</li>';
  return s.cals
    .map((c) => {
      if (!c.id) return `<li>${escapeHtml(c.slot)}: <span class="muted">free</span></li>`;
      const cls = [c.id === s.nodeId ? 'self' : '', c.stale ? 'stale' : ''].filter(Boolean).join(' ');
      const applied = c.applied ? ` · applied ${escapeHtml(c.applied)}` : '';
      const stale = c.stale ? ` <span class="stale-mark" title="${STALE_TITLE}">stale</span>` : '';
      return `<li${cls ? ` class="${cls}"` : ''} data-cal="${escapeHtml(c.id)}">${escapeHtml(c.slot)}: <code>${escapeHtml(c.id)}</code> ${escapeHtml(c.addr)}${applied}${stale}</li>`;
    })
    .join('');
}

function crumbsHtml(prefix: string): string {
  const parts = prefix.split('/').filter(Boolean);
  let href = '/';
  let out = parts.length ? `<a href="/">/</a>` : '/';
  parts.forEach((p, i) => {
    href += `${p}/`;
    out += i === parts.length - 1 ? escapeHtml(`${p}/`) : `<a href="${escapeHtml(href)}">${escapeHtml(p)}/</a>`;
  });
  return out;
}

export interface PageInput {
  prefix: string;
  /** Undefined until the web view has its first snapshot. */
  rev: number | undefined;
  status: StatusView;
  rows: RowView[];
}

export function renderTreePage(p: PageInput): string {
  const s = p.status;
  const rev = p.rev === undefined ? '…' : String(p.rev);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>doozerd · ${escapeHtml(s.cluster)} · ${escapeHtml(p.prefix)}</title>
<link rel="stylesheet" href="/$web/style.css">
<script src="/$web/app.js" defer></script>
</head>
<body data-prefix="${escapeHtml(p.prefix)}">
<header id="strip">
<div class="line">
<span class="brand">doozerd</span>
<span>cluster <b id="cluster">${escapeHtml(s.cluster)}</b></span>
<span>node <code id="node-id">${escapeHtml(s.nodeId)}</code> <span id="role" class="role">${s.role}</span></span>
<span>rev <b id="rev">${rev}</b></span>
<span id="conn" class="conn" data-state="static">not live</span>
<nav><a href="/$actors.html">mailboxes</a> <a href="/metrics">metrics</a></nav>
</div>
<div class="line">CALs <ul id="cals">${calsHtml(s)}</ul></div>
</header>
<main>
<h1 id="crumbs">${crumbsHtml(p.prefix)}</h1>
<table id="tree">
<thead><tr><th>name</th><th>rev</th><th>body</th></tr></thead>
<tbody id="rows">${p.rows.map(rowHtml).join('\n')}</tbody>
</table>
<p id="empty" class="muted"${p.rows.length ? ' hidden' : ''}>No files under ${escapeHtml(p.prefix)}.</p>
</main>
</body>
</html>
`;
}

// The web view's browser-side files, served by doozerd itself at /$web/*
// (no CDN, no network access needed). Kept as strings so `tsc` ships them in
// dist/ with everything else.
//
// APP_JS keeps a tree page live: it opens the WebSocket /$events<prefix>,
// gets a snapshot of the files under the page's path at rev r, then every
// change from r+1 (batched as JSON arrays). A change that does not follow the
// last rev closes the socket and starts over from a new snapshot. On a lost
// connection it reconnects with exponential backoff (0.25 s doubling to 5 s,
// jittered). Bodies only ever reach the DOM as textContent.
//
// Messages (each frame is an array of them):
//   {t:'snapshot', rev, files:[{p, r, b}], status}   b = {s: text} | {x: hex, n: length}
//   {t:'set', rev, p, b}     file p written at rev (under the page's path)
//   {t:'del', rev, p}        file p deleted at rev
//   {t:'rev', rev}           revs up to rev changed nothing under the page's path
//   {t:'status', status}     the status strip changed
import { MAX_DEPTH_CLASS, STALE_TITLE } from './page.js';

// Written without backticks or "${" so it can live in this template string.
export const APP_JS = String.raw`(function () {
  'use strict';
  var HEX_SHOWN = 512;
  var MAX_DEPTH = ${MAX_DEPTH_CLASS};
  var STALE_TITLE = ${JSON.stringify(STALE_TITLE)};
  var prefix = document.body.getAttribute('data-prefix') || '/';
  var $ = function (id) { return document.getElementById(id); };
  var rowsEl = $('rows'), revEl = $('rev'), connEl = $('conn'), emptyEl = $('empty');
  var keys = [];            // row keys, sorted (= display order)
  var rows = new Map();     // key -> tr
  var dirFiles = new Map(); // directory key -> files under it
  var rev = -1;
  var ws = null, attempt = 0, retryTimer = null, tick = null;
  var nodeId = ($('node-id') || {}).textContent || '';

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function bodyCell(b) {
    var td = el('td', 'body');
    if (typeof b.s === 'string') {
      if (b.s === '') td.appendChild(el('span', 'muted', '(empty)'));
      else td.appendChild(el('pre', null, b.s));
    } else {
      td.appendChild(el('span', 'muted', 'binary, ' + b.n + ' byte' + (b.n === 1 ? '' : 's') + ': '));
      var hex = String(b.x).slice(0, HEX_SHOWN * 2).replace(/(..)(?!$)/g, '$1 ');
      td.appendChild(el('code', 'hex', hex + (b.n > HEX_SHOWN ? ' \u2026' : '')));
    }
    return td;
  }

  function nameCell(depth, cls) {
    return el('td', 'name d' + Math.min(depth, MAX_DEPTH) + (cls ? ' ' + cls : ''));
  }

  function indexOf(key) {
    var lo = 0, hi = keys.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (keys[mid] < key) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function insertRow(key, tr) {
    var i = indexOf(key);
    var next = i < keys.length ? rows.get(keys[i]) : null;
    keys.splice(i, 0, key);
    rows.set(key, tr);
    tr.setAttribute('data-key', key);
    rowsEl.insertBefore(tr, next);
  }

  function removeRow(key) {
    var tr = rows.get(key);
    if (!tr) return;
    rows.delete(key);
    keys.splice(indexOf(key), 1);
    tr.remove();
  }

  function ancestors(p) {
    var rel = p.slice(prefix.length).split('/');
    var out = [], dir = prefix;
    for (var i = 0; i < rel.length - 1; i++) {
      dir += rel[i] + '/';
      out.push({ key: dir, depth: i, name: rel[i] + '/' });
    }
    return { dirs: out, depth: rel.length - 1, name: rel[rel.length - 1] };
  }

  function flash(tr) {
    tr.classList.remove('changed');
    void tr.offsetWidth; // restart the animation
    tr.classList.add('changed');
  }

  function setFile(p, r, b, changed) {
    var tr = rows.get(p);
    var a = ancestors(p);
    if (tr) {
      tr.replaceChild(el('td', 'rev', r), tr.children[1]);
      tr.replaceChild(bodyCell(b), tr.children[2]);
    } else {
      a.dirs.forEach(function (d) {
        var n = dirFiles.get(d.key) || 0;
        dirFiles.set(d.key, n + 1);
        if (n > 0) return;
        var dtr = el('tr', 'dir');
        var td = nameCell(d.depth);
        td.colSpan = 3;
        var link = el('a', null, d.name);
        link.setAttribute('href', d.key);
        td.appendChild(link);
        dtr.appendChild(td);
        insertRow(d.key, dtr);
      });
      tr = el('tr', 'file');
      tr.appendChild(nameCell(a.depth, null)).textContent = a.name;
      tr.appendChild(el('td', 'rev', r));
      tr.appendChild(bodyCell(b));
      insertRow(p, tr);
    }
    if (changed) flash(tr);
  }

  function delFile(p) {
    if (!rows.has(p)) return;
    removeRow(p);
    ancestors(p).dirs.forEach(function (d) {
      var n = (dirFiles.get(d.key) || 1) - 1;
      if (n > 0) { dirFiles.set(d.key, n); return; }
      dirFiles.delete(d.key);
      removeRow(d.key);
    });
  }

  function reset() {
    rowsEl.textContent = '';
    keys = [];
    rows.clear();
    dirFiles.clear();
  }

  function setRev(r) {
    rev = r;
    revEl.textContent = String(r);
  }

  function setStatus(s) {
    $('cluster').textContent = s.cluster;
    $('node-id').textContent = s.nodeId;
    $('role').textContent = s.role;
    nodeId = s.nodeId;
    document.title = 'doozerd \u00b7 ' + s.cluster + ' \u00b7 ' + prefix;
    var ul = $('cals');
    ul.textContent = '';
    if (!s.cals.length) ul.appendChild(el('li', 'muted', 'none'));
    s.cals.forEach(function (c) {
      var cls = [c.id && c.id === nodeId ? 'self' : '', c.stale ? 'stale' : ''].filter(Boolean).join(' ');
      var li = el('li', cls || null, c.slot + ': ');
      if (!c.id) li.appendChild(el('span', 'muted', 'free'));
      else {
        li.setAttribute('data-cal', c.id);
        li.appendChild(el('code', null, c.id));
        li.appendChild(document.createTextNode(' ' + c.addr + (c.applied ? ' \u00b7 applied ' + c.applied : '')));
        if (c.stale) {
          li.appendChild(document.createTextNode(' '));
          var mark = li.appendChild(el('span', 'stale-mark', 'stale'));
          mark.title = STALE_TITLE;
        }
      }
      ul.appendChild(li);
    });
  }

  function setConn(state, text) {
    connEl.setAttribute('data-state', state);
    connEl.textContent = text;
    document.body.setAttribute('data-conn', state);
  }

  // false: the stream is not what we expect (a gap); start over.
  function apply(m) {
    switch (m.t) {
      case 'snapshot':
        reset();
        m.files.forEach(function (f) { setFile(f.p, f.r, f.b, false); });
        setRev(m.rev);
        setStatus(m.status);
        attempt = 0;
        setConn('live', 'live');
        break;
      case 'set':
        if (m.rev !== rev + 1) return false;
        setFile(m.p, m.rev, m.b, true);
        setRev(m.rev);
        break;
      case 'del':
        if (m.rev !== rev + 1) return false;
        delFile(m.p);
        setRev(m.rev);
        break;
      case 'rev':
        if (rev < 0 || m.rev <= rev) return false;
        setRev(m.rev);
        break;
      case 'status':
        setStatus(m.status);
        break;
    }
    emptyEl.hidden = keys.length > 0;
    return true;
  }

  function connect() {
    clearInterval(tick);
    setConn('connecting', attempt ? 'reconnecting\u2026' : 'connecting\u2026');
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/$events' + prefix;
    var sock;
    try { sock = new WebSocket(url); } catch (e) { retry(); return; }
    ws = sock;
    rev = -1;
    sock.onmessage = function (e) {
      if (ws !== sock) return;
      var batch;
      try { batch = JSON.parse(e.data); } catch (err) { sock.close(4000, 'bad message'); return; }
      for (var i = 0; i < batch.length; i++) {
        if (!apply(batch[i])) { sock.close(4000, 'gap in events'); return; }
      }
    };
    sock.onclose = function () {
      if (ws !== sock) return;
      ws = null;
      retry();
    };
    sock.onerror = function () { /* onclose follows */ };
  }

  function retry() {
    attempt++;
    var delay = Math.min(5000, 250 * Math.pow(2, attempt - 1)) * (0.8 + 0.4 * Math.random());
    var at = Date.now() + delay;
    var show = function () {
      var s = Math.max(0, Math.ceil((at - Date.now()) / 1000));
      setConn('reconnecting', 'reconnecting in ' + s + ' s (attempt ' + attempt + ')');
    };
    show();
    clearInterval(tick);
    tick = setInterval(show, 500);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }

  if (typeof WebSocket === 'function') connect();
})();
`;

const depthRules = Array.from({ length: MAX_DEPTH_CLASS + 1 }, (_, i) => `td.d${i} { padding-left: ${(0.5 + i * 1.25).toFixed(2)}em; }`).join('\n');

export const STYLE_CSS = `:root { color-scheme: light; --line: #d8dde3; --muted: #6b7480; --accent: #1f6feb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2329; background: #fff; }
code, pre, .rev, .hex { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 13px; }
#strip { position: sticky; top: 0; z-index: 1; background: #f4f6f8; border-bottom: 1px solid var(--line); padding: 6px 14px; }
#strip .line { display: flex; flex-wrap: wrap; gap: 4px 18px; align-items: baseline; }
#strip .brand { font-weight: 700; }
#strip nav { margin-left: auto; display: flex; gap: 12px; }
#strip ul { display: inline-flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; margin: 0; padding: 0 0 0 8px; }
#strip li.self code { font-weight: 700; }
#strip li.stale { color: #8a1c1c; }
.stale-mark { padding: 0 6px; border-radius: 8px; font-size: 12px; background: #f9d6d5; color: #8a1c1c; }
.role { padding: 0 6px; border-radius: 8px; background: #e3e8ee; font-size: 12px; }
.conn { padding: 0 8px; border-radius: 8px; font-size: 12px; background: #e3e8ee; }
.conn::before { content: "\\25CF  "; }
.conn[data-state="live"] { background: #d9f2df; color: #14612c; }
.conn[data-state="connecting"], .conn[data-state="reconnecting"] { background: #fdecc8; color: #7a4b00; }
body[data-conn="reconnecting"] #tree { opacity: 0.6; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
main { padding: 8px 14px 40px; }
h1 { font-size: 16px; font-weight: 600; margin: 6px 0 10px; font-family: ui-monospace, Menlo, Consolas, monospace; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 1px solid var(--line); padding: 3px 8px; }
td { border-bottom: 1px solid #eef1f4; padding: 3px 8px; vertical-align: top; }
td.name { white-space: nowrap; width: 1%; }
tr.dir td { font-weight: 600; }
td.rev { color: var(--muted); width: 1%; text-align: right; }
td.body pre { margin: 0; white-space: pre-wrap; word-break: break-all; }
.hex { word-break: break-all; }
.muted { color: var(--muted); }
tr.changed td { animation: flash 1.6s ease-out; }
@keyframes flash { from { background: #fff0a8; } to { background: transparent; } }
${depthRules}
`;

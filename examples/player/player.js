// player.js — plays a tcpfsm trace on fsmc's diagrams (tcpfsm-player embeds it in every page).
//
// What it reads in the SVGs (fsmc/emit_dot.c writes them so): a state is g#s_NAME (its second
// copy, where runs end, g#s_NAME__again), an edge is g.edge with a class tN for every row N of
// the spec it draws, and a row listed inside a box is g#a_rows_N_M (Graphviz's anchor around
// the cell rows_N_M). What it writes for tests/player: on every diagram, one g.hl-node per
// connection with data-conn (its lane) and data-state; the lit edges and lines with class
// "lit" and data-row; in the panels, elements with data-field.
'use strict';

const SVGNS = 'http://www.w3.org/2000/svg';
const COLOURS = ['#e8590c', '#0b8f6a', '#8e3fc9', '#0b7fab', '#d6336c', '#5c940d', '#b08900'];
const FLAG_NAMES = { S: 'SYN', F: 'FIN', R: 'RST', P: 'PSH', '.': 'ACK', U: 'URG', E: 'ECE', W: 'CWR' };

const trace = JSON.parse(document.getElementById('trace-data').textContent);
// per row of spec/tcp.fsm: [from, event, guard, to, stay, actions, rfc]
const table = JSON.parse(document.getElementById('table-data').textContent);
const steps = trace.steps;
const packets = new Map((trace.packets || []).map((p) => [p.frame, p]));
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}
function svgEl(tag, attrs) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}
function fmtTime(ms) {
  if (typeof ms !== 'number') return '';
  return ms < 1000 ? `${ms.toFixed(3)} ms` : `${(ms / 1000).toFixed(3)} s`;
}

// ---- connections: one lane (and colour) per (host, conn), in order of appearance
const lanes = [];
const laneOf = new Map();
for (const s of steps) {
  const key = `${s.host}|${s.conn}`;
  if (!laneOf.has(key)) {
    laneOf.set(key, lanes.length);
    lanes.push({ key, host: s.host, conn: s.conn, colour: COLOURS[lanes.length % COLOURS.length] });
  }
}
for (const lane of lanes) {
  const [local = '', remote = ''] = String(lane.conn).split(' ');
  lane.listener = /^0\.0\.0\.0:/.test(local) || /\*$/.test(remote);
  lane.local = local;
  lane.label = lane.listener ? `listening on ${local}` : `${local} \u2194 ${remote}`;
}
for (const lane of lanes) {
  // a host's connections told apart by their local port, or by their peer when they share it
  const twins = lanes.filter((l) => l.host === lane.host && !l.listener);
  const ports = new Set(twins.map((l) => l.local.split(':').pop()));
  lane.name = lane.listener ? `${lane.host} listener`
    : twins.length < 2 ? lane.host
      : ports.size === twins.length ? `${lane.host} :${lane.local.split(':').pop()}`
        : `${lane.host} \u2194 ${String(lane.conn).split(' ')[1] || ''}`;
}

// state of every lane after step k (1-based), and whether it arrived there from elsewhere
const after = [lanes.map(() => null)];
for (let k = 0; k < steps.length; k++) {
  const row = after[k].slice();
  const s = steps[k];
  const i = laneOf.get(`${s.host}|${s.conn}`);
  const prev = row[i];
  row[i] = { state: s.to, step: k, arrived: s.from !== s.to ? true : prev ? prev.arrived : false };
  after.push(row);
}

// ---- the two diagrams
const views = {};
for (const pane of document.querySelectorAll('.pane')) {
  const svg = pane.querySelector('svg');
  const graph = svg.querySelector('g.graph');
  const vb = svg.viewBox.baseVal;
  const v = {
    name: pane.dataset.view, pane, svg, graph, zoom: null,
    width: vb.width * 4 / 3, height: vb.height * 4 / 3, // Graphviz points at 96 dpi
    rows: new Map(), // row -> elements that draw it
  };
  const add = (row, e) => { if (!v.rows.has(row)) v.rows.set(row, []); v.rows.get(row).push(e); };
  for (const e of svg.querySelectorAll('g.edge'))
    for (const c of e.classList) if (/^t\d+$/.test(c)) add(Number(c.slice(1)), e);
  for (const e of svg.querySelectorAll('g[id^="a_rows_"]'))
    for (const n of e.id.slice(7).split('_')) add(Number(n), e);
  // layers for highlights: tints under the drawing, rings and badges over it
  const bg = graph.querySelector(':scope > polygon');
  v.under = svgEl('g', { class: 'hl-under' });
  graph.insertBefore(v.under, bg ? bg.nextSibling : graph.firstChild);
  v.over = svgEl('g', { class: 'hl-over' });
  graph.append(v.over);
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  // the diagrams' cells link to themselves (that is how they carry ids): not a navigation
  svg.addEventListener('click', (e) => { if (e.target.closest('a')) e.preventDefault(); });
  views[v.name] = v;
}
let view = views[document.body.dataset.initialView] ? document.body.dataset.initialView : 'overview';
let pos = 1;

function nodeFor(v, lane, st) {
  // CLOSED is drawn twice: where runs begin and, "__again", where they end. Take the copy the
  // lit edge went into; else the second copy once the connection has come back to it.
  const s = steps[st.step];
  for (const e of v.rows.get(s.transition) || []) {
    const t = e.querySelector('title');
    const head = t && e.classList.contains('edge') ? t.textContent.split('->').pop() : null;
    if (head && head.replace(/__again$/, '') === st.state) return v.svg.querySelector(`[id="s_${head}"]`);
  }
  const again = v.svg.querySelector(`[id="s_${st.state}__again"]`);
  return (st.arrived && again) || v.svg.querySelector(`[id="s_${st.state}"]`);
}

function drawView(v) {
  v.under.replaceChildren();
  v.over.replaceChildren();
  for (const e of v.svg.querySelectorAll('.lit')) {
    e.classList.remove('lit');
    e.removeAttribute('data-row');
    e.style.removeProperty('--lit');
  }
  const step = steps[pos - 1];
  const lane = lanes[laneOf.get(`${step.host}|${step.conn}`)];
  const lit = v.rows.get(step.transition) || [];
  for (const e of lit) {
    e.classList.add('lit');
    e.setAttribute('data-row', step.transition);
    e.style.setProperty('--lit', lane.colour);
    if (!e.classList.contains('edge')) { // a line in a box: a band behind it
      const b = e.getBBox();
      v.under.append(svgEl('rect', { class: 'hl-line', x: b.x - 3, y: b.y - 1, width: b.width + 6,
        height: b.height + 2, rx: 3, fill: lane.colour }));
    }
  }
  v.svg.classList.toggle('has-lit', lit.some((e) => e.classList.contains('edge')));
  if (lit.length) rfcTag(v, lit[0], step, lane);
  // each connection's state: a tint and a ring per lane, nested when they share a state
  const sharing = new Map();
  after[pos].forEach((st, i) => {
    if (!st) return;
    const node = nodeFor(v, lanes[i], st);
    if (!node) return;
    const n = sharing.get(node) || 0;
    sharing.set(node, n + 1);
    const b = node.getBBox();
    const pad = 4 + 5 * n, colour = lanes[i].colour;
    const g = svgEl('g', { class: 'hl-node', 'data-conn': i, 'data-state': st.state, 'data-node': node.id });
    g.append(svgEl('rect', { class: 'hl-ring', x: b.x - pad, y: b.y - pad, width: b.width + 2 * pad,
      height: b.height + 2 * pad, rx: 8 + n * 3, stroke: colour }));
    const badge = svgEl('g', { class: 'hl-badge' });
    const label = svgEl('text', { x: b.x + b.width + pad + 6, y: b.y - pad + 10 + 18 * n });
    label.textContent = lanes[i].name;
    badge.append(svgEl('rect', { fill: colour, rx: 4 }), label);
    g.append(badge);
    v.over.append(g);
    const tb = label.getBBox();
    badge.firstChild.setAttribute('x', tb.x - 4);
    badge.firstChild.setAttribute('y', tb.y - 1);
    badge.firstChild.setAttribute('width', tb.width + 8);
    badge.firstChild.setAttribute('height', tb.height + 2);
    if (n === 0)
      v.under.append(svgEl('rect', { class: 'hl-tint', x: b.x - pad, y: b.y - pad, width: b.width + 2 * pad,
        height: b.height + 2 * pad, rx: 8, fill: colour }));
  });
}

// the lit row's @rfc on the diagram, under the edge's label or beside the line in a box
function rfcTag(v, e, step, lane) {
  const rfc = step.rfc || (table[step.transition] || [])[6];
  if (!rfc) return;
  const anchor = e.classList.contains('edge') ? e.querySelector(':scope > text') || e : e;
  const b = anchor.getBBox();
  const edge = anchor !== e || e.classList.contains('edge');
  const g = svgEl('g', { class: 'hl-rfc', 'data-row': step.transition });
  // beside a line in a state's box: past the box and the rings around it
  const box = !edge && e.closest('g.node');
  const right = box ? box.getBBox().x + box.getBBox().width + 14 : b.x + b.width + 10;
  const text = svgEl('text', { x: edge ? b.x : right, y: edge ? b.y + b.height + 11 : b.y + b.height - 1 });
  text.textContent = rfc.length > 64 ? `${rfc.slice(0, 63)}\u2026` : rfc;
  const frame = svgEl('rect', { rx: 4, stroke: lane.colour });
  g.append(frame, text);
  v.over.append(g);
  const t = text.getBBox();
  frame.setAttribute('x', t.x - 4);
  frame.setAttribute('y', t.y - 2);
  frame.setAttribute('width', t.width + 8);
  frame.setAttribute('height', t.height + 4);
}

// ---- panels
function field(dl, name, label, value) {
  dl.append(el('dt', null, label), el('dd', { 'data-field': name }, value));
}

function drawStep() {
  const s = steps[pos - 1];
  const lane = lanes[laneOf.get(`${s.host}|${s.conn}`)];
  const row = table[s.transition] || [];
  $('step-title').textContent = `Step ${pos} of ${steps.length}`;
  const body = $('step-body');
  body.replaceChildren();
  body.append(el('div', null, el('span', { class: 'swatch', style: `background:${lane.colour}` }), ' ',
    el('b', null, lane.name), ` at ${fmtTime(s.t_ms)}`));
  const stays = s.from === s.to;
  body.append(el('div', { class: 'transition' },
    el('b', { 'data-field': 'from' }, s.from), el('span', { class: 'ev' }, ` \u2014${s.event}\u2192 `),
    el('b', { 'data-field': 'to' }, stays && row[4] ? 'stay' : s.to)));
  body.append(el('div', { class: 'rfc', 'data-field': 'rfc' }, s.rfc || (row[6] ? `RFC ${row[6]}` : 'no @rfc')));
  const dl = el('dl', { class: 'kv' });
  field(dl, 'row', 'row', `${s.transition}: ${row[0]} on ${row[1]}${row[2] ? ` [${row[2]}]` : ''} -> ${row[4] ? 'stay' : row[3]}`);
  field(dl, 'actions', 'actions', (s.actions || []).join(', ') || '\u2014');
  const cause = s.frame ? `${s.cause || 'segment'} (frame ${s.frame})` : s.cause || (s.event.startsWith('T_') ? 'timer' : 'application');
  field(dl, 'cause', 'cause', cause);
  body.append(dl);
}

function flagChips(flags) {
  const span = el('span', { 'data-field': 'flags', 'data-flags': flags });
  for (const c of String(flags)) {
    const name = FLAG_NAMES[c] || c;
    span.append(el('span', { class: `flag ${name}` }, name));
  }
  span.append(el('code', null, ` [${flags}]`));
  return span;
}

function drawSegment() {
  const s = steps[pos - 1];
  const body = $('segment-body');
  body.replaceChildren();
  const p = s.frame !== null && s.frame !== undefined ? packets.get(s.frame) : null;
  if (!p) {
    const what = s.event.startsWith('T_') ? `the timer ${s.event} expired`
      : s.event.startsWith('APP_') ? `the application called ${s.event.slice(4).toLowerCase()}` : `${s.event}, no segment`;
    body.append(el('p', { class: 'none', 'data-field': 'frame', 'data-frame': '' }, `No segment: ${what}.`));
    return;
  }
  const hostOf = (addr) => ((trace.hosts || []).find((h) => h.addr === String(addr).split(':')[0]) || {}).name;
  const dir = `${p.from || hostOf(p.src) || p.src} \u2192 ${hostOf(p.dst) || p.dst}`;
  body.append(el('div', null, el('b', { 'data-field': 'frame', 'data-frame': p.frame }, `Frame ${p.frame}`),
    ` at ${fmtTime(p.t_ms)} `, el('span', { class: 'muted' }, dir),
    p.dropped ? el('span', { class: 'dropped', 'data-field': 'dropped' }, ' \u2014 dropped on the link') : null));
  const dl = el('dl', { class: 'kv' });
  field(dl, 'src', 'from', p.src);
  field(dl, 'dst', 'to', p.dst);
  dl.append(el('dt', null, 'flags'), el('dd', null, flagChips(p.flags)));
  const rel = trace.relative ? ' (relative)' : '';
  field(dl, 'seq', `seq${rel}`, String(p.seq));
  field(dl, 'ack', `ack${rel}`, String(p.ack));
  field(dl, 'win', 'window', String(p.win));
  field(dl, 'len', 'length', String(p.len));
  field(dl, 'options', 'options', p.options ? String(p.options).split(',').join(', ') : '\u2014');
  body.append(dl);
}

function drawListing() {
  const t = steps[pos - 1].t_ms;
  const shown = (trace.listings || []).filter((l) => l.t_ms <= t);
  const body = $('listing-body');
  body.replaceChildren();
  $('listing').hidden = !(trace.listings || []).length;
  if (!shown.length) {
    body.append(el('p', { class: 'none' }, 'No listing yet.'));
    return;
  }
  const l = shown[shown.length - 1];
  body.append(el('div', null, el('b', null, l.host), ` at ${fmtTime(l.t_ms)}: ${l.title || ''}`));
  if (l.ss) body.append(el('pre', null, l.ss));
  if (l.sockstat) body.append(el('pre', null, l.sockstat));
}

function drawLanes() {
  const list = $('lane-list');
  list.replaceChildren();
  const acting = laneOf.get(`${steps[pos - 1].host}|${steps[pos - 1].conn}`);
  lanes.forEach((lane, i) => {
    const st = after[pos][i];
    list.append(el('li', { class: `${st ? '' : 'gone'} ${i === acting ? 'acting' : ''}`, 'data-conn': i },
      el('span', { class: 'swatch', style: `background:${lane.colour}` }),
      el('span', { class: 'lane-name' }, lane.name),
      el('span', { class: 'lane-state', 'data-field': 'state' }, st ? st.state : 'not yet'),
      el('span', { class: 'lane-conn' }, lane.label)));
  });
}

// ---- the list of steps: a lifeline (lane) per connection, a dot where it acts
function buildSteps() {
  const head = el('tr', null, el('th', null, '#'), el('th', { title: 'time, ms' }, 'ms'));
  for (const lane of lanes)
    head.append(el('th', { class: 'll', title: `${lane.name}: ${lane.label}` },
      el('span', { style: `background:${lane.colour}` })));
  head.append(el('th', null, 'transition'), el('th', null, 'frame'));
  document.querySelector('#steps thead').append(head);
  const life = lanes.map(() => [Infinity, -1]);
  steps.forEach((s, k) => {
    const l = life[laneOf.get(`${s.host}|${s.conn}`)];
    l[0] = Math.min(l[0], k);
    l[1] = k;
  });
  const tbody = document.querySelector('#steps tbody');
  steps.forEach((s, k) => {
    const i = laneOf.get(`${s.host}|${s.conn}`);
    const tr = el('tr', { 'data-step': k + 1, title: `${lanes[i].name}: ${s.rfc || ''}` },
      el('td', { class: 'num' }, String(k + 1)), el('td', { class: 't' }, typeof s.t_ms === 'number' ? s.t_ms.toFixed(1) : ''));
    lanes.forEach((lane, j) => {
      const alive = k >= life[j][0] && k <= life[j][1];
      tr.append(el('td', { class: `ll${alive ? ' alive' : ''}${j === i ? ' dot' : ''}`, style: `--c:${lane.colour}` }));
    });
    const what = s.from === s.to ? [s.from, el('span', { class: 'ev' }, ` ${s.event}`)]
      : [`${s.from}\u2192${s.to}`, el('span', { class: 'ev' }, ` ${s.event}`)];
    tr.append(el('td', { class: 'what' }, ...what), el('td', { class: 'fr' }, s.frame ? String(s.frame) : ''));
    tr.addEventListener('click', () => go(k + 1));
    tbody.append(tr);
  });
}

// ---- zoom and scrolling
function applyZoom(v) {
  if (v.zoom === null) v.zoom = v.name === 'overview' ? fitZoom(v) : 1;
  v.svg.style.width = `${v.width * v.zoom}px`;
  v.svg.style.height = `${v.height * v.zoom}px`;
  if (v.name === view) $('zoom-level').textContent = `${Math.round(v.zoom * 100)}%`;
}
function fitZoom(v) {
  const w = v.pane.clientWidth - 18, h = v.pane.clientHeight - 18;
  return Math.max(0.1, Math.min(w / v.width, h / v.height));
}
function follow(v) {
  // keep the acting connection's state in sight, and the lit row with it when both fit
  const s = steps[pos - 1];
  const ring = v.over.querySelector(`.hl-node[data-conn="${laneOf.get(`${s.host}|${s.conn}`)}"] .hl-ring`);
  if (!ring) return;
  const p = v.pane.getBoundingClientRect();
  const inside = (r) => r.left >= p.left && r.right <= p.right && r.top >= p.top && r.bottom <= p.bottom;
  let r = ring.getBoundingClientRect();
  const boxes = [r, ...[...v.svg.querySelectorAll('.lit, .hl-rfc')].map((e) => e.getBoundingClientRect())];
  if (boxes.every(inside)) return;
  const all = boxes.reduce((a, b) => ({ left: Math.min(a.left, b.left), right: Math.max(a.right, b.right),
    top: Math.min(a.top, b.top), bottom: Math.max(a.bottom, b.bottom) }));
  if (all.right - all.left <= p.width - 20 && all.bottom - all.top <= p.height - 20) r = all;
  v.pane.scrollBy({ left: (r.left + r.right) / 2 - (p.left + p.width / 2),
    top: (r.top + r.bottom) / 2 - (p.top + p.height / 2), behavior: 'instant' });
}

// ---- the position
function go(k) {
  pos = Math.min(Math.max(1, k), steps.length);
  document.body.dataset.step = pos;
  drawView(views[view]); // a hidden diagram has no geometry: drawn when shown (setView)
  drawLanes();
  drawStep();
  drawSegment();
  drawListing();
  $('scrub').value = pos;
  const s = steps[pos - 1];
  $('position').textContent = `step ${pos} / ${steps.length} \u00b7 ${fmtTime(s.t_ms)}`;
  for (const tr of document.querySelectorAll('#steps tbody tr')) {
    const n = Number(tr.dataset.step);
    tr.classList.toggle('current', n === pos);
    tr.classList.toggle('future', n > pos);
  }
  const cur = document.querySelector('#steps tbody tr.current');
  const wrap = $('steps-wrap');
  if (cur && (cur.offsetTop < wrap.scrollTop + 24 || cur.offsetTop + cur.offsetHeight > wrap.scrollTop + wrap.clientHeight))
    wrap.scrollTop = cur.offsetTop - wrap.clientHeight / 2;
  const v = views[view];
  const drawn = (v.rows.get(s.transition) || []).length > 0;
  const note = $('not-drawn');
  note.hidden = drawn;
  note.textContent = drawn ? '' : `Row ${s.transition} (${s.from} on ${s.event}) is not drawn in the ${view}: `
    + `hover ${s.from} for its rows, or switch to the full view (V).`;
  follow(v);
}

function setView(name) {
  view = name;
  document.body.dataset.view = name;
  for (const v of Object.values(views)) v.pane.hidden = v.name !== name;
  for (const b of document.querySelectorAll('.views button'))
    b.setAttribute('aria-pressed', String(b.dataset.view === name));
  applyZoom(views[name]);
  go(pos);
}

let timer = null;
function play(on) {
  if (on && pos === steps.length) go(1);
  clearInterval(timer);
  timer = on ? setInterval(() => { if (pos >= steps.length) play(false); else go(pos + 1); }, 900) : null;
  $('play').textContent = on ? '\u275a\u275a pause' : '\u25b7 play';
}

function zoomBy(f) {
  const v = views[view];
  v.zoom = f ? Math.min(4, Math.max(0.1, v.zoom * f)) : fitZoom(v);
  applyZoom(v);
  follow(v);
}

// ---- start
$('title').textContent = trace.title || trace.scenario || 'tcpfsm trace';
$('explanation').textContent = trace.explanation || '';
$('explanation').addEventListener('click', (e) => e.target.classList.toggle('open'));
$('scrub').max = steps.length;
buildSteps();
$('scrub').addEventListener('input', (e) => go(Number(e.target.value)));
$('first').addEventListener('click', () => go(1));
$('prev').addEventListener('click', () => go(pos - 1));
$('next').addEventListener('click', () => go(pos + 1));
$('last').addEventListener('click', () => go(steps.length));
$('play').addEventListener('click', () => play(timer === null));
$('zoom-in').addEventListener('click', () => zoomBy(1.25));
$('zoom-out').addEventListener('click', () => zoomBy(0.8));
$('zoom-fit').addEventListener('click', () => zoomBy(0));
for (const b of document.querySelectorAll('.views button')) b.addEventListener('click', () => setView(b.dataset.view));
document.addEventListener('keydown', (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.target === $('scrub') && e.key.length > 1) return; // the slider's own keys move it
  const keys = {
    ArrowRight: () => go(pos + 1), ArrowLeft: () => go(pos - 1), Home: () => go(1), End: () => go(steps.length),
    ' ': () => play(timer === null), v: () => setView(view === 'overview' ? 'full' : 'overview'),
    '+': () => zoomBy(1.25), '-': () => zoomBy(0.8), 0: () => zoomBy(0),
  };
  const f = keys[e.key];
  if (!f) return;
  e.preventDefault();
  if (e.key !== ' ') play(false);
  f();
});
for (const v of Object.values(views)) applyZoom(v);
setView(view);

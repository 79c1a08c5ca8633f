#!/usr/bin/env node
// tests/diagrams/render.mjs — render a state diagram in headless Chromium and measure what a
// person would see.
//
//   node tests/diagrams/render.mjs INPUT [--svg OUT.svg] [--png OUT.png] [--json OUT.json]
//                                  [INPUT2 [--png ...] ...] [--png-max PX] [--attach-tol PX]
//                                  [--overlap-tol PX]
//
// INPUT is a Mermaid file (.mmd) or an SVG (.svg, as `dot -Tsvg` writes it). Options after an
// input belong to it (several inputs share one browser start, which is most of the cost).
// --svg writes the SVG Mermaid produced (an .svg input is not rewritten), --png a screenshot of
// the whole diagram, --json the report; without --json the report (an array for several
// inputs) goes to stdout. Exit 0 when every input rendered, 1 when one did not (its report
// says why), 2 on usage errors. check.py turns the reports into pass/fail.
//
// Everything the page needs is put into it by this script: Mermaid's IIFE bundle from the
// pinned node_modules/mermaid is inlined, the SVG is parsed from a string. Every request the
// page still makes is refused and listed in the report ("requests"), so a diagram that would
// fetch something (an <image href>, a web font) is caught, and no run touches the network.
//
// Units. All geometry is in CSS px of the diagram shown at its natural size (what a browser
// shows at 100% zoom): a Graphviz SVG's width="3351pt" is 3351 * 4/3 px wide; Mermaid is
// rendered with useMaxWidth off so its width attribute is its size in px. Boxes are
// {x, y, w, h} relative to the diagram's top-left corner. Font sizes are the computed CSS font
// size times the element's screen scale, i.e. the size the glyphs are actually drawn at.
//
// What is what (the rules, for both generators; see the selectors below):
// - node: every `g.node` (Graphviz and Mermaid both use the class). Its box is the group's
//   client rect; its name is Graphviz's <title> or the Mermaid label text. A node with no
//   visible text is a pseudo-state: Graphviz's point node for the initial arrow, Mermaid's
//   [*] start and end circles.
// - cluster: every `g.cluster` (Graphviz subgraph cluster_*, Mermaid flowchart subgraph) and
//   `g.statediagram-cluster` (Mermaid composite state).
// - edge: a Graphviz `g.edge` group (its <path>s and arrowhead polygons; its <text>s are its
//   label), or a Mermaid edge path: `path[data-edge="true"]` (Mermaid 11), else
//   `.edgePaths path` / `path.transition` (as older releases drew them). Its label is the Mermaid
//   `.edgeLabel .label[data-id=ID]` with the path's data-id. Start and end are the path's first
//   and last points; each is attached to the nearest node whose box is within --attach-tol px
//   (default 16: Graphviz ends a path where its arrowhead begins, 10 pt = 13.3 px before the
//   node), else to the nearest cluster whose border is that close (an edge to a state set).
//   A self-loop starts and ends on the same node or cluster.
// - label: every non-empty SVG <text> (one label per <text>, its <tspan> lines included)
//   and every non-empty <foreignObject> (Mermaid's HTML labels; its box is the tight box of
//   the text inside, from a DOM Range, not the foreignObject, which Mermaid pads). <title>,
//   <desc> and anything in <defs> are not drawn and not labels. Its kind is edge (inside
//   g.edge or .edgeLabel), node (inside g.node), cluster (inside g.cluster) or other.
// - overlaps: label-label when two label boxes intersect by more than --overlap-tol px
//   (default 1) in both directions; label-node when a label's box intersects the drawn shape
//   of a node that does not contain the label (the shape, tested point by point with
//   isPointInFill, not the node's bounding box: a label near an ellipse's corner is not on
//   it). Pseudo-state markers and nodes that enclose other nodes are left out of label-node.
// - crossings: a label whose box (less 2 px each side) an edge other than its own passes
//   through: text struck through by a line.
// The report (JSON): width, height (px), width_attr/height_attr (as written, "2843pt"), nodes,
// clusters, labels {text, kind, box, font_px, node, edge}, edges {from, to, label, box, start,
// end, self_loop, from_pseudo, to_pseudo}, edge_count, self_loop_count, overlaps, crossings,
// requests (refused fetches), page_errors, png {path, scale}, ok / error.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MERMAID_JS = path.join(HERE, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// The flags that let Debian's Chromium start as root on a machine with no network and no
// display, and keep it from phoning home (each refused connection would be noise and delay).
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

function usage(msg) {
  process.stderr.write(`render.mjs: ${msg}\nusage: node render.mjs INPUT [--svg OUT] [--png OUT] ` +
    '[--json OUT] [INPUT ...] [--png-max PX] [--attach-tol PX] [--overlap-tol PX]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const jobs = [];
  const opt = { pngMax: 8000, attachTol: 16, overlapTol: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    const num = () => { const v = Number(val()); if (!Number.isFinite(v) || v < 0) usage(`bad ${a}`); return v; };
    if (a === '--svg' || a === '--png' || a === '--json') {
      if (!jobs.length) usage(`${a} before any INPUT`);
      jobs[jobs.length - 1][a.slice(2)] = val();
    } else if (a === '--png-max') opt.pngMax = num();
    else if (a === '--attach-tol') opt.attachTol = num();
    else if (a === '--overlap-tol') opt.overlapTol = num();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else jobs.push({ input: a });
  }
  if (!jobs.length) usage('no INPUT');
  for (const j of jobs) {
    const ext = path.extname(j.input).toLowerCase();
    if (ext !== '.mmd' && ext !== '.svg') usage(`${j.input}: want a .mmd or .svg file`);
    j.kind = ext === '.mmd' ? 'mermaid' : 'graphviz';
  }
  return { jobs, opt };
}

// Mermaid's settings: its defaults (as GitHub and mermaid.live use them) except the ones that
// would make the measurement depend on the page: useMaxWidth would shrink the SVG to the
// page's width, and random ids would make the written SVG differ from run to run.
const MERMAID_CONFIG = {
  startOnLoad: false,
  securityLevel: 'strict',
  deterministicIds: true,
  state: { useMaxWidth: false },
  flowchart: { useMaxWidth: false },
};

const PAGE = '<!doctype html><html><head><meta charset="utf-8"><style>' +
  'html,body{margin:0;padding:0;background:#fff}' +
  '#out{display:inline-block;line-height:0}#out>svg{display:block}' +
  '</style></head><body><div id="out"></div></body></html>';

// Runs in the page: put an SVG string into #out. Graphviz's file has an XML prolog and a
// DOCTYPE, so it is parsed as XML and imported rather than assigned to innerHTML.
function insertSvg(svgText) {
  const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  const err = doc.querySelector('parsererror');
  if (err) throw new Error('SVG does not parse: ' + err.textContent.slice(0, 200));
  const out = document.getElementById('out');
  out.replaceChildren(document.importNode(doc.documentElement, true));
}

// Runs in the page: render Mermaid source into #out, return the SVG text.
async function renderMermaid({ src, config }) {
  /* global mermaid */
  mermaid.initialize(config);
  const { svg } = await mermaid.render('diagram', src);
  const out = document.getElementById('out');
  out.innerHTML = svg;
  const el = out.querySelector('svg');
  // Mermaid draws some failures as a picture instead of throwing (a diagram over maxTextSize
  // or maxEdges): that is not a rendering of the spec.
  if (!el || el.getAttribute('aria-roledescription') === 'error' ||
      /Maximum text size in diagram exceeded|Syntax error in text/.test(el.textContent)) {
    throw new Error('Mermaid drew an error: ' + (el ? el.textContent.trim().slice(0, 200) : 'no <svg>'));
  }
  return svg;
}

// Runs in the page: the measurements (see the rules at the top of this file).
function measure({ attachTol, overlapTol }) {
  const svg = document.querySelector('#out > svg');
  const origin = svg.getBoundingClientRect();
  // Graphviz: subgraph cluster_* is g.cluster. Mermaid: a composite state is
  // g.statediagram-cluster (stateDiagram-v2), a flowchart subgraph g.cluster.
  const CLUSTER = 'g.cluster, g.statediagram-cluster';
  const r2 = (v) => Math.round(v * 100) / 100;
  const box = (r) => ({ x: r2(r.left - origin.left), y: r2(r.top - origin.top), w: r2(r.width), h: r2(r.height) });
  const pt = (p) => ({ x: r2(p.x - origin.left), y: r2(p.y - origin.top) });
  const norm = (s) => s.replace(/\s+/g, ' ').trim();
  // Drawn at all: not in <defs>/<marker>/<title> and not hidden.
  const drawn = (el) => {
    if (el.closest('defs, marker, title, desc, symbol, clipPath, mask, pattern')) return false;
    for (let e = el; e && e !== svg.parentNode; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden' || cs.opacity === '0') return false;
    }
    return true;
  };
  const scaleOf = (el) => { const m = el.getScreenCTM(); return m ? Math.sqrt(Math.abs(m.a * m.d - m.b * m.c)) : 1; };
  const union = (rects) => {
    const rs = rects.filter((r) => r.width > 0 || r.height > 0);
    if (!rs.length) return null;
    const l = Math.min(...rs.map((r) => r.left)), t = Math.min(...rs.map((r) => r.top));
    const rr = Math.max(...rs.map((r) => r.right)), b = Math.max(...rs.map((r) => r.bottom));
    return { left: l, top: t, right: rr, bottom: b, width: rr - l, height: b - t };
  };

  // ---- nodes and clusters
  const nodeEls = [...svg.querySelectorAll('g.node')].filter(drawn);
  const nodes = nodeEls.map((g, i) => {
    const title = g.querySelector(':scope > title');
    const texts = [...g.querySelectorAll('text, foreignObject')].filter(drawn).map((t) => norm(t.textContent)).filter(Boolean);
    // The outline: the largest drawn shape of the node (an HTML-like table's outer border,
    // the outer of two ellipses of a final state, Mermaid's rect).
    let shape = null, area = -1;
    for (const s of g.querySelectorAll('ellipse, circle, rect, polygon, path')) {
      if (!drawn(s) || s.closest('foreignObject, text')) continue;
      const r = s.getBoundingClientRect();
      if (r.width * r.height > area) { area = r.width * r.height; shape = s; }
    }
    return {
      el: g, shape, index: i, id: g.id || null,
      name: title ? norm(title.textContent) : (texts[0] || g.id || `node${i}`),
      box: box(g.getBoundingClientRect()), rect: g.getBoundingClientRect(),
      pseudo: texts.length === 0,
    };
  });
  // A node that encloses another node's centre is a container (a composite state drawn as a
  // node), not a box an edge starts on or a label must avoid.
  for (const n of nodes) {
    n.container = nodes.some((m) => m !== n && m.rect.width * m.rect.height < n.rect.width * n.rect.height &&
      m.rect.left + m.rect.width / 2 > n.rect.left && m.rect.left + m.rect.width / 2 < n.rect.right &&
      m.rect.top + m.rect.height / 2 > n.rect.top && m.rect.top + m.rect.height / 2 < n.rect.bottom);
  }
  const clusterEls = [...svg.querySelectorAll(CLUSTER)].filter(drawn).map((g, i) => {
    const title = g.querySelector(':scope > title');
    const label = [...g.querySelectorAll('text, foreignObject')].filter(drawn).map((t) => norm(t.textContent)).find(Boolean);
    // Graphviz's cluster <title> is "cluster_NAME"; its label is what a person reads.
    return { index: i, id: g.id || null, name: label || (title ? norm(title.textContent) : `cluster${i}`),
      box: box(g.getBoundingClientRect()), rect: g.getBoundingClientRect(), pseudo: false };
  });
  const clusters = clusterEls.map(({ index, id, name, box: b }) => ({ index, id, name, box: b }));

  // ---- labels
  const labelEls = [...svg.querySelectorAll('text, foreignObject')].filter(
    (e) => drawn(e) && !(e.tagName === 'text' && e.parentElement.closest('text')));
  const labels = [];
  for (const el of labelEls) {
    // An HTML label's lines (<p>s, <br>s) become spaces through innerText; an SVG <text>'s
    // <tspan> lines are joined by the whitespace between them.
    const html = el.tagName === 'foreignObject' ? el.firstElementChild : null;
    const text = norm(html && typeof html.innerText === 'string' ? html.innerText : el.textContent);
    if (!text) continue;
    let rect, fontEl;
    if (el.tagName === 'foreignObject') {
      // The tight box of the glyphs: the union of the text nodes' line boxes (Mermaid's
      // foreignObject, div and <p> are wider than the text, e.g. 200 px for a wrapped label).
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      const rects = [];
      fontEl = null;
      for (let t; (t = walker.nextNode());) {
        if (!t.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(t);
        rects.push(...range.getClientRects());
        // The element that holds the (first) text decides the font (Mermaid: <p>).
        fontEl = fontEl || t.parentElement;
      }
      rect = union(rects);
      fontEl = fontEl || el;
    } else {
      rect = el.getBoundingClientRect();
      fontEl = el.querySelector('tspan') || el;
    }
    if (!rect || (rect.width === 0 && rect.height === 0)) continue;
    const cssFont = parseFloat(getComputedStyle(fontEl).fontSize) || 0;
    const scaleEl = el.tagName === 'foreignObject' ? el : (fontEl.getScreenCTM ? fontEl : el);
    const nodeG = el.closest('g.node');
    const edgeG = el.closest('g.edge');
    const mEdgeLabel = el.closest('.edgeLabel');
    const kind = edgeG || mEdgeLabel ? 'edge' : nodeG ? 'node' : el.closest(CLUSTER) ? 'cluster' : 'other';
    const dataId = mEdgeLabel ? (el.closest('[data-id]') || {}).getAttribute?.('data-id') : null;
    labels.push({
      index: labels.length, text, kind, box: box(rect), rect,
      font_px: r2(cssFont * scaleOf(scaleEl)),
      node: nodeG ? nodes.findIndex((n) => n.el === nodeG) : null,
      edgeG, dataId,
    });
  }

  // ---- edges
  let edgeItems;
  const gvEdges = [...svg.querySelectorAll('g.edge')].filter(drawn);
  if (gvEdges.length) {
    edgeItems = gvEdges.map((g) => ({
      g, id: g.id || null,
      title: (g.querySelector(':scope > title') || { textContent: '' }).textContent.replace(/\s+/g, ' ').trim(),
      paths: [...g.querySelectorAll('path')].filter((p) => drawn(p) && !p.closest('text')),
      parts: [...g.querySelectorAll('path, polygon, polyline, ellipse')].filter((p) => drawn(p)),
    }));
  } else {
    let ps = [...svg.querySelectorAll('path[data-edge="true"]')];
    if (!ps.length) ps = [...svg.querySelectorAll('.edgePaths path, path.transition')];
    edgeItems = ps.filter(drawn).map((p) => ({ g: null, id: p.getAttribute('data-id') || p.id || null, title: '', paths: [p], parts: [p] }));
  }
  const nearestNode = (p) => {
    let best = null, bestD = Infinity;
    for (const n of nodes) {
      if (n.container) continue;
      const r = n.rect;
      const dx = Math.max(r.left - p.x, 0, p.x - r.right), dy = Math.max(r.top - p.y, 0, p.y - r.bottom);
      const d = Math.hypot(dx, dy);
      // Ties (a point inside two boxes): the smaller box is the more specific one.
      if (d < bestD - 1e-6 || (Math.abs(d - bestD) <= 1e-6 && best && r.width * r.height < best.rect.width * best.rect.height)) { best = n; bestD = d; }
    }
    if (best && bestD <= attachTol) return best;
    // Not at a state: an edge to or from a state set drawn as a cluster ends on the cluster's
    // border (Graphviz lhead/ltail, Mermaid composite states), so measure to the border.
    best = null; bestD = Infinity;
    for (const c of clusterEls) {
      const r = c.rect;
      const inside = p.x >= r.left && p.x <= r.right && p.y >= r.top && p.y <= r.bottom;
      const d = inside ? Math.min(p.x - r.left, r.right - p.x, p.y - r.top, r.bottom - p.y)
        : Math.hypot(Math.max(r.left - p.x, 0, p.x - r.right), Math.max(r.top - p.y, 0, p.y - r.bottom));
      if (d < bestD) { best = c; bestD = d; }
    }
    return best && bestD <= attachTol ? best : null;
  };
  const toScreenM = (m, p) => new DOMPoint(p.x, p.y).matrixTransform(m);
  const toScreen = (el, p) => toScreenM(el.getScreenCTM(), p);
  const drawnEdges = edgeItems.filter((e) => e.paths.length);
  const edges = drawnEdges.map((e, i) => {
    const first = e.paths[0], last = e.paths[e.paths.length - 1];
    const start = toScreen(first, first.getPointAtLength(0));
    const end = toScreen(last, last.getPointAtLength(last.getTotalLength()));
    const from = nearestNode(start), to = nearestNode(end);
    const own = labels.filter((l) => (e.g && l.edgeG === e.g) || (!e.g && e.id && l.dataId === e.id));
    for (const l of own) l.edge = i;
    return {
      index: i, id: e.id, title: e.title || null,
      label: own.map((l) => l.text).join(' ') || null,
      box: box(union(e.parts.map((p) => p.getBoundingClientRect()))),
      start: pt(start), end: pt(end),
      from: from ? from.name : null, to: to ? to.name : null,
      from_pseudo: from ? from.pseudo : null, to_pseudo: to ? to.pseudo : null,
      self_loop: !!(from && from === to),
    };
  });

  // ---- overlaps
  const inter = (a, b) => {
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    return w > overlapTol && h > overlapTol ? { left: Math.max(a.left, b.left), top: Math.max(a.top, b.top), width: w, height: h, right: Math.min(a.right, b.right), bottom: Math.min(a.bottom, b.bottom) } : null;
  };
  const overlaps = [];
  // Sweep along x so 1,000 labels do not cost a million comparisons.
  const byX = [...labels].sort((a, b) => a.rect.left - b.rect.left);
  for (let i = 0; i < byX.length; i++) {
    for (let j = i + 1; j < byX.length && byX[j].rect.left < byX[i].rect.right; j++) {
      const a = byX[i], b = byX[j], x = inter(a.rect, b.rect);
      if (!x) continue;
      const [p, q] = a.index < b.index ? [a, b] : [b, a];
      overlaps.push({ kind: 'label-label', a: p.index, b: q.index, a_text: p.text, b_text: q.text, box: box(x) });
    }
  }
  // Label against the shape of a node it is not part of: sample the intersection on a grid
  // (at most 2 px apart, at least 5x5 points) and ask the shape whether a point is inside.
  for (const l of labels) {
    for (const n of nodes) {
      if (n.pseudo || n.container || !n.shape || l.node === n.index) continue;
      const x = inter(l.rect, n.rect);
      if (!x) continue;
      const inv = n.shape.getScreenCTM().inverse();
      const nx = Math.max(5, Math.ceil(x.width / 2)), ny = Math.max(5, Math.ceil(x.height / 2));
      let hit = false;
      for (let a = 0; a < nx && !hit; a++) {
        for (let b = 0; b < ny && !hit; b++) {
          const p = new DOMPoint(x.left + (a + 0.5) * x.width / nx, x.top + (b + 0.5) * x.height / ny).matrixTransform(inv);
          hit = n.shape.isPointInFill(p) || n.shape.isPointInStroke(p);
        }
      }
      if (hit) overlaps.push({ kind: 'label-node', a: l.index, a_text: l.text, node: n.name, box: box(x) });
    }
  }

  // Labels struck through by an edge that is not theirs: sample every edge path every 2 px
  // and look for a point inside a label's box shrunk by 2 px on each side (a line that only
  // grazes the box's empty ascent or descent space is not a strike-through).
  const crossings = [];
  drawnEdges.forEach((e, i) => {
    const er = union(e.paths.map((p) => p.getBoundingClientRect()));
    const cand = labels.filter((l) => l.edge !== i && l.rect.width > 4 && l.rect.height > 4 &&
      l.rect.left < er.right + 1 && l.rect.right > er.left - 1 && l.rect.top < er.bottom + 1 && l.rect.bottom > er.top - 1);
    if (!cand.length) return;
    const hit = new Set();
    for (const p of e.paths) {
      const m = p.getScreenCTM(), len = p.getTotalLength(), n = Math.max(2, Math.ceil(len / 2));
      for (let k = 0; k <= n; k++) {
        const q = toScreenM(m, p.getPointAtLength((k * len) / n));
        for (const l of cand) {
          if (!hit.has(l.index) && q.x > l.rect.left + 2 && q.x < l.rect.right - 2 && q.y > l.rect.top + 2 && q.y < l.rect.bottom - 2) {
            hit.add(l.index);
            crossings.push({ label: l.index, label_text: l.text, edge: i, edge_label: edges[i].label, at: pt(q) });
          }
        }
      }
    }
  });

  return {
    width: r2(origin.width), height: r2(origin.height),
    width_attr: svg.getAttribute('width'), height_attr: svg.getAttribute('height'),
    viewBox: svg.getAttribute('viewBox'),
    nodes: nodes.map(({ index, id, name, box: b, pseudo, container }) => ({ index, id, name, box: b, pseudo, container })),
    clusters,
    labels: labels.map(({ index, text, kind, box: b, font_px, node, edge }) => ({
      index, text, kind, box: b, font_px, node: node === null || node < 0 ? null : node, edge: edge ?? null })),
    edges,
    edge_count: edges.length,
    self_loop_count: edges.filter((e) => e.self_loop).length,
    overlaps,
    crossings,
  };
}

// Runs in the page: scale the diagram so that its larger side is at most `max` px (for the
// screenshot only, after measuring: a 27,000 px wide PNG helps no one and may exceed what
// Chromium can capture). Returns the scale used.
function fitForScreenshot(max) {
  const svg = document.querySelector('#out > svg');
  const r = svg.getBoundingClientRect();
  const s = Math.min(1, max / Math.max(r.width, r.height, 1));
  if (s < 1) {
    svg.style.width = `${r.width * s}px`;
    svg.style.height = `${r.height * s}px`;
    svg.style.maxWidth = 'none';
  }
  return { scale: s, width: Math.ceil(r.width * s), height: Math.ceil(r.height * s) };
}

async function runJob(browser, job, opt) {
  const t0 = Date.now();
  const report = { input: job.input, kind: job.kind, ok: false, browser: browser.version(),
    requests: [], page_errors: [], console_errors: [] };
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  // No request leaves the page: data: URLs are not routed (nothing to fetch); anything else is
  // refused and recorded, whatever its scheme or host.
  await context.route('**/*', (route) => {
    report.requests.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => report.page_errors.push(String(e.message || e)));
  page.on('console', (m) => { if (m.type() === 'error') report.console_errors.push(m.text()); });
  try {
    await page.setContent(PAGE);
    const text = fs.readFileSync(job.input, 'utf8');
    if (job.kind === 'mermaid') {
      await page.addScriptTag({ content: fs.readFileSync(MERMAID_JS, 'utf8') });
      report.mermaid_version = JSON.parse(fs.readFileSync(path.join(path.dirname(MERMAID_JS), '..', 'package.json'), 'utf8')).version;
      const svg = await page.evaluate(renderMermaid, { src: text, config: MERMAID_CONFIG });
      if (job.svg) fs.writeFileSync(job.svg, svg);
    } else {
      await page.evaluate(insertSvg, text);
    }
    // Fonts decide text widths: measure only once the page has settled them.
    await page.evaluate(() => document.fonts.ready.then(() => true));
    Object.assign(report, await page.evaluate(measure, { attachTol: opt.attachTol, overlapTol: opt.overlapTol }));
    if (job.png) {
      const fit = await page.evaluate(fitForScreenshot, opt.pngMax);
      await page.setViewportSize({ width: Math.max(fit.width, 16), height: Math.max(fit.height, 16) });
      await page.locator('#out > svg').screenshot({ path: job.png, animations: 'disabled' });
      report.png = { path: job.png, scale: Math.round(fit.scale * 1e4) / 1e4, width: fit.width, height: fit.height };
    }
    report.ok = report.page_errors.length === 0;
    if (!report.ok) report.error = 'uncaught error in the page: ' + report.page_errors[0];
  } catch (e) {
    // Mermaid's parse errors span lines (the line, a caret, what was expected): keep them all.
    report.error = String(e && e.message ? e.message : e).replace(/^page\.evaluate: /, '')
      .split('\n').filter((l) => !/^\s+at /.test(l)).join(' ').replace(/\s+/g, ' ').trim().slice(0, 400);
  } finally {
    report.ms = Date.now() - t0;
    await context.close();
  }
  return report;
}

async function main() {
  const { jobs, opt } = parseArgs(process.argv.slice(2));
  if (jobs.some((j) => j.kind === 'mermaid') && !fs.existsSync(MERMAID_JS)) {
    process.stderr.write(`render.mjs: ${MERMAID_JS} missing: run 'npm ci' in tests/diagrams (sh .ci/deps.sh does)\n`);
    process.exit(2);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const reports = [];
  try {
    for (const job of jobs) {
      const rep = await runJob(browser, job, opt);
      if (job.json) fs.writeFileSync(job.json, JSON.stringify(rep, null, 1) + '\n');
      reports.push(rep);
    }
  } finally {
    await browser.close();
  }
  if (!jobs.every((j) => j.json)) {
    process.stdout.write(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 1) + '\n');
  }
  process.exit(reports.every((r) => r.ok) ? 0 : 1);
}

main().catch((e) => { process.stderr.write(`render.mjs: ${e && e.stack ? e.stack : e}\n`); process.exit(1); });

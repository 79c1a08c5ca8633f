#!/usr/bin/env node
// tests/player/player_test.mjs — open a page tcpfsm-player wrote, from disk, in headless
// Chromium and check what a reader sees against the trace it was made from.
//
//   node tests/player/player_test.mjs PAGE.html TRACE.json OUTDIR NAME [--expect-fail]
//
// TRACE.json is what the page should show (normally the file the page was made from; the
// negative check hands it a doctored copy and wants failures). For every step, reached by
// keys, the slider, the buttons and a click in the list, in both views: each connection's
// ring is on a node of the state the trace says it is in after that step; what is lit is
// exactly what draws the step's row (edges by class tN, lines in boxes by their rows_ id),
// and a lit edge ends in the step's target state; the step panel names from, to and @rfc;
// the segment panel shows the frame's fields. The page may request nothing but itself.
// Screenshots: OUTDIR/NAME-VIEW-stepK.png. Exit 0 when all holds (with --expect-fail: when
// something does not), 1 otherwise, 2 on usage errors.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// the diagram tests' pinned playwright-core (tests/diagrams/package-lock.json), not a copy
const require = createRequire(path.join(HERE, '..', 'diagrams', 'package.json'));
const { chromium } = require('playwright-core');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const args = process.argv.slice(2);
const expectFail = args.includes('--expect-fail');
const [pagePath, tracePath, outDir, name] = args.filter((a) => a !== '--expect-fail');
if (!name) {
  process.stderr.write('usage: player_test.mjs PAGE.html TRACE.json OUTDIR NAME [--expect-fail]\n');
  process.exit(2);
}
const trace = JSON.parse(fs.readFileSync(tracePath, 'utf8'));
const steps = trace.steps;
const packets = new Map(trace.packets.map((p) => [p.frame, p]));
fs.mkdirSync(outDir, { recursive: true });

// what the page must show after step k: every connection's state, from the trace alone
const laneKeys = [];
for (const s of steps) if (!laneKeys.includes(`${s.host}|${s.conn}`)) laneKeys.push(`${s.host}|${s.conn}`);
function statesAfter(k) {
  const st = laneKeys.map(() => null);
  for (const s of steps.slice(0, k)) st[laneKeys.indexOf(`${s.host}|${s.conn}`)] = s.to;
  return st;
}

const failures = [];
const fail = (msg) => { failures.push(msg); };

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
const url = pathToFileURL(path.resolve(pagePath)).href;
const requests = [];
page.on('request', (r) => requests.push(r.url()));
page.on('pageerror', (e) => fail(`page error: ${e.message}`));
page.on('console', (m) => { if (m.type() === 'error') fail(`console error: ${m.text()}`); });
await page.route('**/*', (r) => (r.request().url() === url ? r.continue() : r.abort()));
await page.goto(url);
await page.waitForSelector('body[data-step]');

// the page's state as the DOM has it, in the view shown
function snapshot() {
  return page.evaluate(() => {
    const pane = document.querySelector('.pane:not([hidden])');
    const svg = pane.querySelector('svg');
    const text = (sel) => document.querySelector(sel)?.textContent ?? null;
    const rowsOf = (e) => (e.classList.contains('edge')
      ? [...e.classList].filter((c) => /^t\d+$/.test(c)).map((c) => Number(c.slice(1)))
      : e.id.startsWith('a_rows_') ? e.id.slice(7).split('_').map(Number) : []);
    const title = (e) => e.querySelector(':scope > title')?.textContent ?? null;
    return {
      step: Number(document.body.dataset.step),
      view: pane.dataset.view,
      slider: Number(document.getElementById('scrub').value),
      rings: [...svg.querySelectorAll('.hl-node')].map((g) => ({
        conn: Number(g.dataset.conn), state: g.dataset.state,
        node: title(svg.querySelector(`[id="${g.dataset.node}"]`) || g) })),
      lit: [...svg.querySelectorAll('.lit')].map((e) => ({
        rows: rowsOf(e), edge: e.classList.contains('edge'), title: title(e),
        box: title(e.closest('g.node, g.cluster') || e) })),
      rfcTag: svg.querySelector('.hl-rfc text')?.textContent ?? null,
      notDrawn: !document.getElementById('not-drawn').hidden,
      currentRow: document.querySelector('#steps tbody tr.current')?.dataset.step ?? null,
      title: text('#title'),
      from: text('#step-body [data-field=from]'),
      to: text('#step-body [data-field=to]'),
      rfc: text('#step-body [data-field=rfc]'),
      frame: document.querySelector('#segment-body [data-field=frame]')?.dataset.frame ?? null,
      fields: Object.fromEntries(['src', 'dst', 'seq', 'ack', 'win', 'len', 'options'].map((f) =>
        [f, text(`#segment-body [data-field=${f}]`)])),
      flags: document.querySelector('#segment-body [data-field=flags]')?.dataset.flags ?? null,
      drawnRows: Object.fromEntries([...svg.querySelectorAll('g.edge, g[id^="a_rows_"]')]
        .flatMap((e) => rowsOf(e).map((n) => [n, 1]))),
    };
  });
}

async function check(k, how) {
  const d = await snapshot();
  const where = `${name} ${d.view} step ${k} (${how})`;
  if (d.step !== k) return fail(`${where}: the page is at step ${d.step}`);
  if (d.slider !== k) fail(`${where}: the slider is at ${d.slider}`);
  if (d.currentRow !== String(k)) fail(`${where}: the list highlights step ${d.currentRow}`);
  const s = steps[k - 1];
  // every connection's state
  const want = statesAfter(k);
  want.forEach((state, i) => {
    const rings = d.rings.filter((r) => r.conn === i);
    if (state === null) {
      if (rings.length) fail(`${where}: ${laneKeys[i]} is drawn before its first step`);
    } else if (rings.length !== 1 || rings[0].state !== state || rings[0].node?.replace(/__again$/, '') !== state)
      fail(`${where}: ${laneKeys[i]} should be in ${state}, the page rings ${JSON.stringify(rings)}`);
  });
  // the row lit: exactly what draws it, and edges into the step's target
  const n = s.transition;
  if (d.lit.some((e) => !e.rows.includes(n))) fail(`${where}: lit is not row ${n}: ${JSON.stringify(d.lit)}`);
  if (!d.drawnRows[n] !== !d.lit.length) fail(`${where}: row ${n} is drawn but not lit, or lit but not drawn`);
  if (d.view === 'full' && !d.lit.length) fail(`${where}: row ${n} is not lit in the full view`);
  if (d.view === 'overview' && d.lit.length === 0 && !d.notDrawn) fail(`${where}: row ${n} not drawn and no note says so`);
  if (d.lit.length && s.rfc && d.rfcTag !== s.rfc && !(s.rfc.length > 64 && d.rfcTag?.endsWith('\u2026')))
    fail(`${where}: the diagram's @rfc tag reads ${d.rfcTag}, want ${s.rfc}`);
  for (const e of d.lit) {
    const head = e.edge ? e.title.split('->').pop().replace(/__again$/, '') : null;
    if (e.edge && head !== s.to && d.view === 'full') fail(`${where}: the lit edge ${e.title} does not end in ${s.to}`);
    if (!e.edge && e.box !== s.from && !/^cluster_/.test(e.box || '')) fail(`${where}: the lit line is in ${e.box}, not ${s.from}`);
  }
  // the panels
  if (d.title !== (trace.title || trace.scenario || 'tcpfsm trace')) fail(`${where}: the title reads ${d.title}`);
  if (d.from !== s.from) fail(`${where}: the step panel says from ${d.from}, want ${s.from}`);
  if (d.to !== s.to && !(d.to === 'stay' && s.from === s.to)) fail(`${where}: the step panel says to ${d.to}, want ${s.to}`);
  if (s.rfc && d.rfc !== s.rfc) fail(`${where}: the step panel says ${d.rfc}, want ${s.rfc}`);
  if (s.frame === null || s.frame === undefined) {
    if (d.frame !== '') fail(`${where}: a segment (${d.frame}) shown for a step without one`);
    return;
  }
  const p = packets.get(s.frame);
  if (d.frame !== String(s.frame)) return fail(`${where}: the segment panel shows frame ${d.frame}, want ${s.frame}`);
  for (const f of ['src', 'dst', 'seq', 'ack', 'win', 'len'])
    if (d.fields[f] !== String(p[f])) fail(`${where}: frame ${s.frame} ${f} is ${d.fields[f]}, want ${p[f]}`);
  if (d.flags !== p.flags) fail(`${where}: frame ${s.frame} flags ${d.flags}, want ${p.flags}`);
  const squash = (x) => String(x || '').replace(/\s+/g, '');
  if (p.options && squash(d.fields.options) !== squash(p.options)) fail(`${where}: frame ${s.frame} options ${d.fields.options}`);
}

const N = steps.length;
const shots = new Set([1, Math.min(N, 5), Math.ceil(N / 2), N]);
async function shoot(k, view) {
  if (shots.has(k)) await page.screenshot({ path: path.join(outDir, `${name}-${view}-step${k}.png`) });
}

// overview: Home, then every step with the right arrow, End, Home
await page.keyboard.press('Home');
await check(1, 'Home');
await shoot(1, 'overview');
for (let k = 2; k <= N; k++) {
  await page.keyboard.press('ArrowRight');
  await check(k, 'ArrowRight');
  await shoot(k, 'overview');
}
await page.keyboard.press('ArrowRight');
await check(N, 'ArrowRight past the end');
await page.keyboard.press('Home');
await check(1, 'Home');
await page.keyboard.press('End');
await check(N, 'End');
// the slider, to the middle, as a mouse would set it
const mid = Math.ceil(N / 2);
await page.locator('#scrub').fill(String(mid));
await check(mid, 'slider');
// the full view keeps the position; then every step back with the left arrow
await page.keyboard.press('v');
await check(mid, 'switched with V');
await page.keyboard.press('End');
for (let k = N; k >= 1; k--) {
  if (k < N) await page.keyboard.press('ArrowLeft');
  await check(k, k === N ? 'End' : 'ArrowLeft');
  await shoot(k, 'full');
}
// buttons and the list
await page.click('#last');
await check(N, 'last button');
await page.click('#view-overview');
await check(N, 'Overview button');
await page.click(`#steps tbody tr[data-step="${mid}"]`);
await check(mid, 'a click in the list');
await page.click('#prev');
await check(Math.max(1, mid - 1), 'previous button');

const foreign = requests.filter((u) => u !== url);
if (foreign.length) fail(`${name}: the page asked for ${foreign.length} other URL(s): ${foreign.slice(0, 3).join(' ')}`);
await browser.close();

if (expectFail) {
  if (failures.length) {
    console.log(`player-test: ${name}: failed as it should (${failures.length} checks; first: ${failures[0]})`);
    process.exit(0);
  }
  console.log(`player-test: FAIL: ${name}: a page that should not match the trace passed every check`);
  process.exit(1);
}
if (failures.length) {
  for (const f of failures.slice(0, 12)) console.log(`player-test: FAIL: ${f}`);
  if (failures.length > 12) console.log(`player-test: ... and ${failures.length - 12} more`);
  process.exit(1);
}
console.log(`player-test: ${name}: ${N} steps checked in both views by keys, slider, buttons and list;` +
  ` no request but the page; screenshots ${path.join(outDir, name)}-*.png`);

#!/usr/bin/env python3
"""tests/diagrams/check.py - render state diagrams in headless Chromium and check that a person
can read them: size, edge count, overlapping labels, self-loops, text too small to see.

usage: check.py [--out-dir DIR] [--xfail FILE:CHECK]... [--png-max PX]
                --group NAME [THRESHOLDS] DIAGRAM... [--group NAME [THRESHOLDS] DIAGRAM...]...
       check.py --check-tools

A DIAGRAM is a .dot (rendered with `dot -Tsvg`; anything Graphviz prints on stderr is a
failure), a .mmd (rendered by the pinned Mermaid in Chromium) or an .svg. Thresholds belong to
the --group they follow and apply to that group's diagrams:

  --max-edges N          at most N edges between states (the arrows from the initial marker and
                         to the final marker are not transitions and are not counted)
  --max-width W, --max-height H
                         the diagram's size in its own unit: pt for Graphviz (the SVG's width and
                         height attributes), px for Mermaid
  --no-overlaps          no two labels overlap, and no label lies on a state it is not part of
  --no-crossed-labels    no label is struck through by an edge that is not its own
  --no-self-loops        no edge is drawn from a state back to itself
  --min-loop N           every self-loop that is drawn is at least N px wide and high
  --min-label-height M   every label's rendered box is at least M px high
  --min-font K           every label's font is at least K px as drawn

Checked for every diagram whatever the thresholds: the file exists ("missing view"), it renders,
Graphviz gives no warning, the page fetches nothing, and (Mermaid) every transition written in
the source is in the picture (Mermaid draws only one self-loop per state and drops the others
with their labels, silently) and every state's name is written somewhere in it (a state with
several `X : text` lines is titled with its first line, and X appears nowhere).

Each diagram gets a summary line; each violation a FAIL line naming the check, the label or edge
and its box (x,y wxh in px from the diagram's top-left, at 100% zoom). --xfail FILE:CHECK marks a
check known to fail on FILE today: its violations are summarised as XFAIL and do not fail the
run, but if the check passes, that is a failure (XPASS), so the list cannot go stale. Rendered
SVGs, PNGs and the JSON reports of render.mjs go to --out-dir as BASENAME.{svg,png,json}.
Exit status: 0 all passed, 1 a check failed, 2 usage error.

--check-tools: exit 0 when node, Chromium and tests/diagrams/node_modules are there; otherwise
print what is missing and exit 3, or, when CI is set, print a FAIL and exit 1.
"""

import collections
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RENDER = os.path.join(HERE, 'render.mjs')
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
SKIP_MSG = 'SKIP: test-diagrams needs chromium and node (sh .ci/deps.sh installs them)'
# At most this many FAIL lines per check and diagram; the JSON report has them all.
MAX_LINES = 25
# Whatever the machine, a render that takes this long is hung, not slow (the 157-edge TCP
# diagram takes about 3 s).
RENDER_TIMEOUT = 300

CHECKS = ('missing', 'render', 'graphviz-warnings', 'network', 'dropped-edges', 'unnamed-states',
          'max-edges',
          'max-size', 'overlaps', 'crossed-labels', 'self-loops', 'small-loops', 'small-labels')
THRESHOLDS = {  # option -> (key, type); type None = a flag
    '--max-edges': ('max_edges', int), '--max-width': ('max_width', float),
    '--max-height': ('max_height', float), '--no-overlaps': ('no_overlaps', None),
    '--no-crossed-labels': ('no_crossed_labels', None),
    '--no-self-loops': ('no_self_loops', None), '--min-loop': ('min_loop', float),
    '--min-label-height': ('min_label_height', float), '--min-font': ('min_font', float),
}


def usage(msg):
    sys.stderr.write('check.py: %s\n%s' % (msg, __doc__.split('\n\n')[1] + '\n'))
    sys.exit(2)


def in_ci():
    return os.environ.get('CI', '').lower() not in ('', '0', 'false', 'no')


def missing_tools():
    miss = []
    if not shutil.which('node'):
        miss.append('node')
    if not os.access(CHROMIUM, os.X_OK):
        miss.append(CHROMIUM)
    for pkg in ('playwright-core', 'mermaid'):
        if not os.path.isfile(os.path.join(HERE, 'node_modules', pkg, 'package.json')):
            miss.append('tests/diagrams/node_modules/' + pkg + ' (npm ci)')
    if not shutil.which('dot'):
        miss.append('dot (graphviz)')
    return miss


def parse_args(argv):
    opt = {'out_dir': 'build/diagrams', 'xfail': set(), 'png_max': None, 'groups': []}
    i = 0
    while i < len(argv):
        a = argv[i]

        def val():
            if i + 1 >= len(argv):
                usage('%s needs a value' % a)
            return argv[i + 1]
        if a == '--out-dir':
            opt['out_dir'] = val(); i += 2
        elif a == '--xfail':
            v = val()
            if ':' not in v or v.rsplit(':', 1)[1] not in CHECKS:
                usage('--xfail %s: want FILE:CHECK, CHECK one of %s' % (v, ', '.join(CHECKS)))
            opt['xfail'].add(tuple(v.rsplit(':', 1))); i += 2
        elif a == '--png-max':
            opt['png_max'] = val(); i += 2
        elif a == '--group':
            opt['groups'].append({'name': val(), 'th': {}, 'files': []}); i += 2
        elif a in THRESHOLDS:
            if not opt['groups']:
                usage('%s before any --group' % a)
            key, typ = THRESHOLDS[a]
            if typ is None:
                opt['groups'][-1]['th'][key] = True; i += 1
            else:
                try:
                    opt['groups'][-1]['th'][key] = typ(val())
                except ValueError:
                    usage('%s %s: not a number' % (a, val()))
                i += 2
        elif a.startswith('-'):
            usage('unknown option ' + a)
        else:
            if not opt['groups']:
                usage('%s before any --group' % a)
            opt['groups'][-1]['files'].append(a); i += 1
    if not opt['groups']:
        usage('no --group')
    return opt


def edge_name(e):
    """FROM -> TO as measured; Graphviz's <title> when an end is at no state."""
    if (not e['from'] or not e['to']) and e.get('title'):
        return e['title']
    return '%s -> %s' % (e['from'] or '?', e['to'] or '?')


def fmt_box(b):
    return '(%.0f,%.0f %.0fx%.0f px)' % (b['x'], b['y'], b['w'], b['h'])


def num(v):
    return ('%.1f' % v).rstrip('0').rstrip('.')


def mermaid_body(path):
    """The lines of a .mmd after its YAML front matter (`---` ... `---`, the diagram's config)."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines(keepends=True)
    if lines and lines[0].strip() == '---':
        for k in range(1, len(lines)):
            if lines[k].strip() == '---':
                return lines[k + 1:]
    return lines


def mermaid_transitions(path):
    """The transitions a .mmd declares: `A --> B` or `A --> B: label` lines (not %% comments)."""
    out = []
    if True:
        for line in mermaid_body(path):
            m = re.match(r'\s*([^\s%][^\s]*)\s*-->\s*([^\s:]+)', line)
            if m:
                out.append((m.group(1), m.group(2)))
    return out


def mermaid_states(path):
    """{id: the name a person should read} for every state a .mmd mentions: ids in transitions,
    `state ID`, `state ID {`, `ID : text`; `state "Name" as ID` gives ID the name Name. Notes,
    [*], <<choice>>/<<fork>>/<<join>> pseudo-states and classDef/class/style lines are not states."""
    names, in_note = {}, False
    ident = r'([A-Za-z_][\w.-]*)'
    if True:
        for line in mermaid_body(path):
            line = re.sub(r':::\w+', '', line.split('%%', 1)[0]).strip()
            if in_note:
                in_note = not line.startswith('end note')
                continue
            if not line or re.match(r'(stateDiagram|direction|classDef|class|style|accTitle|accDescr|title)\b|}', line):
                continue
            if line.startswith('note '):
                in_note = ':' not in line       # a one-line note has its text after ':'
                continue
            if '<<' in line:
                continue
            m = re.match(r'state\s+"([^"]*)"\s+as\s+' + ident, line)
            if m:
                names[m.group(2)] = m.group(1)
                continue
            m = re.match(r'state\s+' + ident, line)
            if m:
                names.setdefault(m.group(1), m.group(1))
                continue
            m = re.match(r'([^\s]+)\s*-->\s*([^\s:]+)', line)
            if m:
                for x in m.groups():
                    if x != '[*]':
                        names.setdefault(x, x)
                continue
            m = re.match(ident + r'\s*(:|$)', line)
            if m:
                names.setdefault(m.group(1), m.group(1))
    return names


def native_size(rep):
    """The diagram's size in its own unit: the width/height attributes when given in pt
    (Graphviz), else the rendered CSS px (Mermaid's attributes are plain px numbers)."""
    m = re.match(r'^\s*([\d.]+)\s*pt\s*$', rep.get('width_attr') or '')
    n = re.match(r'^\s*([\d.]+)\s*pt\s*$', rep.get('height_attr') or '')
    if m and n:
        return float(m.group(1)), float(n.group(1)), 'pt'
    return rep['width'], rep['height'], 'px'


class Diagram:
    def __init__(self, path, group, out_dir):
        self.path, self.group, self.th = path, group['name'], group['th']
        base = os.path.basename(path)
        self.svg = os.path.join(out_dir, base + '.svg')
        self.png = os.path.join(out_dir, base + '.png')
        self.json = os.path.join(out_dir, base + '.json')
        self.kind = {'.dot': 'graphviz', '.mmd': 'mermaid', '.svg': 'svg'}.get(
            os.path.splitext(path)[1].lower())
        self.violations = collections.OrderedDict()   # check -> [lines]
        self.ran = set()                               # checks evaluated on this diagram
        self.rep = None

    def check(self, name, lines):
        self.ran.add(name)
        if lines:
            self.violations.setdefault(name, []).extend(lines)


def render_graphviz(d):
    """dot -Tsvg; any stderr output (warnings included) is a failure of its own."""
    d.ran.add('graphviz-warnings')
    p = subprocess.run(['dot', '-Tsvg', d.path, '-o', d.svg], capture_output=True, text=True)
    err = [l for l in p.stderr.splitlines() if l.strip()]
    d.check('graphviz-warnings', ['dot: ' + l for l in err])
    if p.returncode != 0:
        d.check('render', ['dot -Tsvg exited %d' % p.returncode])
        return None
    return d.svg


def run_render(diagrams, png_max):
    """One render.mjs process (one Chromium) for all the diagrams that have an SVG or .mmd."""
    args = ['node', RENDER]
    for d, src in diagrams:
        args += [src, '--png', d.png, '--json', d.json]
        if src.endswith('.mmd'):
            args += ['--svg', d.svg]
        if os.path.exists(d.json):
            os.unlink(d.json)
    if png_max:
        args += ['--png-max', png_max]
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=RENDER_TIMEOUT)
        err = p.stderr.strip()
    except subprocess.TimeoutExpired:
        err = 'render.mjs timed out after %d s' % RENDER_TIMEOUT
    for d, _ in diagrams:
        try:
            with open(d.json, encoding='utf-8') as f:
                d.rep = json.load(f)
        except (OSError, ValueError):
            d.check('render', ['render.mjs wrote no report: ' + (err.splitlines() or ['?'])[-1]])
            continue
        d.ran.add('render')
        if not d.rep.get('ok'):
            d.check('render', ['did not render: %s' % d.rep.get('error')])


def evaluate(d):
    rep, th = d.rep, d.th
    labels, edges = rep['labels'], rep['edges']
    d.check('network', ['the page asked for %s (refused)' % u for u in rep.get('requests', [])])

    # Edges between states: an arrow from the initial marker or to the final marker is not a
    # transition (Graphviz's point node, Mermaid's [*] circles: nodes with no text).
    states = [e for e in edges if not e['from_pseudo'] and not e['to_pseudo']]
    loops = [e for e in states if e['self_loop']]

    if d.kind == 'mermaid':
        declared = mermaid_transitions(d.path)
        lines = []
        if len(edges) < len(declared):
            lines.append('%d transitions in the source, %d drawn: %d missing from the picture'
                         % (len(declared), len(edges), len(declared) - len(edges)))
            want = collections.Counter(declared)
            got = collections.Counter((e['from'], e['to']) for e in edges)
            names = {n['name'] for n in rep['nodes']}
            short = [(a, b, n, got[(a, b)]) for (a, b), n in want.items()
                     if a in names and b in names and got[(a, b)] < n]
            for a, b, n, g in short[:MAX_LINES]:
                lines.append('  %s --> %s: %d in the source, %d drawn' % (a, b, n, g))
        d.check('dropped-edges', lines)
        # Every state's box shows its name: Mermaid's node for state X has the id
        # ...-state-X-N, and one of its labels must read exactly the name (a composite state's
        # title for a cluster). A state whose box cannot be found must at least be named by some
        # label. A name seen only inside other text does not count.
        texts = {l['text'] for l in labels}
        lines = []
        for sid, name in mermaid_states(d.path).items():
            rx = re.compile(r'-state-%s-\d+$' % re.escape(sid))
            boxes = [n for n in rep['nodes'] if n['id'] and rx.search(n['id'])]
            clus = [c for c in rep['clusters'] if c['id'] and rx.search(c['id'])]
            for n in boxes:
                own = [l['text'] for l in labels if l['node'] == n['index']]
                if name not in own:
                    lines.append('state %s is drawn without its name "%s": its box %s reads %s'
                                 % (sid, name, fmt_box(n['box']), ' | '.join('"%s"' % t for t in own) or 'nothing'))
            for c in clus:
                if c['name'] != name:
                    lines.append('state %s is drawn without its name "%s": its cluster %s reads "%s"'
                                 % (sid, name, fmt_box(c['box']), c['name']))
            if not boxes and not clus and name not in texts:
                lines.append('state %s is drawn without its name "%s": no label reads so' % (sid, name))
        d.check('unnamed-states', lines)

    if 'max_edges' in th:
        d.check('max-edges', ['%d edges between states, at most %d wanted'
                              % (len(states), th['max_edges'])] if len(states) > th['max_edges'] else [])
    w, h, unit = native_size(rep)
    if 'max_width' in th or 'max_height' in th:
        mw, mh = th.get('max_width', float('inf')), th.get('max_height', float('inf'))
        d.check('max-size', ['%sx%s %s, at most %sx%s %s wanted' % (num(w), num(h), unit, num(mw), num(mh), unit)]
                if w > mw or h > mh else [])
    if th.get('no_overlaps'):
        lines = []
        for o in rep['overlaps']:
            a = labels[o['a']]
            if o['kind'] == 'label-label':
                b = labels[o['b']]
                lines.append('label "%s" %s overlaps label "%s" %s by %.0fx%.0f px'
                             % (a['text'], fmt_box(a['box']), b['text'], fmt_box(b['box']), o['box']['w'], o['box']['h']))
            else:
                lines.append('label "%s" %s lies on state %s by %.0fx%.0f px'
                             % (a['text'], fmt_box(a['box']), o['node'], o['box']['w'], o['box']['h']))
        d.check('overlaps', lines)
    if th.get('no_crossed_labels'):
        d.check('crossed-labels', ['label "%s" %s is crossed by edge %s%s at (%.0f,%.0f)'
                                   % (labels[c['label']]['text'], fmt_box(labels[c['label']]['box']),
                                      edge_name(edges[c['edge']]),
                                      ' "%s"' % c['edge_label'] if c['edge_label'] else '', c['at']['x'], c['at']['y'])
                                   for c in rep['crossings']])
    if th.get('no_self_loops'):
        d.check('self-loops', ['self-loop %s%s drawn as a loop %s'
                               % (edge_name(e), ' "%s"' % e['label'] if e['label'] else '', fmt_box(e['box']))
                               for e in loops])
    if 'min_loop' in th:
        n = th['min_loop']
        d.check('small-loops', ['self-loop %s%s is %.0fx%.0f px, smaller than %s px %s'
                                % (edge_name(e), ' "%s"' % e['label'] if e['label'] else '',
                                   e['box']['w'], e['box']['h'], num(n), fmt_box(e['box']))
                                for e in loops if min(e['box']['w'], e['box']['h']) < n])
    if 'min_label_height' in th or 'min_font' in th:
        mh, mf = th.get('min_label_height', 0), th.get('min_font', 0)
        lines = []
        for l in labels:
            why = []
            if l['box']['h'] < mh:
                why.append('%.1f px high < %s' % (l['box']['h'], num(mh)))
            if l['font_px'] < mf:
                why.append('font %s px < %s' % (num(l['font_px']), num(mf)))
            if why:
                lines.append('%s label "%s" %s: %s' % (l['kind'], l['text'], fmt_box(l['box']), ', '.join(why)))
        d.check('small-labels', lines)

    # The one-line summary.
    small = min(labels, key=lambda l: (l['font_px'], l['box']['h'])) if labels else None
    loop_txt = '%d self-loops' % len(loops)
    if loops:
        sm = min(loops, key=lambda e: min(e['box']['w'], e['box']['h']))
        loop_txt += ' (smallest %.0fx%.0f px)' % (sm['box']['w'], sm['box']['h'])
    markers = len(edges) - len(states)
    d.summary = '%s: %sx%s %s%s, %d edges%s, %d labels, %s, %d overlaps, %d labels crossed by edges, smallest label %s' % (
        d.path, num(w), num(h), unit,
        '' if unit == 'px' else ' (%sx%s px)' % (num(rep['width']), num(rep['height'])),
        len(states), ' (+%d marker arrows)' % markers if markers else '', len(labels), loop_txt,
        len(rep['overlaps']), len({c['label'] for c in rep['crossings']}),
        '%s px font, %s px high ("%s")' % (num(small['font_px']), num(small['box']['h']), small['text'][:40]) if small else '-')


def main():
    argv = sys.argv[1:]
    if argv == ['--check-tools']:
        miss = missing_tools()
        if not miss:
            return 0
        if in_ci():
            print('FAIL: test-diagrams needs chromium and node, missing with CI set: ' + ', '.join(miss))
            return 1
        print(SKIP_MSG)
        print('  missing: ' + ', '.join(miss))
        return 3
    opt = parse_args(argv)
    t0 = time.time()
    os.makedirs(opt['out_dir'], exist_ok=True)
    diagrams = []
    for g in opt['groups']:
        if not g['files']:
            print('note: group %s: no diagrams' % g['name'])
        for f in g['files']:
            d = Diagram(f, g, opt['out_dir'])
            if d.kind is None:
                usage('%s: want a .dot, .mmd or .svg file' % f)
            diagrams.append(d)

    jobs = []
    for d in diagrams:
        d.ran.add('missing')
        if not os.path.exists(d.path):
            d.check('missing', ['missing view: %s does not exist (make regen writes it)' % d.path])
            continue
        src = render_graphviz(d) if d.kind == 'graphviz' else d.path
        if src:
            jobs.append((d, src))
    if jobs:
        run_render(jobs, opt['png_max'])

    failed = xfailed = 0
    for d in diagrams:
        if d.rep and d.rep.get('ok'):
            evaluate(d)
            print('%s -> %s' % (d.summary, d.png))
        else:
            print('%s: %s' % (d.path, 'missing' if 'missing' in d.violations else 'not rendered'))
        for name in CHECKS:
            lines = d.violations.get(name, [])
            xf = (d.path, name) in opt['xfail']
            if xf and name not in d.ran:
                print('FAIL %s [%s]: --xfail names a check that was not run on it' % (d.path, name))
                failed += 1
            elif xf and not lines:
                print('FAIL %s [%s]: XPASS: passes now, remove %s:%s from DIAGRAM_XFAIL '
                      '(tests/diagrams/diagrams.mk)' % (d.path, name, d.path, name))
                failed += 1
            elif xf:
                xfailed += 1
                head = lines[0] if len(lines) == 1 else '%d violations, first: %s' % (len(lines), lines[0].strip())
                print('XFAIL %s [%s]: %s (expected today)' % (d.path, name, head))
            elif lines:
                failed += 1
                for l in lines[:MAX_LINES]:
                    print('FAIL %s [%s]: %s' % (d.path, name, l))
                if len(lines) > MAX_LINES:
                    print('FAIL %s [%s]: ... and %d more (all in %s)' % (d.path, name, len(lines) - MAX_LINES, d.json))
    print('test-diagrams: %d diagrams, %d failed checks, %d expected failures (%.0f s); PNGs in %s'
          % (len(diagrams), failed, xfailed, time.time() - t0, opt['out_dir']))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

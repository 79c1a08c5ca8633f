# tests/diagrams/diagrams.mk — can a person read the state diagrams?   make test-diagrams
#
# Renders generated/*.dot (dot -Tsvg: any Graphviz warning fails) and generated/*.mmd (the
# Mermaid pinned in tests/diagrams/package-lock.json) in Debian's Chromium, measures what is
# drawn (tests/diagrams/render.mjs: size, edges, self-loops, every label's box and font size,
# overlapping labels) and checks it against the thresholds below (tests/diagrams/check.py).
# PNGs of every diagram go to $(BUILD)/diagrams/NAME.{dot,mmd}.png for a person to look at,
# beside the rendered SVGs and the JSON measurements.
#
# Needs node, /usr/bin/chromium and tests/diagrams/node_modules (`sh .ci/deps.sh` installs
# all three). Without them it prints SKIP and passes, unless CI is set: then it fails.
# Units: sizes are pt for Graphviz (the SVG's width/height), px for Mermaid; every other
# number is px as drawn at 100% zoom (Graphviz: 1 pt = 4/3 px).

# ---- the diagrams: full view generated/NAME.{dot,mmd}, overview generated/NAME-overview.*.
# A file listed here that does not exist fails as "missing view".
DIAGRAM_NAMES    := tcp traffic_light
DIAGRAM_FULL     := $(foreach n,$(DIAGRAM_NAMES),generated/$(n).dot generated/$(n).mmd)
DIAGRAM_OVERVIEW := $(foreach n,$(DIAGRAM_NAMES),generated/$(n)-overview.dot generated/$(n)-overview.mmd)

# ---- checks known to fail today, as FILE:CHECK (check names: tests/diagrams/check.py).
# They still run and print XFAIL with their first violation; one that passes fails the run
# (XPASS) until its line is deleted here, so this list only shrinks.
# Empty: every diagram passes every check. (The list once held the 8 failures of b4225a8:
# packed 8 pt rows in Graphviz tables, Mermaid labels moved onto each other by its basis
# curves, and Mermaid states titled by their first row instead of their name.)
DIAGRAM_XFAIL :=

# ---- thresholds (px at 100% zoom unless said otherwise)
# Everywhere: a self-loop, if drawn at all, at least 30 px each way (the height of a state
# box: smaller, it is an arrowhead with a hook); text at least 10 px (7.5 pt) and its box
# 12 px high, below which it cannot be read without zooming.
DIAGRAM_READABLE := --min-loop 30 --min-label-height 12 --min-font 10
# Full views: every row is drawn, so nothing may hide anything: no overlapping labels, and
# self-transitions are lines in the state's box, never loops.
DIAGRAM_FULL_CHECKS := --no-overlaps --no-self-loops $(DIAGRAM_READABLE)
# Overviews: the textbook figure (RFC 9293 Figure 5 has 20 arrows): at most 20 edges between
# states, on one screen: 1200x900 pt for Graphviz, the same 1600x1200 px for Mermaid.
DIAGRAM_OVERVIEW_CHECKS := --max-edges 20 --no-overlaps $(DIAGRAM_READABLE)

DIAGRAM_OUT   := $(BUILD)/diagrams
DIAGRAM_CHECK := python3 tests/diagrams/check.py

.PHONY: test-diagrams
TEST_TARGETS += test-diagrams

# check.py --check-tools exits 3 after printing the SKIP line (tools missing, CI unset).
# selftest.py first: check.py must catch the defects planted in tests/diagrams/fixtures/.
test-diagrams:
	@$(DIAGRAM_CHECK) --check-tools; rc=$$?; \
	if [ $$rc = 3 ]; then exit 0; elif [ $$rc != 0 ]; then exit 1; fi; \
	python3 tests/diagrams/selftest.py $(DIAGRAM_OUT)/selftest || exit 1; \
	$(DIAGRAM_CHECK) --out-dir $(DIAGRAM_OUT) $(addprefix --xfail ,$(DIAGRAM_XFAIL)) \
	    --group full-graphviz     $(DIAGRAM_FULL_CHECKS) $(filter %.dot,$(DIAGRAM_FULL)) \
	    --group full-mermaid      $(DIAGRAM_FULL_CHECKS) $(filter %.mmd,$(DIAGRAM_FULL)) \
	    --group overview-graphviz $(DIAGRAM_OVERVIEW_CHECKS) --max-width 1200 --max-height 900 \
	                              $(filter %.dot,$(DIAGRAM_OVERVIEW)) \
	    --group overview-mermaid  $(DIAGRAM_OVERVIEW_CHECKS) --max-width 1600 --max-height 1200 \
	                              $(filter %.mmd,$(DIAGRAM_OVERVIEW))

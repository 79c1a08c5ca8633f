# tcpfsm — top-level Makefile.
# Each room owns a fragment (fsmc/fsmc.mk, runtime/runtime.mk, ...) that appends
# its build targets to ALL_TARGETS and its test targets to TEST_TARGETS.
#
#   make            build fsmc, libtcpfsm, examples into build/
#   make test       every test (unit, scenario, golden, drift, interop when root)
#   make regen      rewrite generated/ from spec/
#   make demo       install deps (root), build, regen, run the memlink demo
#   make SAN=1 ...  the same with -fsanitize=address,undefined (into build/san)

CC      ?= cc
ifeq ($(origin CC),default)
CC      := cc
endif
SAN     ?=
ifeq ($(SAN),1)
BUILD   ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD   ?= build
SANFLAGS :=
endif
OPT     ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS += -D_DEFAULT_SOURCE -D_GNU_SOURCE
CFLAGS  := $(OPT) $(WARN) $(SANFLAGS) $(EXTRA_CFLAGS)
LDFLAGS += $(SANFLAGS)
BIN     := $(BUILD)/bin
LIBDIR  := $(BUILD)/lib
OBJ     := $(BUILD)/obj
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

ALL_TARGETS  :=
TEST_TARGETS :=

.PHONY: all test regen check-regen demo deps clean bench fuzz install uninstall
all: build-all

include fsmc/fsmc.mk
-include runtime/runtime.mk
-include examples/examples.mk
-include tests/tests.mk
-include bench/bench.mk


deps:
	@sh .ci/deps.sh

# ---- generated/: fsmc's output for every spec, committed ----
SPECS    := $(wildcard spec/*.fsm)
FSMC     := $(BIN)/fsmc
FSMC_GEN := --emit=c,dot,mermaid,json

regen: $(FSMC)
	@for s in $(SPECS); do \
	    n=$$(basename $$s .fsm); \
	    $(FSMC) $(FSMC_GEN) --output-dir=generated $$s || exit 1; \
	    dot -Tsvg generated/$$n.dot -o generated/$$n.svg || exit 1; \
	    echo "regen: $$s -> generated/$$n.{c,h,dot,mmd,json,svg}"; \
	done

# Drift check: regenerate into a scratch tree laid out like the repo (so every path written
# into the output is the same) and compare with what is committed.
check-regen: $(FSMC)
	@rm -rf $(BUILD)/regen && mkdir -p $(BUILD)/regen/generated && ln -s $(CURDIR)/spec $(BUILD)/regen/spec
	@for s in $(SPECS); do \
	    n=$$(basename $$s .fsm); \
	    (cd $(BUILD)/regen && $(CURDIR)/$(FSMC) $(FSMC_GEN) --output-dir=generated $$s) || exit 1; \
	    dot -Tsvg $(BUILD)/regen/generated/$$n.dot -o $(BUILD)/regen/generated/$$n.svg || exit 1; \
	done
	@if diff -r generated $(BUILD)/regen/generated >$(BUILD)/regen.diff; then \
	    echo "check-regen: generated/ matches spec/ (no drift)"; \
	else \
	    echo "check-regen: generated/ differs from a fresh generation; run 'make regen' and commit:"; \
	    head -40 $(BUILD)/regen.diff; exit 1; \
	fi
TEST_TARGETS += check-regen

# ---- the newcomer's first command ----
demo:
	@sh .ci/deps.sh
	$(MAKE) -j2 build-all
	$(MAKE) regen
	$(BIN)/tcpfsm-demo --trace --pcap $(BUILD)/demo.pcap
	dot -Tsvg generated/tcp.dot -o $(BUILD)/tcp.svg
	@echo "demo: capture in $(BUILD)/demo.pcap (tshark -r $(BUILD)/demo.pcap), diagram in $(BUILD)/tcp.svg"
	@if [ "$$(id -u)" -eq 0 ]; then sh tests/interop/demo_tun.sh $(BIN); \
	 else echo "demo: not root, skipping the TUN part (curl from the Linux kernel to tcpfsm-httpd)"; fi

clean:
	rm -rf build

# Rules whose prerequisites are the accumulated lists come last (make expands them when read).
build-all: $(ALL_TARGETS)

test: build-all
	@$(MAKE) --no-print-directory $(TEST_TARGETS)
	@echo "make test: all test groups passed"

# tcpfsm — top-level Makefile.
# Each room owns a fragment (fsmc/fsmc.mk, runtime/runtime.mk, ...) that appends
# its build targets to ALL_TARGETS and its test targets to TEST_TARGETS.
#
#   make            build fsmc, libtcpfsm, examples into build/
#   make test       every test (unit, scenario, golden, drift, interop when root)
#   make regen      rewrite generated/ from spec/
#   make coverage-map  run the test_tcp_* programs, draw build/tcp-coverage.svg (spec/tcp.fsm heat map)
#   make demo       install deps (root), regen, build, run the memlink demo
#   make format     apply the house style (.clang-format); make test checks it (format-check)
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
# The release version lives in one place, TCPFSM_VERSION in runtime/tcpfsm.h (the installed
# header must carry it as a literal); the library's file name, tcpfsm.pc, fsmc's --version
# (fsmc/fsmc.mk passes it) and the examples' (they include the header) follow it.
VERSION := $(shell sed -n 's/^.define TCPFSM_VERSION "\([^"]*\)"$$/\1/p' runtime/tcpfsm.h)
$(if $(VERSION),,$(error cannot read TCPFSM_VERSION from runtime/tcpfsm.h))
TCPFSM_SOVERSION := $(VERSION)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

ALL_TARGETS  :=
TEST_TARGETS :=
# The TCP core (runtime/stack.c) gates the test groups that need a working connection.
STACK_READY  := $(wildcard runtime/stack.c)

.PHONY: all test regen check-regen demo deps clean bench fuzz install uninstall
all: build-all

include fsmc/fsmc.mk
-include runtime/runtime.mk
-include runtime/packetdrill/packetdrill.mk
-include examples/examples.mk
-include tests/tests.mk
-include bench/bench.mk


deps:
	@sh .ci/deps.sh

# ---- house style: .clang-format as clang-format 14 (Debian 12's) applies it ----
.PHONY: format format-check
format:
	@sh tests/style/format_check.sh --fix
format-check:
	@sh tests/style/format_check.sh
TEST_TARGETS += format-check

# ---- generated/: fsmc's output for every spec, committed ----
SPECS    := $(wildcard spec/*.fsm)
FSMC     := $(BIN)/fsmc
FSMC_GEN := --emit=c,dot,mermaid,json --view=full,overview

regen: $(FSMC)
	@mkdir -p generated
	@for s in $(SPECS); do \
	    n=$$(basename $$s .fsm); \
	    $(FSMC) $(FSMC_GEN) --output-dir=generated $$s || exit 1; \
	    for v in $$n $$n-overview; do dot -Tsvg generated/$$v.dot -o generated/$$v.svg || exit 1; done; \
	    echo "regen: $$s -> generated/$$n.{c,h,dot,mmd,json,svg} generated/$$n-overview.{dot,mmd,svg}"; \
	done

# Drift check: regenerate into a scratch tree laid out like the repo (so every path written
# into the output is the same) and compare with what is committed.
check-regen: $(FSMC)
	@rm -rf $(BUILD)/regen && mkdir -p $(BUILD)/regen/generated && ln -s $(CURDIR)/spec $(BUILD)/regen/spec
	@for s in $(SPECS); do \
	    n=$$(basename $$s .fsm); \
	    (cd $(BUILD)/regen && $(CURDIR)/$(FSMC) $(FSMC_GEN) --output-dir=generated $$s) || exit 1; \
	    for v in $$n $$n-overview; do \
	        dot -Tsvg $(BUILD)/regen/generated/$$v.dot -o $(BUILD)/regen/generated/$$v.svg || exit 1; \
	    done; \
	done
	@if diff -r generated $(BUILD)/regen/generated >$(BUILD)/regen.diff; then \
	    echo "check-regen: generated/ matches spec/ (no drift)"; \
	else \
	    echo "check-regen: generated/ differs from a fresh generation; run 'make regen' and commit:"; \
	    head -40 $(BUILD)/regen.diff; exit 1; \
	fi
TEST_TARGETS += check-regen

# ---- the newcomer's first command ----
# regen first: the diagrams it points at must be those of the spec as it is now. (The build
# itself never reads generated/: the runtime compiles tables fsmc makes from spec/ into
# $(BUILD)/gen, see runtime/runtime.mk, so an edited spec is what runs.)
demo:
	@sh .ci/deps.sh
	$(MAKE) -j2 $(FSMC)
	$(MAKE) regen
	$(MAKE) -j2 build-all
	$(BIN)/tcpfsm-demo --trace --pcap $(BUILD)/demo.pcap
	@echo "demo: capture in $(BUILD)/demo.pcap (tshark -r $(BUILD)/demo.pcap); diagrams:" \
	      "generated/tcp-overview.svg (RFC 9293 Figure 5), generated/tcp.svg (every row)"
	@echo "demo: the first lesson of docs/tutorial.md (tcpfsm-demo --list names all eleven):"
	$(BIN)/tcpfsm-demo --scenario handshake --pcap $(BUILD)/demo-handshake.pcap \
	    --trace-json $(BUILD)/demo-trace.json
	@$(MAKE) --no-print-directory $(BUILD)/demo-player.html
	@echo "demo: trace player: $(abspath $(BUILD))/demo-player.html (open it in a browser;" \
	      "<- -> step, V switches the view)"
	@if [ "$$(id -u)" -eq 0 ]; then sh tests/demo_tun.sh $(BIN) $(BUILD)/demo-tun.pcap; \
	 else echo "demo: not root, skipping the TUN part (curl from the Linux kernel to tcpfsm-httpd)"; fi

clean:
	rm -rf build

# Rules whose prerequisites are the accumulated lists come last (make expands them when read).
build-all: $(ALL_TARGETS)

test: build-all
	@$(MAKE) --no-print-directory $(TEST_TARGETS)
	@echo "make test: all test groups passed"

# ---- install (GNU conventions: PREFIX, DESTDIR) ----
# The installed programs find the library wherever PREFIX is: fsmc does not use it and the
# examples link it statically (examples/examples.mk). A program of yours linked against the
# shared library finds it in the loader's own directories (for /usr/local/lib, as root, the
# install runs ldconfig, without which the loader would not see the new library), else by a
# RUNPATH given when linking (README.md). tests/install/install_test.sh checks all three.
PREFIX  ?= /usr/local
DESTDIR ?=
INST_BIN := $(DESTDIR)$(PREFIX)/bin
INST_LIB := $(DESTDIR)$(PREFIX)/lib
INST_INC := $(DESTDIR)$(PREFIX)/include/tcpfsm
INST_PC  := $(DESTDIR)$(PREFIX)/lib/pkgconfig
INST_MAN := $(DESTDIR)$(PREFIX)/share/man
INSTALL_PROGS := $(filter $(BIN)/%,$(ALL_TARGETS))
# Every installed program's page: fsmc/fsmc.1, examples/tcpfsm-*.1.
INSTALL_MAN1  := $(wildcard $(foreach p,$(notdir $(INSTALL_PROGS)),fsmc/$(p).1 examples/$(p).1))
# Refresh the loader's cache when the library went (or left) where the loader looks: no
# DESTDIR (a staging tree is not the running system), root, and INST_LIB one of ldconfig's
# directories.
LDCONFIG_IF_SYSTEM = @if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ] && \
	    ldconfig -N -v 2>/dev/null | awk -F: -v d="$(INST_LIB)" '$$1 == d { f = 1 } END { exit !f }'; \
	 then echo ldconfig; ldconfig; fi

install: build-all
	install -d $(INST_BIN) $(INST_LIB) $(INST_INC) $(INST_PC) $(INST_MAN)/man1 $(INST_MAN)/man3 $(INST_MAN)/man5
	install -m 755 $(INSTALL_PROGS) $(INST_BIN)/
	install -m 644 $(LIBDIR)/libtcpfsm.a $(INST_LIB)/
	install -m 755 $(LIBDIR)/libtcpfsm.so.$(TCPFSM_SOVERSION) $(INST_LIB)/
	ln -sf libtcpfsm.so.$(TCPFSM_SOVERSION) $(INST_LIB)/libtcpfsm.so.0
	ln -sf libtcpfsm.so.0 $(INST_LIB)/libtcpfsm.so
	install -m 644 runtime/tcpfsm.h runtime/tcpfsm_shards.h $(INST_INC)/
	sed -e 's#@PREFIX@#$(PREFIX)#' -e 's#@VERSION@#$(VERSION)#' tcpfsm.pc.in >$(INST_PC)/tcpfsm.pc
	install -m 644 $(INSTALL_MAN1) $(INST_MAN)/man1/
	install -m 644 docs/tcpfsm.3 $(INST_MAN)/man3/
	install -m 644 docs/fsm-language.5 $(INST_MAN)/man5/
	$(LDCONFIG_IF_SYSTEM)

uninstall:
	rm -f $(addprefix $(INST_BIN)/,$(notdir $(INSTALL_PROGS)))
	rm -f $(INST_LIB)/libtcpfsm.a $(INST_LIB)/libtcpfsm.so $(INST_LIB)/libtcpfsm.so.0 $(INST_LIB)/libtcpfsm.so.$(TCPFSM_SOVERSION)
	rm -f $(INST_INC)/tcpfsm.h $(INST_INC)/tcpfsm_shards.h $(INST_PC)/tcpfsm.pc
	-rmdir $(INST_INC) 2>/dev/null
	rm -f $(addprefix $(INST_MAN)/man1/,$(notdir $(INSTALL_MAN1))) $(INST_MAN)/man3/tcpfsm.3 $(INST_MAN)/man5/fsm-language.5
	$(LDCONFIG_IF_SYSTEM)

# bench/bench.mk — `make bench`: every benchmark of issue 7, each next to its reference,
# one table on stdout and $(BUILD)/bench/results.tsv. `BENCH_QUICK=1 make bench` runs tiny
# sizes in seconds (used by `make test` through tests/bench/bench-test.mk).
#
# The bench programs are compiled by bench/run.py with exactly BENCH_CFLAGS below, always
# optimised and never sanitized, whatever OPT/SAN say; the library pieces they link
# (libtcpfsm.a) are built by their own fragments with the project's CFLAGS.

BENCH_DIR    := $(BUILD)/bench
BENCH_CFLAGS := -O2 -g -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BENCH_QUICK  ?=

# What run.py needs built first. Each piece is optional: one that is missing or does not
# build yet becomes a SKIP row, so the make step ignores its failure (leading '-').
BENCH_PREREQS := $(BIN)/fsmc $(if $(RUNTIME_LIB),$(RUNTIME_LIB))

.PHONY: bench bench-prereqs
bench-prereqs:
	-@$(MAKE) -f $(firstword $(MAKEFILE_LIST)) --no-print-directory -k $(BENCH_PREREQS) >/dev/null 2>&1 || \
	    echo "bench: some prerequisites did not build ($(BENCH_PREREQS)); their rows will say so"

bench: bench-prereqs
	@mkdir -p $(BENCH_DIR)
	@CC="$(CC)" BENCH_CFLAGS="$(BENCH_CFLAGS)" BENCH_CPPFLAGS="$(CPPFLAGS)" \
	 BENCH_DIR="$(BENCH_DIR)" FSMC="$(BIN)/fsmc" RUNTIME_LIB="$(RUNTIME_LIB)" \
	 BENCH_QUICK="$(BENCH_QUICK)" python3 bench/run.py

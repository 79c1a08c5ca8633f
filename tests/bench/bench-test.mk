# tests/bench/bench-test.mk — `make test` runs every benchmark at tiny sizes (BENCH_QUICK=1)
# so they keep building and running; no timing is asserted. Output goes to a scratch dir so
# a quick run never overwrites the real build/bench/results.tsv.
.PHONY: test-bench
test-bench:
ifeq ($(SAN),1)
	@echo "SKIP: test-bench: the benchmarks build and measure the optimized library; the plain make test runs them"
else
	@$(MAKE) -f $(firstword $(MAKEFILE_LIST)) --no-print-directory bench BENCH_QUICK=1 BENCH_DIR=$(BUILD)/bench-quick
endif
# Joins make test once the TCP core exists (the stack benchmarks need it).
TEST_TARGETS += $(if $(STACK_READY),test-bench)

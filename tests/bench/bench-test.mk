# tests/bench/bench-test.mk — `make test` runs every benchmark at tiny sizes (BENCH_QUICK=1)
# so they keep building and running; no timing is asserted, but a dispatch contender that
# disagrees with the table backend on the same events (a correctness bug) fails. Output goes to a scratch dir so
# a quick run never overwrites the real build/bench/results.tsv.
.PHONY: test-bench
test-bench:
ifeq ($(SAN),1)
	@echo "SKIP: test-bench: the benchmarks build and measure the optimized library; the plain make test runs them"
else
	@mkdir -p $(BUILD)/bench-quick
	@$(MAKE) -f $(firstword $(MAKEFILE_LIST)) --no-print-directory bench BENCH_QUICK=1 \
	    BENCH_DIR=$(BUILD)/bench-quick >$(BUILD)/bench-quick/out.txt 2>&1; rc=$$?; \
	 cat $(BUILD)/bench-quick/out.txt; [ $$rc = 0 ] || exit $$rc; \
	 if grep -q "behaves differently" $(BUILD)/bench-quick/out.txt; then \
	     echo "test-bench: FAIL: a dispatch contender disagrees with the table backend on the same events"; \
	     exit 1; fi
endif
# Joins make test once the TCP core exists (the stack benchmarks need it).
TEST_TARGETS += $(if $(STACK_READY),test-bench)

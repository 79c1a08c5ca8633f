# tests/coverage/coverage.mk — transition-coverage heat map of spec/tcp.fsm.
#
#   make coverage-map       build fsmc and the runtime's test_tcp_* programs, run each with
#                           TCPFSM_COVERAGE_DIR=$(BUILD)/coverage (a test that calls
#                           rt_coverage_save(stack) appends its counts there as
#                           counts-<pid>.txt), merge the counts into $(BUILD)/tcp-coverage.txt
#                           and render $(BUILD)/tcp-coverage.{dot,svg} with fsmc --coverage
#   make test-coverage-map  fsmc --coverage on synthetic counts for spec/traffic_light.fsm;
#                           checks the DOT's markings (independent of the runtime tests)
#
# Counts format (fsmc(1), docs/fsm-language.md): "INDEX COUNT" lines, INDEX = row of
# tcp_fsm_transitions[]; '#' comments; repeated indexes add up.

COVERAGE_DIR  := $(BUILD)/coverage
# From the sources, not RT_TEST_BINS: tests/runtime/runtime.mk is read after this file. Its
# pattern rule builds them.
COVERAGE_BINS := $(patsubst tests/runtime/%.c,$(BUILD)/tests/runtime/%,$(wildcard tests/runtime/test_tcp_*.c))

.PHONY: coverage-map test-coverage-map
TEST_TARGETS += test-coverage-map

# A failing test program still contributes what it counted: the map is drawn and the failure
# reported (test-runtime is the gate for failures, this target only measures).
coverage-map: $(FSMC) $(COVERAGE_BINS)
	@rm -rf $(COVERAGE_DIR) && mkdir -p $(COVERAGE_DIR) $(BUILD)/tests/runtime
	@failed=; for t in $(COVERAGE_BINS); do \
	    echo "== $$t"; \
	    TCPFSM_COVERAGE_DIR=$(abspath $(COVERAGE_DIR)) TCPFSM_TEST_TMPDIR=$(BUILD)/tests/runtime $$t || failed="$$failed $$t"; \
	done; \
	: >$(BUILD)/tcp-coverage.txt; \
	for c in $(COVERAGE_DIR)/counts-*.txt; do [ -e "$$c" ] && cat "$$c" >>$(BUILD)/tcp-coverage.txt; done; \
	$(FSMC) --emit=dot --coverage=$(BUILD)/tcp-coverage.txt -o $(BUILD)/tcp-coverage.dot spec/tcp.fsm || exit 1; \
	dot -Tsvg $(BUILD)/tcp-coverage.dot -o $(BUILD)/tcp-coverage.svg || exit 1; \
	[ -n "$(COVERAGE_BINS)" ] || echo "coverage-map: note: no tests/runtime/test_tcp_*.c yet, so nothing was counted"; \
	[ -s $(BUILD)/tcp-coverage.txt ] || echo "coverage-map: note: no counts recorded (do the tests call rt_coverage_save?)"; \
	[ -z "$$failed" ] || echo "coverage-map: warning: these test programs failed (their counts are included):$$failed"; \
	echo "coverage-map: spec/tcp.fsm: $$(sed -n 's/^ *label="\(coverage: [^"]*\)";$$/\1/p' $(BUILD)/tcp-coverage.dot)" \
	     "(from $(words $(COVERAGE_BINS)) test program(s)) -> $(BUILD)/tcp-coverage.svg"

test-coverage-map: $(FSMC)
	@sh tests/coverage/check_map.sh $(FSMC) $(BUILD)/test-coverage-map

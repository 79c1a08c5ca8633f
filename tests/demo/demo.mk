# tests/demo/demo.mk — make test-demo: every tcpfsm-demo --scenario against its golden trace
# (tests/demo/NAME.golden), its --trace-json checked against its --pcap (tests/demo/check_json.py),
# captures reproducible byte for byte. make regen-demo rewrites the goldens after a change
# that is meant to alter a trace (review the diff before committing it).
TEST_TARGETS += $(if $(STACK_READY),test-demo)
.PHONY: test-demo regen-demo

test-demo: $(BIN)/tcpfsm-demo
	@sh tests/demo/run.sh $(BIN) $(BUILD)/tests/demo check

regen-demo: $(BIN)/tcpfsm-demo
	@sh tests/demo/run.sh $(BIN) $(BUILD)/tests/demo regen

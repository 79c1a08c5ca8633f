# tests/interop/interop.mk — `make test-interop`: the example programs against the Linux
# kernel's TCP (curl, python3, netcat-openbsd) over a TUN device, each test in a network
# namespace of its own (tests/netns.sh), captures checked with tshark. Without root each
# test prints "SKIP: <reason>" and passes. Part of `make test` once the TCP core exists.
# Captures and logs stay in $(BUILD)/tests/interop/<test>/ for post-mortem.

INTEROP_TESTS := $(sort $(wildcard tests/interop/test_*.sh))
INTEROP_DIR   := $(BUILD)/tests/interop

TEST_TARGETS += $(if $(STACK_READY),test-interop)
.PHONY: test-interop

test-interop: $(BIN)/tcpfsm-echo $(BIN)/tcpfsm-httpd $(BIN)/tcpfsm-nc
	@fail=0; for t in $(INTEROP_TESTS); do \
	    n=$$(basename $$t .sh); echo "== $$t"; \
	    timeout -k 5 45 sh $$t $(BIN) $(INTEROP_DIR)/$$n || { echo "FAILED: $$t"; fail=1; }; \
	done; \
	if [ $$fail -ne 0 ]; then echo "test-interop: FAILED (captures and logs in $(INTEROP_DIR))"; exit 1; fi; \
	echo "test-interop: all $(words $(INTEROP_TESTS)) interop tests passed (or skipped)"

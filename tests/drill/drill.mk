# tests/drill/drill.mk — packetdrill scripts against libtcpfsm through tcpfsm-drill
# (examples/drill/, built by examples/examples.mk): `make test-drill`, part of `make test`.
# tests/drill/run.sh runs every script with a fresh stack and prints "drill: N passed, M
# failed": *.pkt must pass, must-fail/*.pkt must fail with the message they name,
# known-bugs/*.pkt are stack bugs found and not fixed yet.

TEST_TARGETS += $(if $(STACK_READY),test-drill)
.PHONY: test-drill
test-drill: $(DRILL_BIN)
	@sh tests/drill/run.sh $(DRILL_BIN) tests/drill

# tests/player/player.mk — make test-player: tcpfsm-player's refusals, its page, and the
# page in headless Chromium against the trace it plays (tests/player/player_test.sh says how).
# Screenshots: $(BUILD)/test-player/*.png.
.PHONY: test-player
TEST_TARGETS += $(if $(STACK_READY),test-player)

test-player: $(PLAYER_BIN) $(BIN)/tcpfsm-demo
	@sh tests/player/player_test.sh $(PLAYER_BIN) $(BUILD)/test-player $(BIN)/tcpfsm-demo

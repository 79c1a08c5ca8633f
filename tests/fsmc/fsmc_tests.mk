# fsmc tests: check_fsmc (libcheck: diagnostics, exit codes, -W flags, reproducibility) and
# run_tests.sh (golden files, generated C under gcc+clang, backend equivalence, bad input).
# `make golden-fsmc` refreshes the golden files after an intended output change.
.PHONY: test-fsmc golden-fsmc
TEST_TARGETS += test-fsmc

$(BIN)/check_fsmc: tests/fsmc/check_fsmc.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(LDFLAGS) $(CHECK_LIBS)

test-fsmc: $(BIN)/fsmc $(BIN)/check_fsmc
	@mkdir -p $(BUILD)/test-fsmc
	$(BIN)/check_fsmc $(abspath $(BIN))/fsmc $(CURDIR)/tests/fsmc/errors $(abspath $(BUILD))/test-fsmc
	sh tests/fsmc/run_tests.sh $(BIN)/fsmc $(abspath $(BUILD))/test-fsmc

golden-fsmc: $(BIN)/fsmc
	sh tests/fsmc/run_tests.sh $(BIN)/fsmc $(abspath $(BUILD))/test-fsmc --refresh-golden

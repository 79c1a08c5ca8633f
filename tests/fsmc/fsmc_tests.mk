# fsmc tests: check_fsmc (libcheck: diagnostics, exit codes, -W flags, reproducibility) and
# run_tests.sh (golden files, generated C under gcc+clang, backend equivalence, bad input).
# `make golden-fsmc` refreshes the golden files after an intended output change.
.PHONY: test-fsmc golden-fsmc
TEST_TARGETS += test-fsmc

$(BIN)/check_fsmc: tests/fsmc/check_fsmc.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(LDFLAGS) $(CHECK_LIBS)

# the library's own tests (contexts, statuses) link fsmc's library, not the program
$(BIN)/check_fsmc_lib: tests/fsmc/check_fsmc_lib.c $(FSMC_LIB) $(FSMC_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Ifsmc $(CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(FSMC_LIB) $(LDFLAGS) $(CHECK_LIBS)

test-fsmc: $(BIN)/fsmc $(BIN)/check_fsmc $(BIN)/check_fsmc_lib
	@mkdir -p $(BUILD)/test-fsmc
	@# the library keeps no mutable static state: every compilation's state is its context's
	@if objdump -t $(FSMC_LIB) | grep -E '[[:space:]]\.(data|bss)[[:space:]]' | grep -v ' d  \.'; then \
	    echo "test-fsmc: FAIL: fsmc's library has mutable static data (above)"; exit 1; fi
	$(BIN)/check_fsmc $(abspath $(BIN))/fsmc $(CURDIR)/tests/fsmc/errors $(abspath $(BUILD))/test-fsmc
	$(BIN)/check_fsmc_lib $(abspath $(BIN))/fsmc $(CURDIR) $(abspath $(BUILD))/test-fsmc/lib
	sh tests/fsmc/run_tests.sh $(BIN)/fsmc $(abspath $(BUILD))/test-fsmc
	sh tests/fsmc/readme_commands.sh $(BIN)/fsmc $(abspath $(BUILD))/test-fsmc/readme

golden-fsmc: $(BIN)/fsmc
	sh tests/fsmc/run_tests.sh $(BIN)/fsmc $(abspath $(BUILD))/test-fsmc --refresh-golden

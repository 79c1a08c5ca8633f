# tests/runtime/runtime.mk — Check unit tests of the runtime.
#
# Every tests/runtime/test_NAME.c becomes $(BUILD)/tests/runtime/test_NAME, linked with the
# shared helpers in tests/runtime/lib/*.c and the static library (which keeps the internal
# symbols the tests need). `make test-runtime` runs them all and fails if any fails.
#
# test_tcp_transitions is one program of several files: test_tcp_transitions.c (the suite and
# its spec coverage total, which fails the run below 100% of spec/tcp.fsm's rows) and the
# tests in tests/runtime/transitions/*.c, one file per part of the spec (transitions/tr.h).

RT_TEST_SRCS     := $(wildcard tests/runtime/test_*.c)
RT_TEST_BINS     := $(patsubst tests/runtime/%.c,$(BUILD)/tests/runtime/%,$(RT_TEST_SRCS))
RT_TEST_LIB_SRCS := $(wildcard tests/runtime/lib/*.c)
RT_TEST_LIB_OBJS := $(patsubst tests/runtime/%.c,$(OBJ)/tests/runtime/%.o,$(RT_TEST_LIB_SRCS))
RT_TR_SRCS       := $(wildcard tests/runtime/transitions/*.c)
RT_TR_OBJS       := $(patsubst tests/runtime/%.c,$(OBJ)/tests/runtime/%.o,$(RT_TR_SRCS))
RT_TEST_CPPFLAGS := $(RUNTIME_INCLUDES) -I$(RUNTIME_GEN_DIR) -Itests/runtime/lib
RT_TEST_CFLAGS   := $(CHECK_CFLAGS)

TEST_TARGETS += test-runtime
.PHONY: test-runtime
# Keep the objects (make would delete them as intermediates and recompile every time).
.SECONDARY: $(patsubst tests/runtime/%.c,$(OBJ)/tests/runtime/%.o,$(RT_TEST_SRCS)) \
            $(RT_TEST_LIB_OBJS) $(RT_TR_OBJS)

# Some tests include the generated tcp.h: the one the library was built with.
$(OBJ)/tests/runtime/%.o: tests/runtime/%.c tests/runtime/runtime.mk | $(RUNTIME_GEN)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(RT_TEST_CPPFLAGS) $(CFLAGS) $(RT_TEST_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/runtime/test_%: $(OBJ)/tests/runtime/test_%.o $(RT_TEST_LIB_OBJS) $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(RT_TEST_LIB_OBJS) $(RUNTIME_LIB) $(CHECK_LIBS)

# An explicit rule: it wins over the pattern rule above.
$(BUILD)/tests/runtime/test_tcp_transitions: $(OBJ)/tests/runtime/test_tcp_transitions.o \
        $(RT_TR_OBJS) $(RT_TEST_LIB_OBJS) $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(RT_TR_OBJS) $(RT_TEST_LIB_OBJS) $(RUNTIME_LIB) $(CHECK_LIBS)

# Runs every binary even after a failure, so one run shows every broken group.
test-runtime: check-rooms $(RT_TEST_BINS)
	@fail=0; for t in $(RT_TEST_BINS); do \
	    echo "== $$t"; \
	    TCPFSM_TEST_TMPDIR=$(BUILD)/tests/runtime $$t || { echo "FAILED: $$t"; fail=1; }; \
	done; \
	if [ $$fail -ne 0 ]; then echo "test-runtime: FAILED"; exit 1; fi; \
	echo "test-runtime: all $(words $(RT_TEST_BINS)) runtime test programs passed"

-include $(RT_TEST_BINS:$(BUILD)/%=$(OBJ)/%.d) $(RT_TEST_LIB_OBJS:.o=.d) $(RT_TR_OBJS:.o=.d)

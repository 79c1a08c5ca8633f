# tests/fuzz/fuzz.mk — fuzzing (included by tests/tests.mk).
#
#   make fuzz [FUZZ_SECONDS=60]   build the libFuzzer harnesses with clang and
#                                 -fsanitize=fuzzer,address,undefined into $(BUILD)/fuzz/ and
#                                 run each for FUZZ_SECONDS on a scratch copy of its corpus
#   make test-fuzz-corpus         replay every seed and regression input through the same
#                                 harnesses with a plain main() (any compiler; sanitized
#                                 under SAN=1) — part of `make test`
#
# Harnesses: fuzz_packet.c (the stack's packet input path, two stacks and an established
# connection), fuzz_fsmc.c (the fsmc front end and backends on one in-memory spec),
# fuzz_drill.c (tcpfsm-drill: a packetdrill script parsed, checked and run on a fresh stack),
# fuzz_eth.c (runtime/link/: Ethernet frames and ARP in front of a listening stack),
# fuzz_vnet.c (runtime/link/vnet.c: virtio-net headers and GSO packets from a TUN device).
# A crash found by `make fuzz` is minimized and committed to tests/fuzz/regressions/NAME/,
# where test-fuzz-corpus replays it forever (see tests/fuzz/README.md).

FUZZ_SECONDS  ?= 60
FUZZ_CC       ?= clang
FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_HERE     := tests/fuzz
# The packet harness needs the runtime; until runtime/runtime.mk exists it is skipped, loudly.
FUZZ_HARNESSES := $(if $(STACK_READY),packet) fsmc $(if $(STACK_READY),drill eth vnet)

# Sources of the code under test, compiled again with the fuzzer's instrumentation (never the
# objects of the normal build). The runtime: $(RUNTIME_SRCS) if runtime.mk names them, else
# every runtime/*.c; not the TUN and TAP devices or the AF_PACKET socket, nor the shards that
# open them (runtime/shard/shards.c: threads over TUN queues). fsmc: the library (everything
# but main()), with the flex lexer and bison parser as fsmc.mk generates them.
FUZZ_RUNTIME_SRCS ?= $(filter-out %/tun.c %/link/tap.c %/shard/shards.c,$(or $(RUNTIME_SRCS),$(wildcard runtime/*.c)))
FUZZ_FSMC_GEN     ?= $(OBJ)/fsmc
FUZZ_FSMC_LEXER_C ?= $(FUZZ_FSMC_GEN)/lexer.c
FUZZ_FSMC_PARSER_C ?= $(FUZZ_FSMC_GEN)/parser.c
FUZZ_FSMC_SRCS    ?= $(filter-out fsmc/main.c,$(wildcard fsmc/*.c)) \
                     $(FUZZ_FSMC_PARSER_C) $(FUZZ_FSMC_LEXER_C)

FUZZ_SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                 -fno-omit-frame-pointer
# -Werror is left out on purpose: the fuzz build must not break on a new clang warning in
# code this fragment does not own; the normal build already enforces it.
FUZZ_CFLAGS   := -O1 -g -std=c11 -Wall -Wextra $(FUZZ_SANFLAGS) -fsanitize=fuzzer-no-link
FUZZ_CPPFLAGS  = $(CPPFLAGS) $(RUNTIME_INCLUDES) -Igenerated -Ifsmc -I$(FUZZ_FSMC_GEN) -I$(FUZZ_HERE)

# flex's and bison's output is not -Wall clean; only the objects that hold it get this.
FUZZ_GEN_CFLAGS := -Wno-error $(FSMC_GEN_CFLAGS) -Wno-unused-function -Wno-sign-compare \
                   -Wno-unused-parameter -Wno-missing-prototypes -Wno-missing-field-initializers

fuzz_objs = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(1))
FUZZ_PACKET_OBJS := $(call fuzz_objs,$(FUZZ_HERE)/fuzz_packet.c $(FUZZ_RUNTIME_SRCS))
FUZZ_FSMC_OBJS   := $(call fuzz_objs,$(FUZZ_HERE)/fuzz_fsmc.c $(FUZZ_FSMC_SRCS))

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(call fuzz_objs,$(FUZZ_FSMC_PARSER_C) $(FUZZ_FSMC_LEXER_C)): \
    FUZZ_CFLAGS += $(FUZZ_GEN_CFLAGS)
$(call fuzz_objs,$(FUZZ_FSMC_LEXER_C) $(FUZZ_HERE)/fuzz_fsmc.c): \
    $(FUZZ_FSMC_LEXER_C) $(FUZZ_FSMC_PARSER_C)

$(FUZZ_DIR)/fuzz-packet: $(FUZZ_PACKET_OBJS)
	$(FUZZ_CC) $(FUZZ_SANFLAGS) -fsanitize=fuzzer $^ -o $@ -lm
FUZZ_ETH_OBJS := $(call fuzz_objs,$(FUZZ_HERE)/fuzz_eth.c $(FUZZ_RUNTIME_SRCS))
$(FUZZ_DIR)/fuzz-eth: $(FUZZ_ETH_OBJS)
	$(FUZZ_CC) $(FUZZ_SANFLAGS) -fsanitize=fuzzer $^ -o $@ -lm
FUZZ_VNET_OBJS := $(call fuzz_objs,$(FUZZ_HERE)/fuzz_vnet.c $(FUZZ_RUNTIME_SRCS))
$(FUZZ_DIR)/fuzz-vnet: $(FUZZ_VNET_OBJS)
	$(FUZZ_CC) $(FUZZ_SANFLAGS) -fsanitize=fuzzer $^ -o $@ -lm
$(FUZZ_DIR)/fuzz-fsmc: $(FUZZ_FSMC_OBJS)
	$(FUZZ_CC) $(FUZZ_SANFLAGS) -fsanitize=fuzzer $^ -o $@ -lm

fuzz: $(addprefix $(FUZZ_DIR)/fuzz-,$(FUZZ_HARNESSES))
	@sh $(FUZZ_HERE)/run_fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

# ---- replay: the same harness code, a standalone main(), the normal compiler and flags ----
FUZZ_REPLAY_DIR := $(OBJ)/fuzz
FUZZ_REPLAY_CPPFLAGS = $(FUZZ_CPPFLAGS)
replay_objs = $(patsubst %.c,$(FUZZ_REPLAY_DIR)/%.o,$(1))
# The packet replay links the library the normal build makes (plain, or sanitized under SAN=1).
FUZZ_REPLAY_PACKET_OBJS := $(call replay_objs,$(FUZZ_HERE)/fuzz_packet.c \
                             $(FUZZ_HERE)/standalone.c) $(RUNTIME_LIB)
FUZZ_REPLAY_FSMC_OBJS   := $(call replay_objs,$(FUZZ_HERE)/fuzz_fsmc.c \
                             $(FUZZ_HERE)/standalone.c $(FUZZ_FSMC_SRCS))

$(FUZZ_REPLAY_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_REPLAY_CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(call replay_objs,$(FUZZ_FSMC_PARSER_C) $(FUZZ_FSMC_LEXER_C)): \
    CFLAGS += $(FUZZ_GEN_CFLAGS)
$(call replay_objs,$(FUZZ_FSMC_LEXER_C) $(FUZZ_HERE)/fuzz_fsmc.c): \
    $(FUZZ_FSMC_LEXER_C) $(FUZZ_FSMC_PARSER_C)

$(FUZZ_REPLAY_DIR)/replay-packet: $(FUZZ_REPLAY_PACKET_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ -lm
$(FUZZ_REPLAY_DIR)/replay-eth: $(call replay_objs,$(FUZZ_HERE)/fuzz_eth.c \
                                  $(FUZZ_HERE)/standalone.c) $(RUNTIME_LIB)
	$(CC) $(LDFLAGS) $^ -o $@ -lm
$(FUZZ_REPLAY_DIR)/replay-vnet: $(call replay_objs,$(FUZZ_HERE)/fuzz_vnet.c \
                                  $(FUZZ_HERE)/standalone.c) $(RUNTIME_LIB)
	$(CC) $(LDFLAGS) $^ -o $@ -lm
$(FUZZ_REPLAY_DIR)/replay-fsmc: $(FUZZ_REPLAY_FSMC_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ -lm

# tcpfsm-drill (examples/drill/, whose flex and bison outputs examples/examples.mk makes into
# DRILL_GEN): everything but its main(), with the runtime.
FUZZ_DRILL_GEN  ?= $(OBJ)/examples/drill
FUZZ_DRILL_SRCS := $(filter-out examples/drill/main.c,$(wildcard examples/drill/*.c)) \
                   $(FUZZ_DRILL_GEN)/parser.c $(FUZZ_DRILL_GEN)/lexer.c
FUZZ_DRILL_OBJS := $(call fuzz_objs,$(FUZZ_HERE)/fuzz_drill.c $(FUZZ_DRILL_SRCS) $(FUZZ_RUNTIME_SRCS))
$(FUZZ_DIR)/fuzz-drill: $(FUZZ_DRILL_OBJS)
	$(FUZZ_CC) $(FUZZ_SANFLAGS) -fsanitize=fuzzer $^ -o $@ -lm
FUZZ_REPLAY_DRILL_OBJS := $(call replay_objs,$(FUZZ_HERE)/fuzz_drill.c $(FUZZ_HERE)/standalone.c \
                            $(FUZZ_DRILL_SRCS)) $(RUNTIME_LIB)
$(FUZZ_REPLAY_DIR)/replay-drill: $(FUZZ_REPLAY_DRILL_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ -lm
fuzz_drill_objs = $(call fuzz_objs,$(1)) $(call replay_objs,$(1))
$(call fuzz_drill_objs,$(FUZZ_HERE)/fuzz_drill.c $(FUZZ_DRILL_SRCS)): \
    FUZZ_CPPFLAGS += -Iexamples -Iexamples/drill -I$(FUZZ_DRILL_GEN)
$(call fuzz_drill_objs,$(FUZZ_HERE)/fuzz_drill.c $(FUZZ_DRILL_SRCS)): \
    $(FUZZ_DRILL_GEN)/drill_parser.h
$(call fuzz_objs,$(FUZZ_DRILL_GEN)/parser.c $(FUZZ_DRILL_GEN)/lexer.c): \
    FUZZ_CFLAGS += $(FUZZ_GEN_CFLAGS)
$(call replay_objs,$(FUZZ_DRILL_GEN)/parser.c $(FUZZ_DRILL_GEN)/lexer.c): \
    CFLAGS += $(FUZZ_GEN_CFLAGS)

# Every input must run to the end: a crash, a sanitizer report or a leak fails the test.
# stderr (fsmc's diagnostics for the odd specs) goes to a log shown only on failure.
test-fuzz-corpus: $(addprefix $(FUZZ_REPLAY_DIR)/replay-,$(FUZZ_HARNESSES))
	@for h in $(FUZZ_HARNESSES); do \
	    log=$(FUZZ_REPLAY_DIR)/replay-$$h.log; \
	    $(FUZZ_REPLAY_DIR)/replay-$$h $$(ls -d $(FUZZ_HERE)/corpus/$$h $(FUZZ_HERE)/regressions/$$h \
	        2>/dev/null) 2>$$log || { tail -40 $$log; echo "test-fuzz-corpus: $$h: FAILED"; exit 1; }; \
	done
	@$(if $(STACK_READY),,echo "test-fuzz-corpus: packet: SKIPPED, the TCP core (runtime/stack.c) is not in this tree";)
	@echo "test-fuzz-corpus: every seed and regression input replayed cleanly"

# Rewrite the packet seeds from their recipes (after changing the record format).
fuzz-seeds:
	python3 $(FUZZ_HERE)/gen_packet_corpus.py $(FUZZ_HERE)/corpus/packet

.PHONY: test-fuzz-corpus fuzz-seeds
TEST_TARGETS += test-fuzz-corpus

-include $(wildcard $(FUZZ_DIR)/obj/*/*.d $(FUZZ_DIR)/obj/*/*/*.d $(FUZZ_DIR)/obj/*/*/*/*.d)
-include $(wildcard $(FUZZ_REPLAY_DIR)/*/*.d $(FUZZ_REPLAY_DIR)/*/*/*.d $(FUZZ_REPLAY_DIR)/*/*/*/*.d)

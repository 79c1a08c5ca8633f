# examples/examples.mk — the example programs, linked with the STATIC libtcpfsm (they use
# memlink/tun/pcap, which the shared library does not export). Being static they need no
# library path once installed, wherever PREFIX is (tests/install checks it).
#
#   $(BIN)/tcpfsm-echo  tcpfsm-httpd  tcpfsm-nc  tcpfsm-demo, and examples/NAME.1 for each
#
# They join ALL_TARGETS once the TCP core (runtime/stack.c) exists; before that only their
# objects can be built (make examples-objs). `make test-examples` runs each one on the
# in-memory link (no root needed), checks the TUN error path, and checks --version, --help
# and the man pages against each other (tests/examples/cli_test.sh).

EX_PROGS     := tcpfsm-echo tcpfsm-httpd tcpfsm-nc tcpfsm-demo
EX_BINS      := $(addprefix $(BIN)/,$(EX_PROGS))
EX_COMMON    := $(OBJ)/examples/netio.o
EX_CPPFLAGS  := $(RUNTIME_INCLUDES) -Iexamples
EX_ALL_OBJS  := $(EX_COMMON) $(addprefix $(OBJ)/examples/,$(addsuffix .o,$(EX_PROGS)))

ALL_TARGETS  += $(if $(STACK_READY),$(EX_BINS))
TEST_TARGETS += $(if $(STACK_READY),test-examples)

.PHONY: examples examples-objs test-examples
examples: $(EX_BINS)
examples-objs: $(EX_ALL_OBJS)
.SECONDARY: $(EX_ALL_OBJS)

$(OBJ)/examples/%.o: examples/%.c examples/examples.mk
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(EX_CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(EX_BINS): $(BIN)/%: $(OBJ)/examples/%.o $(EX_COMMON) $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(EX_COMMON) $(EX_MORE_$*) $(RUNTIME_LIB)

# tcpfsm-demo's world and scenarios (examples/demo/): tests/demo/demo.mk checks their traces.
EX_MORE_tcpfsm-demo := $(patsubst examples/%.c,$(OBJ)/examples/%.o,$(wildcard examples/demo/*.c))
$(BIN)/tcpfsm-demo: $(EX_MORE_tcpfsm-demo)
.SECONDARY: $(EX_MORE_tcpfsm-demo)
-include $(EX_MORE_tcpfsm-demo:.o=.d)

# Each program on the in-memory link with its built-in peer; the TUN error path must be a
# clean exit 1 (a bad device name is refused before anything is created). tcpfsm-echo also runs
# its most clients at once (--clients 1000): their handshakes overflow the listener's backlog
# (SYN cookies), and every one must still be echoed; and its most daytime clients, which the
# server speaks to first: each must get its line (paced, as a burst of them would lose the
# ACKs of cookies the full accept queue dropped).
test-examples: $(EX_BINS) $(BIN)/fsmc
	@set -e; d=$(BUILD)/tests/examples; rm -rf $$d; mkdir -p $$d; \
	for p in $(EX_BINS); do $$p --help >/dev/null; done; \
	echo "== tcpfsm-demo"; timeout 60 $(BIN)/tcpfsm-demo --pcap $$d/demo.pcap >$$d/demo.out; \
	grep -q "transfer complete" $$d/demo.out; \
	timeout 60 $(BIN)/tcpfsm-demo --echo --bytes 200000 --loss 0.02 --seed 7 >$$d/demo-echo.out; \
	echo "== tcpfsm-echo"; timeout 60 $(BIN)/tcpfsm-echo --clients 5 --bytes 300000; \
	timeout 60 $(BIN)/tcpfsm-echo --clients 1000 --bytes 20000; \
	timeout 60 $(BIN)/tcpfsm-echo --daytime --clients 5 | grep -q "one daytime line: .*-UTC"; \
	timeout 60 $(BIN)/tcpfsm-echo --daytime --clients 1000 | grep -q "1000 clients each read"; \
	echo "== tcpfsm-httpd"; timeout 60 $(BIN)/tcpfsm-httpd README.md runtime/tcpfsm.h spec; \
	timeout 60 $(BIN)/tcpfsm-httpd; \
	echo "== tcpfsm-nc"; head -c 300000 /dev/urandom >$$d/nc.in; \
	timeout 60 $(BIN)/tcpfsm-nc 10.0.0.1 7 <$$d/nc.in >$$d/nc.out; cmp $$d/nc.in $$d/nc.out; \
	timeout 60 $(BIN)/tcpfsm-nc -l 5000 <$$d/nc.in >$$d/nc.out; cmp $$d/nc.in $$d/nc.out; \
	echo "== TUN error path"; \
	if timeout 10 $(BIN)/tcpfsm-echo --tun this-name-is-far-too-long --addr 10.0.0.2/24 2>$$d/tun.err; \
	then echo "tcpfsm-echo: accepted a bad TUN name"; exit 1; fi; \
	grep -q "cannot open TUN device" $$d/tun.err; \
	echo "== --version, --help, man pages"; sh tests/examples/cli_test.sh $(BIN) $(VERSION) $(EX_PROGS) $(EX_CLI_MORE); \
	echo "== --ss census against its listing"; sh tests/examples/ss_census_test.sh $(BIN); \
	echo "test-examples: all example programs passed on the in-memory link"

-include $(EX_ALL_OBJS:.o=.d)

# ---- tcpfsm-drill: packetdrill scripts against the stack, on a virtual clock ----
# examples/drill/: a reentrant flex scanner and a pure bison parser (generated into
# $(OBJ)/examples/drill, as fsmc's are) and the interpreter; linked like the programs above.
# tests/drill/drill.mk runs tests/drill/*.pkt with it (make test-drill).
DRILL_BIN      := $(BIN)/tcpfsm-drill
DRILL_GEN      := $(OBJ)/examples/drill
DRILL_OBJS     := $(patsubst examples/drill/%.c,$(DRILL_GEN)/%.o,$(wildcard examples/drill/*.c)) \
                  $(DRILL_GEN)/parser.o $(DRILL_GEN)/lexer.o
DRILL_CPPFLAGS := $(RUNTIME_INCLUDES) -Iexamples -Iexamples/drill -I$(DRILL_GEN)
ALL_TARGETS    += $(if $(STACK_READY),$(DRILL_BIN))
EX_CLI_MORE    += tcpfsm-drill
test-examples: $(DRILL_BIN)
.SECONDARY: $(DRILL_OBJS)

# the header's name is its own: fsmc's generated parser.h may be on the same include path
$(DRILL_GEN)/parser.c $(DRILL_GEN)/drill_parser.h &: examples/drill/parser.y
	@mkdir -p $(DRILL_GEN)
	bison -Wall -Werror --defines=$(DRILL_GEN)/drill_parser.h -o $(DRILL_GEN)/parser.c $<

$(DRILL_GEN)/lexer.c: examples/drill/lexer.l
	@mkdir -p $(DRILL_GEN)
	flex -o $@ $<

$(DRILL_GEN)/parser.o $(DRILL_GEN)/lexer.o: $(DRILL_GEN)/%.o: $(DRILL_GEN)/%.c \
        $(DRILL_GEN)/drill_parser.h examples/drill/drill.h
	$(CC) $(CPPFLAGS) $(DRILL_CPPFLAGS) $(CFLAGS) $(FSMC_GEN_CFLAGS) -c -o $@ $<

$(DRILL_GEN)/%.o: examples/drill/%.c $(DRILL_GEN)/drill_parser.h examples/examples.mk
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(DRILL_CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(DRILL_BIN): $(DRILL_OBJS) $(EX_COMMON) $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(DRILL_OBJS) $(EX_COMMON) $(RUNTIME_LIB)

-include $(DRILL_OBJS:.o=.d)

# ---- tcpfsm-player: a trace played on the state diagrams, one HTML page ----
include examples/player/player.mk

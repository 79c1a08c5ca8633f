# examples/player/player.mk — tcpfsm-player, a trace player in one HTML page (included by
# examples/examples.mk).
#
#   $(BIN)/tcpfsm-player      reads TRACE.json (tcpfsm-demo --trace-json), writes the page
#   $(BUILD)/demo-player.html the player of $(BUILD)/demo-trace.json (for make demo)
#
# The page's template (player.html, .css, .js) and what it draws are built into the program
# (resources.S, .incbin): fsmc's overview and full view of spec/tcp.fsm, drawn by Graphviz,
# and fsmc's JSON of the machine, all made here into $(PLAYER_GEN) from the spec the library
# runs, never from the committed generated/ (tests/build checks that no build line reads it).
PLAYER_BIN  := $(BIN)/tcpfsm-player
PLAYER_GEN  := $(BUILD)/gen/player
PLAYER_OBJS := $(OBJ)/examples/player/tcpfsm-player.o $(OBJ)/examples/player/json.o \
               $(OBJ)/examples/player/resources.o
PLAYER_TPL  := examples/player/player.html examples/player/player.css examples/player/player.js
PLAYER_DIAG := $(PLAYER_GEN)/tcp.svg $(PLAYER_GEN)/tcp-overview.svg $(PLAYER_GEN)/tcp.json

ALL_TARGETS += $(if $(STACK_READY),$(PLAYER_BIN))
EX_CLI_MORE += tcpfsm-player
test-examples: $(PLAYER_BIN)
.SECONDARY: $(PLAYER_OBJS)

# one fsmc run writes the three views' sources; dot draws the two diagrams
$(PLAYER_GEN)/tcp.dot $(PLAYER_GEN)/tcp-overview.dot $(PLAYER_GEN)/tcp.json &: spec/tcp.fsm $(BIN)/fsmc
	@mkdir -p $(PLAYER_GEN)
	$(BIN)/fsmc --emit=dot,json --view=full,overview --output-dir=$(PLAYER_GEN) spec/tcp.fsm

$(PLAYER_GEN)/%.svg: $(PLAYER_GEN)/%.dot
	dot -Tsvg $< -o $@

$(OBJ)/examples/player/resources.o: examples/player/resources.S $(PLAYER_TPL) $(PLAYER_DIAG)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wa,-Iexamples/player -Wa,-I$(PLAYER_GEN) -c -o $@ $<

$(OBJ)/examples/player/%.o: examples/player/%.c examples/player/player.mk
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(EX_CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(PLAYER_BIN): $(PLAYER_OBJS) $(EX_COMMON) $(RUNTIME_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(PLAYER_OBJS) $(EX_COMMON) $(RUNTIME_LIB)

# make demo's player: the trace the demo writes with --trace-json, played
$(BUILD)/demo-player.html: $(BUILD)/demo-trace.json $(PLAYER_BIN)
	$(PLAYER_BIN) -o $@ $<

-include $(PLAYER_OBJS:.o=.d)

# runtime/runtime.mk — libtcpfsm (static and shared), built from runtime/*.c (the top: stack.c,
# socket.c) and the rooms below it: base/, core/, tcp/ (tcp_fsm_glue.c #includes the generated
# tcp.c), ip/, link/, shard/ (docs/ARCHITECTURE.md). The wildcard picks up new files; -MMD -MP
# dependency files track headers and the #included generated sources. The shared library exports only tcpfsm_* (libtcpfsm.map);
# the static library keeps every symbol so unit tests can reach the internal modules.
#
# The TCP machine the library runs is spec/tcp.fsm as it is now: this build's fsmc compiles it
# into $(RUNTIME_GEN_DIR)/tcp.{c,h}, remade whenever the spec or fsmc changes. The committed
# generated/ is never read or written by the build: only `make regen` writes it, and
# `make check-regen` (in make test) fails while it differs from what fsmc makes of spec/.
# (Compiling generated/ directly ran the old tables after a spec edit until someone ran make
# regen; a rule remaking generated/ itself on mtimes would rewrite committed files during a
# build, and a CI build would then hide the very drift check-regen exists to find.)

RUNTIME_ROOMS    := base core tcp ip link shard
RUNTIME_SRCS     := $(wildcard runtime/*.c $(RUNTIME_ROOMS:%=runtime/%/*.c))
RUNTIME_OBJS     := $(patsubst runtime/%.c,$(OBJ)/runtime/%.o,$(RUNTIME_SRCS))
RUNTIME_GEN_DIR  := $(BUILD)/gen
RUNTIME_GEN      := $(RUNTIME_GEN_DIR)/tcp.c $(RUNTIME_GEN_DIR)/tcp.h
# Every room's directory is on the include path, for the library and for whatever builds against
# its internals (examples, tests, fuzz, bench); tools/check_rooms.sh keeps the includes layered.
RUNTIME_INCLUDES := -Iruntime $(RUNTIME_ROOMS:%=-Iruntime/%)
RUNTIME_CPPFLAGS := $(RUNTIME_INCLUDES) -I$(RUNTIME_GEN_DIR)
# -fno-semantic-interposition: the shared library exports only tcpfsm_* (RUNTIME_MAP), so no
# call between the library's own functions can be interposed; without it gcc keeps every call
# to a global function of the same file out of line under -fPIC (clang assumes this already).
RUNTIME_CFLAGS   := -fPIC -fno-semantic-interposition
RUNTIME_LIB      := $(LIBDIR)/libtcpfsm.a
RUNTIME_SO_NAME  := libtcpfsm.so.0
RUNTIME_SO       := $(LIBDIR)/libtcpfsm.so.$(TCPFSM_SOVERSION)
RUNTIME_SO_LINKS := $(LIBDIR)/$(RUNTIME_SO_NAME) $(LIBDIR)/libtcpfsm.so
RUNTIME_MAP      := runtime/libtcpfsm.map
# shard/ (tcpfsm_shards.h) runs a thread per shard: the library and every program linked with
# it, static or shared, compile and link with -pthread.
CFLAGS  += -pthread
LDFLAGS += -pthread

ALL_TARGETS += $(RUNTIME_LIB) $(RUNTIME_SO) $(RUNTIME_SO_LINKS)

# One run writes both files (a pattern rule with two targets is one recipe). The objects wait
# for them on a first build; afterwards their .d files name what each one includes.
$(RUNTIME_GEN_DIR)/%.c $(RUNTIME_GEN_DIR)/%.h: spec/%.fsm $(BIN)/fsmc
	@mkdir -p $(@D)
	$(BIN)/fsmc --emit=c --output-dir=$(@D) $<

$(RUNTIME_OBJS): | $(RUNTIME_GEN)

$(OBJ)/runtime/%.o: runtime/%.c runtime/runtime.mk
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(RUNTIME_CPPFLAGS) $(CFLAGS) $(RUNTIME_CFLAGS) -MMD -MP -c -o $@ $<

$(RUNTIME_LIB): $(RUNTIME_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(RUNTIME_OBJS)

$(RUNTIME_SO): $(RUNTIME_OBJS) $(RUNTIME_MAP)
	@mkdir -p $(@D)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(RUNTIME_SO_NAME) \
	    -Wl,--version-script=$(RUNTIME_MAP) -o $@ $(RUNTIME_OBJS)

$(LIBDIR)/$(RUNTIME_SO_NAME): $(RUNTIME_SO)
	ln -sf $(notdir $(RUNTIME_SO)) $@

$(LIBDIR)/libtcpfsm.so: $(LIBDIR)/$(RUNTIME_SO_NAME)
	ln -sf $(RUNTIME_SO_NAME) $@

-include $(RUNTIME_OBJS:.o=.d)

# The rooms stay layered: no file includes a header of a room above its own
# (tests/style/check_rooms.sh; docs/ARCHITECTURE.md shows the picture).
.PHONY: check-rooms
check-rooms:
	@sh tests/style/check_rooms.sh
TEST_TARGETS += check-rooms

# runtime/packetdrill/packetdrill.mk — libtcpfsm-packetdrill.so, the adapter real packetdrill
# loads with --so_filename (docs/packetdrill.md). The runtime's objects (already -fPIC) are
# linked into it, so the one file is all packetdrill needs, and it exports one symbol,
# packetdrill_interface_init (libtcpfsm-packetdrill.map). Its test: tests/packetdrill/.

PD_SRCS := $(wildcard runtime/packetdrill/*.c)
PD_OBJS := $(patsubst runtime/packetdrill/%.c,$(OBJ)/packetdrill/%.o,$(PD_SRCS))
PD_SO   := $(LIBDIR)/libtcpfsm-packetdrill.so
PD_MAP  := runtime/packetdrill/libtcpfsm-packetdrill.map

ALL_TARGETS += $(if $(STACK_READY),$(PD_SO))

.PHONY: packetdrill-so
packetdrill-so: $(PD_SO)

$(OBJ)/packetdrill/%.o: runtime/packetdrill/%.c runtime/packetdrill/packetdrill.mk
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(RUNTIME_INCLUDES) $(CFLAGS) -fPIC -pthread -MMD -MP -c -o $@ $<

# -z defs: every symbol resolved now, not at dlopen inside packetdrill.
$(PD_SO): $(PD_OBJS) $(RUNTIME_OBJS) $(PD_MAP)
	@mkdir -p $(@D)
	$(CC) -shared $(LDFLAGS) -pthread -Wl,--version-script=$(PD_MAP) -Wl,-z,defs \
	    -o $@ $(PD_OBJS) $(RUNTIME_OBJS)

-include $(PD_OBJS:.o=.d)

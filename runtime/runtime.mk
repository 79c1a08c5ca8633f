# runtime/runtime.mk — libtcpfsm (static and shared), built from every runtime/*.c.
#
# Other rooms add files here (tcp_*.c, stack.c, api.c, tcp_fsm_glue.c which #includes
# generated/tcp.c); the wildcard picks them up and -MMD -MP dependency files track headers and
# the #included generated sources. The shared library exports only tcpfsm_* (libtcpfsm.map);
# the static library keeps every symbol so unit tests can reach the internal modules.

RUNTIME_SRCS     := $(wildcard runtime/*.c)
RUNTIME_OBJS     := $(patsubst runtime/%.c,$(OBJ)/runtime/%.o,$(RUNTIME_SRCS))
RUNTIME_CPPFLAGS := -Iruntime -Igenerated
RUNTIME_CFLAGS   := -fPIC
RUNTIME_LIB      := $(LIBDIR)/libtcpfsm.a
RUNTIME_SO_NAME  := libtcpfsm.so.0
RUNTIME_SO       := $(LIBDIR)/libtcpfsm.so.$(TCPFSM_SOVERSION)
RUNTIME_SO_LINKS := $(LIBDIR)/$(RUNTIME_SO_NAME) $(LIBDIR)/libtcpfsm.so
RUNTIME_MAP      := runtime/libtcpfsm.map

ALL_TARGETS += $(RUNTIME_LIB) $(RUNTIME_SO) $(RUNTIME_SO_LINKS)

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

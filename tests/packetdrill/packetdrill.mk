# tests/packetdrill/packetdrill.mk — make test-packetdrill: libtcpfsm-packetdrill.so
# (runtime/packetdrill/) driven as packetdrill drives it by so_selftest (always), then by real
# packetdrill over tests/packetdrill/*.pkt and tests/drill/*.pkt when PACKETDRILL names a
# packetdrill binary (never in CI: packetdrill is not a Debian package; docs/packetdrill.md).

PD_SELFTEST := $(BUILD)/tests/packetdrill/so_selftest

TEST_TARGETS += $(if $(STACK_READY),test-packetdrill)

.PHONY: test-packetdrill
$(PD_SELFTEST): tests/packetdrill/so_selftest.c $(RUNTIME_LIB) tests/packetdrill/packetdrill.mk
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(RUNTIME_INCLUDES) -Iruntime/packetdrill $(CFLAGS) -pthread -o $@ $< \
	    $(RUNTIME_LIB) $(LDFLAGS) -ldl

test-packetdrill: $(PD_SO) $(PD_SELFTEST)
	@sh tests/packetdrill/packetdrill_so_test.sh $(PD_SO) $(PD_SELFTEST)

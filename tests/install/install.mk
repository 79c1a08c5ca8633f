# Install into a scratch prefix and use it like a user would (pkg-config, static + shared).
.PHONY: test-install
test-install: build-all
ifeq ($(SAN),1)
	@echo "SKIP: test-install checks the ordinary build (an installed ASan library needs ASan programs)"
else
	@env -u MAKEFLAGS -u MFLAGS VERSION=$(VERSION) sh tests/install/install_test.sh
endif
# Joins make test once the TCP core exists (hello.c runs a real connection).
TEST_TARGETS += $(if $(STACK_READY),test-install)

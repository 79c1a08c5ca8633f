# tests/build/build.mk — how the build follows the spec (make test-build, part of make test).
.PHONY: test-build
test-build: build-all
	@env -u MAKEFLAGS -u MFLAGS sh tests/build/build_test.sh "$(MAKE)" "$(BUILD)" "$(SAN)" "$(BIN)"
TEST_TARGETS += $(if $(STACK_READY),test-build)

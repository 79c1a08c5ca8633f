/*
 * fuzz.h — the libFuzzer entry points every harness in tests/fuzz/ defines, declared once so
 * the harnesses compile under -Wmissing-prototypes and the standalone driver can call them.
 */
#ifndef TCPFSM_FUZZ_H
#define TCPFSM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Run one input. Must not keep state from one call to the next, free all it allocates,
 * and return 0 (libFuzzer reserves other values). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* TCPFSM_FUZZ_H */

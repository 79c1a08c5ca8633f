/*
 * world.h — a client stack and a server stack joined by a memlink (1 ms each way) on a virtual
 * clock, for tests that need real connections but not a custom link (tests/runtime/test_*.c).
 */
#ifndef RT_WORLD_H
#define RT_WORLD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memlink.h"
#include "rt_test.h"
#include "tcpfsm.h"

#define CLI RT_IP(10, 9, 0, 1)
#define SRV RT_IP(10, 9, 0, 2)
#define PORT 8080

struct world {
    struct memlink *link;
    struct tcpfsm_stack *cli, *srv;
    uint64_t now, rng_c, rng_s;
};

/* base (may be NULL) supplies limits and flags; addresses, output, random and a 200 ms
 * minimum/initial RTO are filled in. */
void world_init(struct world *w, const struct tcpfsm_config *base, uint64_t seed);
void world_free(struct world *w); /* saves transition coverage, frees all */
bool world_step(struct world *w); /* to the next event; false if none */
void world_run_for(struct world *w, uint64_t us);
int listen_srv(struct world *w, int backlog); /* a listener on SRV:PORT */
void connect_pair(struct world *w, int l, int *c, int *s);
/* n bytes client -> server, compared; inject(w, c, s) runs once after `at` bytes arrived. */
void transfer(struct world *w, int c, int s, size_t n, size_t at,
              void (*inject)(struct world *, int c, int s), bool expect_ok);
#endif

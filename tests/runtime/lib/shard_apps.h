/*
 * shard_apps.h — what the shards tests run on both sides (tests/runtime/test_shards*.c): an
 * echo service for every shard (init makes its listener, wakeup serves the readiness API's
 * reports and counts what the tests check) and echo clients on a plain stack.
 */
#ifndef RT_SHARD_APPS_H
#define RT_SHARD_APPS_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_test.h"
#include "tcpfsm_shards.h"

#define PEER RT_IP(10, 8, 0, 1)
#define HOST RT_IP(10, 8, 0, 2) /* the shards' one address */
#define PORT 7

uint64_t shard_test_now_us(void); /* CLOCK_MONOTONIC */
/* A PRNG every thread may call (splitmix64 over an atomic counter), reseeded by
 * shard_test_reseed: a run's ownership key and ports replay, and the shard threads may share
 * it. */
uint64_t shard_test_random(void *arg);
void shard_test_reseed(uint64_t seed);
uint64_t shard_test_peer_random(void *arg); /* rt_rand(arg) */
/* The queue a NIC-like hash of its own (the ports' XOR) picks for a packet: it knows nothing
 * of the shards' key, so most flows arrive on a non-owner's queue at first. */
unsigned shard_test_queue(const void *pkt, size_t len, unsigned n);
int shard_test_noop(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg);

struct echo_shard {
    int lfd;
    unsigned accepted, closed, errors;
    unsigned wrong_owner; /* accepted connections whose flow another shard owns */
    unsigned not_in_thread;
    uint64_t bytes;
};
struct echo_app {
    uint32_t addr;
    uint16_t port;
    int threaded; /* wakeup must then run in a shard thread, never in main */
    pthread_t main;
    struct echo_shard s[TCPFSM_SHARDS_MAX];
};
/* init and wakeup of the echo service, arg = struct echo_app */
int echo_init(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg);
int echo_wakeup(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg);

/* A client: sends a random message (1..1200 bytes), reads it back, compares, closes. */
struct client {
    int fd;
    size_t len, sent, got;
    uint8_t msg[1200];
    int done, failed;
};
void client_open(struct tcpfsm_stack *st, struct client *c, uint32_t addr, uint16_t port,
                 uint64_t *rng);
int client_pump(struct tcpfsm_stack *st, struct client *c); /* 1 when something moved */
#endif

/*
 * memnet.h — two stacks on one memlink for scenario tests: a client 10.0.0.1 and a server
 * 10.0.0.2 on a virtual clock. A step advances the link and both stacks to the earliest of
 * tcpfsm_next_timeout() / memlink_next_delivery(); between steps an application "pump" makes
 * send/recv/accept calls until they stop making progress. A trace hook records every
 * connection's path through the spec's states ($TCPFSM_TEST_TRACE=1 prints them).
 */
#ifndef RT_MEMNET_H
#define RT_MEMNET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memlink.h"
#include "rt_test.h"
#include "tcpfsm.h"

#define CLI_ADDR RT_IP(10, 0, 0, 1)
#define SRV_ADDR RT_IP(10, 0, 0, 2)
#define LINK_DELAY_US 1000u /* the default one-way delay of net_init */
#define MAX_CONN_PATHS 8

struct net;
struct conn_path { /* one connection's states, as the trace saw them */
    uint16_t lport, rport;
    char path[256];
};

struct node {
    struct net *net;
    struct tcpfsm_stack *st;
    uint32_t addr;
    uint64_t rng;
    struct conn_path paths[MAX_CONN_PATHS];
    int npaths;
    tcpfsm_time_t tw_enter, tw_exit; /* last entry into / exit from TIME_WAIT */
    uint64_t fins, rsts;             /* segments sent with FIN / RST */
    size_t max_pkt;                  /* the largest datagram sent */
    uint64_t sack_data_segs;         /* segments sent with text and SACK blocks */
};

struct net {
    struct memlink *l;
    struct node n[2]; /* [0] client 10.0.0.1, [1] server 10.0.0.2 */
    uint64_t now;
    uint64_t steps;
};

enum pump_result { PUMP_IDLE, PUMP_PROGRESS, PUMP_DONE };
typedef enum pump_result (*pump_fn)(struct net *net, void *arg);

struct accept_wait {
    int lfd, cfd, sfd;
};

enum close_mode { CLOSE_NONE, CLOSE_SHUT_WR, CLOSE_FULL };

struct stream_end {
    struct tcpfsm_stack *st;
    int fd;
    const uint8_t *tx; /* what to send (NULL: nothing) */
    size_t txlen, sent;
    uint8_t *rx; /* where to receive (capacity rxcap) */
    size_t rxcap, got;
    bool eof;
    enum close_mode close_after_send; /* once everything is queued */
    bool close_on_eof;                /* tcpfsm_close once the peer's FIN was read */
    bool shut, closed;
    long err; /* first unexpected error of send/recv */
};

const char *node_path(const struct node *nd, uint16_t lport);
void net_init(struct net *net, const struct tcpfsm_config *cfg, uint64_t seed);
void net_free(struct net *net);
void net_impair(struct net *net, const struct memlink_impair *im);
void net_impair_dirs(struct net *net, const struct memlink_impair *c2s,
                     const struct memlink_impair *s2c);
uint64_t net_next(const struct net *net);
void net_set_time(struct net *net, uint64_t t);
bool net_step(struct net *net);
void net_advance_to(struct net *net, uint64_t t);
bool net_run(struct net *net, pump_fn pump, void *arg, uint64_t limit_us);
void net_drain(struct net *net, uint64_t limit_us);
enum pump_result pump_accept(struct net *net, void *arg);
int listen_on(struct tcpfsm_stack *st, uint16_t port, int backlog);
void net_connect(struct net *net, int *lfd, int *cfd, int *sfd);
const char *fd_state(struct tcpfsm_stack *st, int fd);
int ss_count(struct tcpfsm_stack *st, const char *state);
bool end_pump(struct stream_end *e);
bool end_done(const struct stream_end *e, bool want_eof);
uint8_t *random_bytes(uint64_t seed, size_t n);
void get_stats(struct net *net, int i, struct tcpfsm_stats *s);

#endif /* RT_MEMNET_H */

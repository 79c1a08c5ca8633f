/*
 * hello.c — the smallest complete program that links libtcpfsm: two stacks in one process,
 * joined by a queue instead of a network, on a virtual clock. A client connects, says hello,
 * the server answers, both close. Uses only the installed public header.
 * Build: cc hello.c $(pkg-config --cflags --libs tcpfsm)
 */
#include <tcpfsm/tcpfsm.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QMAX 256
struct pkt {
    struct tcpfsm_stack *to;
    size_t len;
    unsigned char data[1600];
};
static struct pkt queue[QMAX];
static size_t qhead, qlen;
static struct tcpfsm_stack *client, *server;

/* Output callback: a packet from one stack is queued for the other (never delivered
 * re-entrantly, exactly like a real link). */
static void output(void *arg, const void *packet, size_t len)
{
    struct tcpfsm_stack *to = *(struct tcpfsm_stack **)arg;
    if (qlen == QMAX || len > sizeof queue[0].data) return; /* a full link drops, like a real one */
    struct pkt *p = &queue[(qhead + qlen++) % QMAX];
    p->to = to;
    p->len = len;
    memcpy(p->data, packet, len);
}

static uint64_t seed = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void *arg)
{
    (void)arg;
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return seed;
}

/* Deliver everything queued, then move the clock 1 ms. */
static void step(tcpfsm_time_t *now)
{
    while (qlen) {
        struct pkt *p = &queue[qhead];
        qhead = (qhead + 1) % QMAX, qlen--;
        tcpfsm_input(p->to, p->data, p->len);
    }
    *now += 1000;
    tcpfsm_advance(client, *now);
    tcpfsm_advance(server, *now);
}

int main(void)
{
    tcpfsm_time_t now = 0;
    struct tcpfsm_config c = {0}, s = {0};
    c.addr = 0x0a000001; /* 10.0.0.1 */
    s.addr = 0x0a000002; /* 10.0.0.2 */
    c.output = s.output = output;
    c.output_arg = &server; /* the client's packets go to the server */
    s.output_arg = &client;
    c.random = s.random = rnd;
    int err = 0;
    client = tcpfsm_stack_new(&c, &err);
    server = tcpfsm_stack_new(&s, &err);
    if (!client || !server) {
        fprintf(stderr, "hello: stack: %s\n", strerror(-err));
        return 1;
    }
    int lfd = tcpfsm_socket(server);
    if (tcpfsm_bind(server, lfd, s.addr, 7) || tcpfsm_listen(server, lfd, 8)) {
        fprintf(stderr, "hello: listen failed\n");
        return 1;
    }
    int cfd = tcpfsm_socket(client);
    if (tcpfsm_connect(client, cfd, s.addr, 7) != -EINPROGRESS) {
        fprintf(stderr, "hello: connect failed\n");
        return 1;
    }
    int afd = -1, done = 0;
    char buf[64];
    for (int i = 0; i < 5000 && !done; i++) {
        step(&now);
        if (afd < 0) afd = tcpfsm_accept(server, lfd, NULL, NULL);
        if (afd >= 0 && i == 3) tcpfsm_send(client, cfd, "hello", 5);
        if (afd >= 0) {
            long n = tcpfsm_recv(server, afd, buf, sizeof buf);
            if (n == 5) {
                tcpfsm_send(server, afd, "world", 5);
                tcpfsm_close(server, afd);
            }
        }
        long n = tcpfsm_recv(client, cfd, buf, sizeof buf);
        if (n == 5 && memcmp(buf, "world", 5) == 0) {
            printf("hello: client got \"%.5s\" from the server (libtcpfsm %s)\n", buf,
                   tcpfsm_version());
            tcpfsm_close(client, cfd);
            done = 1;
        }
    }
    for (int i = 0; i < 100; i++)
        step(&now);
    tcpfsm_stack_free(client);
    tcpfsm_stack_free(server);
    return done ? 0 : 1;
}

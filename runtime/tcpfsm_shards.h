/*
 * tcpfsm_shards.h — one stack per core: N independent tcpfsm stacks ("shards") that share one
 * address, each owned by one thread, with every TCP flow processed by the one shard that owns
 * it (runtime/shard/).
 *
 * Ownership. owner(flow) = SipHash-2-4(local addr, local port, remote addr, remote port) mod N,
 * the tuple ordered from our side, with one random key the shards share: both directions of a
 * flow have one owner. A shard that reads a packet it does not own (the link put it on the
 * wrong queue) hands it to the owner through a lock-free single-producer single-consumer ring
 * for that (from, to) pair and wakes the owner (an eventfd); a full ring drops the packet and
 * counts it (TCP sends it again). What is forwarded: TCP segments by their 4-tuple, ICMP errors
 * by the TCP header they quote. Anything else (ICMP echo, fragments, other protocols, packets
 * too short to parse) is handled by whichever shard reads it. Active opens stay home: the layer
 * sets each stack's cfg.port_ok so tcpfsm_connect() picks an ephemeral port whose flow hashes to
 * the opening shard (as mTCP does with the NIC's RSS hash), and refuses a bound port that would
 * hash elsewhere with -EADDRNOTAVAIL. Every shard may listen on the same port: a listener in
 * each shard accepts the connections that hash to it.
 *
 * Links.
 *   TUN       cfg.tun names a multi-queue TUN device (IFF_TUN|IFF_NO_PI|IFF_MULTI_QUEUE; made
 *             if absent, e.g. `ip tuntap add dev NAME mode tun multi_queue` makes it
 *             persistent); shard i reads and writes queue i. The kernel sends a flow to the
 *             queue that last wrote its packets, so once a flow's owner has answered, its
 *             packets arrive on the owner's queue and forwarding is rare (a kernel client's
 *             first SYN lands on any queue).
 *   caller's  cfg.output is called for every packet a shard sends (from that shard's thread);
 *             the caller hands received packets to a queue with tcpfsm_shards_input() (as a
 *             NIC's receive hash would choose one). Tests use it with memlink.
 *
 * Threading model. A shard's stack is only ever touched by the shard's thread. The
 * application's code runs in the shard threads, through two callbacks: init(shard) once before
 * the shard's loop (create the shard's listener there), and wakeup(shard) after every batch of
 * input and timers (call tcpfsm_epoll_wait there and serve what is ready). Each shard thread
 * loops: poll(2) on its TUN queue and its eventfd until the stack's next timer, read a batch
 * (cfg.batch packets at most), feed its own packets in and forward the others, process what
 * other shards forwarded, tcpfsm_advance() to CLOCK_MONOTONIC microseconds, run a pending
 * tcpfsm_shards_call(), call wakeup. Shard threads start with every signal blocked, so the
 * process's signals go to the other threads. No lock is taken on the per-packet path.
 *
 * Other threads reach a shard only through tcpfsm_shards_call(), which runs a function in the
 * shard's thread and waits for it (a mutex and a condition variable; not for the per-packet
 * path). The merged observability calls (stats, census, ss) go through it. From a shard's own
 * thread a call to itself runs at once; a call to another shard is refused with -EDEADLK (two
 * shards calling each other would wait forever).
 *
 * Stepped mode (tests): without tcpfsm_shards_start(), nothing runs by itself. Every
 * tcpfsm_shards_step(sh, now) runs one round of every shard in the caller's thread, on the
 * caller's clock, init callbacks before the first, deterministically. Then any call, and
 * tcpfsm_shards_stack() for every shard, may be used from that one thread.
 *
 * Errors are negative errno values; nothing here exit()s.
 */
#ifndef TCPFSM_SHARDS_H
#define TCPFSM_SHARDS_H

#include <stddef.h>
#include <stdint.h>

#include "tcpfsm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TCPFSM_SHARDS_MAX 64u          /* nshards: 1..64 */
#define TCPFSM_SHARDS_RING_SLOTS 1024u /* default ring_slots: packets per (from, to) ring */
#define TCPFSM_SHARDS_RING_SLOTS_MAX 65536u
#define TCPFSM_SHARDS_BATCH 64u /* default batch: packets read per round */
#define TCPFSM_SHARDS_BATCH_MAX 4096u

struct tcpfsm_shards;

/* An application callback, run in shard `shard`'s thread with that shard's stack. */
typedef int (*tcpfsm_shard_fn)(struct tcpfsm_shards *sh, unsigned shard, struct tcpfsm_stack *st,
                               void *arg);

struct tcpfsm_shards_config {
    unsigned nshards; /* 1..TCPFSM_SHARDS_MAX */
    /* Every shard's stack: address, limits, protocol parameters. The layer sets output and
     * output_arg; port_ok, if set, must also accept a port (the layer's test comes first);
     * random (NULL = getrandom) draws the shared hash key too and is called from every shard
     * thread: it must be thread-safe (a seeded PRNG is fine in stepped mode); so must trace.
     * mtu 0 with a TUN device takes the device's MTU. */
    struct tcpfsm_config stack;
    /* Optional: adjust shard `shard`'s copy of `stack` before its stack is made (a trace_arg
     * or random_arg per shard). Called by tcpfsm_shards_new, in its thread. */
    void (*setup)(void *arg, unsigned shard, struct tcpfsm_config *cfg);
    /* The link, exactly one of: */
    const char *tun; /* a multi-queue TUN device, 1..15 characters */
    void (*output)(void *arg, unsigned shard, const void *packet, size_t len);
    void *output_arg;
    /* The application (both optional). init returns 0, or a negative errno that makes
     * tcpfsm_shards_start (or the first step) fail with it. wakeup returns non-zero when it
     * left work undone (e.g. tcpfsm_epoll_pending() != 0), so the shard comes back at once
     * instead of sleeping. */
    tcpfsm_shard_fn init, wakeup;
    void *arg; /* both callbacks' `arg` */
    /* Packets each ring holds, a power of two 16..TCPFSM_SHARDS_RING_SLOTS_MAX (0 = default
     * TCPFSM_SHARDS_RING_SLOTS). A ring's memory (slots x the MTU) is taken when the first
     * packet goes through it: pairs that never forward cost nothing. */
    uint32_t ring_slots;
    uint32_t batch; /* packets read per round, 1..TCPFSM_SHARDS_BATCH_MAX (0 = default) */
};

/* Make the shards (their stacks, rings and eventfds; with cfg->tun, open one queue each). No
 * thread runs yet. NULL with *err: -EINVAL (a field out of range, both or neither link), what
 * tcpfsm_stack_new or opening the device said (-EPERM not root, ...), -ENOMEM. */
struct tcpfsm_shards *tcpfsm_shards_new(const struct tcpfsm_shards_config *cfg, int *err);
/* Stop the threads if they run, then free every stack (no packets are sent) and the link.
 * Called from a shard thread it does nothing (the threads cannot be joined from there). */
void tcpfsm_shards_free(struct tcpfsm_shards *sh);

/* Start one thread per shard; returns once every init callback has run. 0, -EALREADY
 * (started before, or stepped), -EDEADLK (from a shard thread), init's error or
 * pthread_create's (the threads that started are stopped again). */
int tcpfsm_shards_start(struct tcpfsm_shards *sh);
/* End every shard's loop and join the threads; afterwards the stacks may be used from the
 * calling thread (their stats read, sockets closed). 0 (also when not running), -EDEADLK
 * from a shard thread. */
int tcpfsm_shards_stop(struct tcpfsm_shards *sh);

/* Stepped mode: run init (the first time) and then one round of every shard, in shard order,
 * at time `now` (the caller's clock, never going back), repeated while packets moved between
 * shards, so every packet given before the call is processed by its owner when it returns.
 * Returns the number of packets the shards took in (>= 0), init's error, or -EBUSY while the
 * threads run. */
long tcpfsm_shards_step(struct tcpfsm_shards *sh, tcpfsm_time_t now);
/* Stepped mode: the earliest timer of any shard, `now` of the last step if a packet waits in
 * a ring, UINT64_MAX if nothing is due. */
tcpfsm_time_t tcpfsm_shards_next_timeout(const struct tcpfsm_shards *sh);

/* Caller's link: a packet received for queue `queue` (0..nshards-1). It is copied into that
 * shard's input ring; the shard reads it in its next round and processes or forwards it. One
 * thread at a time may give packets (a single producer), not a shard thread. 0, -EINVAL (no
 * such queue, a TUN link, NULL), -EMSGSIZE (longer than the MTU), -ENOBUFS (the ring is full:
 * dropped and counted). */
int tcpfsm_shards_input(struct tcpfsm_shards *sh, unsigned queue, const void *packet, size_t len);

unsigned tcpfsm_shards_count(const struct tcpfsm_shards *sh);
/* The shard that owns a flow (addresses host order, from our side). */
unsigned tcpfsm_shards_owner(const struct tcpfsm_shards *sh, uint32_t laddr, uint16_t lport,
                             uint32_t raddr, uint16_t rport);
/* Shard i's stack: only for shard i's own thread, or while no thread runs (stepped mode, before
 * start, after stop). NULL for a bad i. */
struct tcpfsm_stack *tcpfsm_shards_stack(struct tcpfsm_shards *sh, unsigned i);

/* Run fn(sh, i, stack, arg) in shard i's thread and wait for it; returns what fn returns. When
 * no thread runs (stepped mode, before start, after stop) fn runs in the caller's thread. Calls
 * to one shard are served one at a time. -EINVAL (bad i, fn NULL), -EDEADLK (from another
 * shard's thread). */
int tcpfsm_shards_call(struct tcpfsm_shards *sh, unsigned i, tcpfsm_shard_fn fn, void *arg);

/* The layer's own counters of one shard. */
struct tcpfsm_shard_stats {
    uint64_t InPackets;  /* read from this shard's queue (TUN queue or tcpfsm_shards_input) */
    uint64_t Forwarded;  /* ... of which another shard owns: pushed to its ring */
    uint64_t FromShards; /* packets other shards forwarded here, processed here */
    uint64_t RingDrops;  /* not forwarded: the owner's ring was full (or out of memory) */
    uint64_t InputDrops; /* tcpfsm_shards_input refused: this shard's input ring was full */
    uint64_t OutPackets; /* packets the stack sent */
    uint64_t OutDrops;   /* ... the TUN queue did not take (write failed) */
    uint64_t Rounds;     /* rounds of the loop (wakeup calls) */
    uint64_t Calls;      /* tcpfsm_shards_call functions run in this shard */
};
/* Shard i's counters (read in its thread). 0, -EINVAL, -EDEADLK as tcpfsm_shards_call. */
int tcpfsm_shards_shard_stats(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_shard_stats *out);

/* The merged views, each shard read in its own thread (so -EDEADLK from a shard thread when
 * N > 1): every counter of struct tcpfsm_stats summed over the shards; the census summed; the
 * shards' tcpfsm_ss listings concatenated under one header line (NUL-terminated, truncated to
 * size; returns the length it needed, as snprintf). */
int tcpfsm_shards_get_stats(struct tcpfsm_shards *sh, struct tcpfsm_stats *out);
int tcpfsm_shards_sockstat(struct tcpfsm_shards *sh, struct tcpfsm_sockstat *out);
int tcpfsm_shards_ss(struct tcpfsm_shards *sh, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* TCPFSM_SHARDS_H */

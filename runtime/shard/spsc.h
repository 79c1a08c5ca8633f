/*
 * spsc.h — a bounded, lock-free single-producer single-consumer ring of packets (C11 atomics),
 * the road from one shard to another (runtime/shard/shards.c).
 *
 * One thread pushes, one thread pops; neither ever waits. A slot holds one packet of at most
 * slot_bytes, copied in by the producer and read in place by the consumer. The slots' memory is
 * taken by the first push, so the rings of shard pairs that never forward cost a few bytes.
 * The indices run freely (uint32_t, wrapping); tail - head is the fill level.
 */
#ifndef TCPFSM_SPSC_H
#define TCPFSM_SPSC_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SPSC_LINE 64 /* keeps the two indices off each other's cache line */

struct spsc_ring {
    alignas(SPSC_LINE) _Atomic uint32_t head; /* next slot to pop; written by the consumer */
    uint32_t tail_seen;                       /* consumer's last look at tail */
    alignas(SPSC_LINE) _Atomic uint32_t tail; /* next slot to fill; written by the producer */
    uint32_t head_seen;                       /* producer's last look at head */
    uint8_t *mem;        /* slots, allocated by the first push (seen by the consumer only
                          * through a tail published after it) */
    uint32_t mask;       /* slots - 1 */
    uint32_t slot_bytes; /* largest packet */
    uint32_t stride;     /* bytes per slot: length word + slot_bytes, 8-aligned */
    _Atomic uint64_t
        drops; /* pushes refused (full, no memory); the producer counts, anyone reads */
};

/* slots: a power of two >= 2; slot_bytes >= 1. Takes no memory yet. */
void spsc_init(struct spsc_ring *r, uint32_t slots, uint32_t slot_bytes);
void spsc_destroy(struct spsc_ring *r); /* no thread may use it any more */

/* Producer: copy a packet in. 0, -EMSGSIZE (longer than slot_bytes), -ENOBUFS (full; the drop is
 * counted), -ENOMEM (the first push could not get the slots; counted too). */
int spsc_push(struct spsc_ring *r, const void *pkt, size_t len);

/* Consumer: the oldest packet, read in place until spsc_pop; NULL when empty. */
const uint8_t *spsc_peek(struct spsc_ring *r, size_t *len);
void spsc_pop(struct spsc_ring *r);
/* Whether the ring holds a packet (either side, or a third thread as a hint). */
int spsc_empty(const struct spsc_ring *r);
uint64_t spsc_drops(const struct spsc_ring *r);

#endif /* TCPFSM_SPSC_H */

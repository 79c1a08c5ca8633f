/*
 * arp.c — RFC 826 address resolution for IPv4 over Ethernet: the neighbour cache, the
 * packets waiting for a next hop, requests, retries, replies and expiry.
 *
 * Bounded everywhere: cfg.neighbours entries (the one confirmed longest ago is reused when
 * full), cfg.queue_packets waiting packets per entry (beyond that the new one is dropped),
 * cfg.retries requests per resolution (then its queue is dropped). Timers are one `due` per
 * entry; tcpfsm_eth_advance scans the cache only when the earliest of them has come.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

struct arp_entry *arp_find(const struct tcpfsm_eth *eth, uint32_t addr)
{
    struct arp_entry *e = &eth->cache[eth->last_hit];
    if (e->state != ARP_FREE && e->addr == addr) return e;
    for (uint32_t i = 0; i < eth->cfg.neighbours; i++)
        if (eth->cache[i].state != ARP_FREE && eth->cache[i].addr == addr) return &eth->cache[i];
    return NULL;
}

static void recompute_due(struct tcpfsm_eth *eth)
{
    tcpfsm_time_t next = UINT64_MAX;
    for (uint32_t i = 0; i < eth->cfg.neighbours; i++)
        if (eth->cache[i].state != ARP_FREE && eth->cache[i].due < next) next = eth->cache[i].due;
    eth->next_due = next;
}

static void drop_queue(struct tcpfsm_eth *eth, struct arp_entry *e)
{
    for (struct arp_pending *p = e->head, *nx; p; p = nx) {
        nx = p->next;
        free(p);
        eth->stats.ArpQueueDrops++;
    }
    e->head = e->tail = NULL;
    e->nqueued = 0;
}

static void entry_free(struct tcpfsm_eth *eth, struct arp_entry *e)
{
    drop_queue(eth, e);
    memset(e, 0, sizeof *e);
}

void arp_free_all(struct tcpfsm_eth *eth)
{
    for (uint32_t i = 0; i < eth->cfg.neighbours; i++)
        entry_free(eth, &eth->cache[i]);
}

/* A free slot, else the entry confirmed longest ago (a resolved one before one still being
 * resolved, whose queue would be lost). */
static struct arp_entry *entry_alloc(struct tcpfsm_eth *eth, uint32_t addr)
{
    struct arp_entry *victim = NULL;
    for (uint32_t i = 0; i < eth->cfg.neighbours; i++) {
        struct arp_entry *e = &eth->cache[i];
        if (e->state == ARP_FREE) {
            victim = e;
            break;
        }
        int resolved = e->state != ARP_INCOMPLETE;
        int vresolved = victim && victim->state != ARP_INCOMPLETE;
        if (!victim || (resolved && !vresolved) ||
            (resolved == vresolved && e->confirmed < victim->confirmed))
            victim = e;
    }
    entry_free(eth, victim);
    victim->addr = addr;
    victim->confirmed = eth->now;
    eth->last_hit = (uint32_t)(victim - eth->cache);
    return victim;
}

/* A reply or a request that names us told us where `e` is: send what waited for it. */
static void confirm(struct tcpfsm_eth *eth, struct arp_entry *e, const uint8_t mac[6])
{
    memcpy(e->mac, mac, 6);
    e->state = ARP_REACHABLE;
    e->used = 0;
    e->tries = 0;
    e->confirmed = eth->now;
    e->due = eth->now + eth->cfg.reachable_us;
    eth->stats.ArpLearned++;
    struct arp_pending *p = e->head;
    e->head = e->tail = NULL;
    e->nqueued = 0;
    while (p) {
        struct arp_pending *nx = p->next;
        eth_send(eth, e->mac, ETH_TYPE_IPV4, p->data, p->len);
        free(p);
        p = nx;
    }
    recompute_due(eth);
}

static void arp_send(struct tcpfsm_eth *eth, uint16_t op, const uint8_t *dst, const uint8_t *tha,
                     uint32_t tpa)
{
    uint8_t a[ARP_PKT_LEN];
    put16(a, 1);                 /* hrd: Ethernet */
    put16(a + 2, ETH_TYPE_IPV4); /* pro: IPv4 */
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, eth->cfg.mac, 6);
    put32(a + 14, eth->cfg.addr);
    if (tha)
        memcpy(a + 18, tha, 6);
    else
        memset(a + 18, 0, 6);
    put32(a + 24, tpa);
    eth_send(eth, dst, ETH_TYPE_ARP, a, sizeof a);
}

void arp_request(struct tcpfsm_eth *eth, uint32_t target, const uint8_t *dst)
{
    eth->stats.ArpOutRequests++;
    arp_send(eth, ARP_OP_REQUEST, dst ? dst : eth_broadcast, NULL, target);
}

/* RFC 826 "Packet Reception", with RFC 5227 2.4's conflict check first. */
void arp_input(struct tcpfsm_eth *eth, const uint8_t *a, size_t len)
{
    if (len < ARP_PKT_LEN || get16(a) != 1 || get16(a + 2) != ETH_TYPE_IPV4 || a[4] != 6 ||
        a[5] != 4 || (a[8] & 1)) {
        eth->stats.InMalformed++;
        return;
    }
    uint16_t op = get16(a + 6);
    if (op == ARP_OP_REQUEST)
        eth->stats.ArpInRequests++;
    else if (op == ARP_OP_REPLY)
        eth->stats.ArpInReplies++;
    else {
        eth->stats.InMalformed++;
        return;
    }
    const uint8_t *sha = a + 8;
    uint32_t spa = get32(a + 14), tpa = get32(a + 24);
    if (!memcmp(sha, eth->cfg.mac, 6)) return; /* our own, looped back */
    if (spa == eth->cfg.addr) {                /* someone else uses our address */
        eth->stats.ArpConflicts++;
        return;
    }
    int merged = 0;
    struct arp_entry *e = spa ? arp_find(eth, spa) : NULL; /* spa 0: an RFC 5227 probe */
    if (e) {
        confirm(eth, e, sha);
        merged = 1;
    }
    if (tpa != eth->cfg.addr) return;
    if (!merged && spa && eth_on_link(eth, spa)) confirm(eth, entry_alloc(eth, spa), sha);
    if (op == ARP_OP_REQUEST) {
        eth->stats.ArpOutReplies++;
        arp_send(eth, ARP_OP_REPLY, sha, sha, spa);
    }
}

void arp_output(struct tcpfsm_eth *eth, uint32_t hop, const void *pkt, size_t len)
{
    struct arp_entry *e = arp_find(eth, hop);
    if (e && e->state != ARP_INCOMPLETE) {
        e->used = 1;
        eth_send(eth, e->mac, ETH_TYPE_IPV4, pkt, len);
        return;
    }
    int start = !e;
    if (start) {
        e = entry_alloc(eth, hop);
        e->state = ARP_INCOMPLETE;
    }
    if (e->nqueued >= eth->cfg.queue_packets) {
        eth->stats.ArpQueueDrops++;
    } else {
        struct arp_pending *p = malloc(sizeof *p + len);
        if (!p) {
            eth->stats.ArpQueueDrops++;
        } else {
            p->next = NULL;
            p->len = len;
            memcpy(p->data, pkt, len);
            if (e->tail)
                e->tail->next = p;
            else
                e->head = p;
            e->tail = p;
            e->nqueued++;
        }
    }
    if (start) {
        e->tries = 1;
        e->due = eth->now + eth->cfg.retry_us;
        recompute_due(eth);
        arp_request(eth, hop, NULL);
    }
}

void arp_advance(struct tcpfsm_eth *eth)
{
    if (eth->now < eth->next_due) return;
    for (uint32_t i = 0; i < eth->cfg.neighbours; i++) {
        struct arp_entry *e = &eth->cache[i];
        if (e->state == ARP_FREE || e->due > eth->now) continue;
        if (e->state == ARP_REACHABLE && !e->used) { /* unused: forget it */
            eth->stats.ArpExpired++;
            entry_free(eth, e);
            continue;
        }
        if (e->state == ARP_REACHABLE) { /* in use: ask again, keep using the old address */
            e->state = ARP_REFRESH;
            e->tries = 0;
        }
        if (e->tries >= eth->cfg.retries) {
            if (e->state == ARP_REFRESH)
                eth->stats.ArpExpired++;
            else
                eth->stats.ArpFailed++;
            entry_free(eth, e);
            continue;
        }
        e->tries++;
        e->due = eth->now + eth->cfg.retry_us;
        /* RFC 1122 2.3.2.1: a cached address is checked with a unicast request first. */
        arp_request(eth, e->addr, e->state == ARP_REFRESH ? e->mac : NULL);
    }
    recompute_due(eth);
}
